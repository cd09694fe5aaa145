"""Simulation runs for the validation experiments, cached on disk and run in parallel.

An experiment asks for runs by (overrides, seed, what to record). Each distinct run is simulated once:
its tables and panels are written under ``results/experiments/.runs/<key>/`` (Parquet and NumPy
``.npz``, never pickle) and read back by every experiment that needs it, so ``run all`` simulates the
default population once for the several facts measured on it. The key is a hash of the resolved
configuration, the recording options and the source code of ``sim/``, so a changed model never reuses
an old run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import results
from sim.codecache import code_version
from sim.config import compose
from sim.model import FeedModel
from sim.runner import set_threads
from sim.state import TOT_MINUTES


@dataclass(frozen=True)
class RunSpec:
    overrides: tuple[str, ...]
    seed: int
    user_days: bool = False  # keep the per-user snapshot of every day (metrics.user_day_snapshot)
    hours: tuple[int, int] | None = None  # record per-user hourly mood and minutes for these days [a, b)

    def config(self):
        return compose(list(self.overrides) + [f"seed={self.seed}", "progress=false"])


@dataclass
class RunData:
    daily: pd.DataFrame
    users: pd.DataFrame
    posts: pd.DataFrame
    user_days: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (days, users)
    hourly: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (hours, users)


def run_key(spec: RunSpec) -> str:
    from omegaconf import OmegaConf

    resolved = OmegaConf.to_container(spec.config(), resolve=True)
    payload = json.dumps(
        {"config": resolved, "user_days": spec.user_days, "hours": spec.hours, "code": code_version()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def simulate(spec: RunSpec) -> RunData:
    """Run the model for ``spec`` and collect its tables and panels."""

    cfg = spec.config()
    model = FeedModel(cfg)
    model.keep_user_days = spec.user_days
    hourly: dict[str, list] = {"mood": [], "minutes": [], "awake_minutes": []}
    first, last = spec.hours or (0, 0)
    for day in range(int(cfg.days)):
        for _ in range(24):
            record = first <= day < last
            before = model.users.totals[:, TOT_MINUTES].copy() if record else None
            model.step()
            if record:
                u = model.users
                hourly["mood"].append(u.mood.astype(np.float64))
                hourly["minutes"].append(u.totals[:, TOT_MINUTES] - before)
                hourly["awake_minutes"].append(u.awake_min.astype(np.float64))
    user_days = {}
    if spec.user_days and model.user_days:
        user_days = {k: np.stack([d[k] for d in model.user_days]) for k in model.user_days[0]}
    return RunData(
        model.daily_table(),
        model.users_table(),
        model.posts_table(),
        user_days,
        {k: np.stack(v) for k, v in hourly.items() if v},
    )


def cache_dir(root: Path) -> Path:
    return Path(root) / ".runs"


def store(path: Path, data: RunData, spec: RunSpec) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if data.user_days:
        np.savez_compressed(path / "user_days.npz", **data.user_days)
    if data.hourly:
        np.savez_compressed(path / "hourly.npz", **data.hourly)
    results.write_run(
        path,
        {"daily": data.daily, "users": data.users, "posts": data.posts},
        {"status": "complete", "seed": spec.seed, "overrides": list(spec.overrides)},
    )


def fetch(path: Path) -> RunData:
    run = results.load(path)

    def arrays(name):
        f = path / name
        if not f.is_file():
            return {}
        with np.load(f, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    return RunData(run.daily, run.users, run.posts, arrays("user_days.npz"), arrays("hourly.npz"))


def _simulate_and_store(spec: RunSpec, path: Path) -> str:

    set_threads(1)  # parallelism is across runs; results do not depend on threads
    store(path, simulate(spec), spec)
    return str(path)


def missing_runs(specs: list[RunSpec], root: Path) -> int:
    """How many distinct runs of ``specs`` are not in the cache yet (``ensure`` would simulate them)."""
    return sum(not (cache_dir(root) / run_key(s) / results.MANIFEST).is_file() for s in dict.fromkeys(specs))


def ensure(specs: list[RunSpec], root: Path, jobs: int = 2, progress: bool = True) -> dict[RunSpec, Path]:
    """Simulate every spec not yet in the cache (in parallel) and return where each one is."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    paths = {spec: cache_dir(root) / run_key(spec) for spec in dict.fromkeys(specs)}
    missing = [(s, p) for s, p in paths.items() if not (p / results.MANIFEST).is_file()]
    if missing:
        # one progress style across runs, sweeps' sensitivity analyses and experiments: tqdm, on stderr
        done = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_simulate_and_store)(s, p) for s, p in missing
        )
        desc = f"simulating {len(missing)} run(s), {jobs} worker(s)"
        for _ in tqdm(done, total=len(missing), desc=desc, unit="run", file=sys.stderr, disable=not progress):
            pass
    return paths
