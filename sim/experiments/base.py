"""What an experiment is: a published fact, its config, the runs it needs and the analysis that measures it.

Each experiment lives in ``experiments/<name>/``: ``config.yaml`` names the fact (``docs/reference/validation-targets.md``
numbering), its source, the targets with their tolerances, the arms (Hydra overrides of the simulation),
what each arm records, and two scales (``full`` for the published table, ``ci`` for the test suite);
``expected.json`` holds the committed result at full scale, from which ``docs/reference/validation.md`` is generated.
The analysis is a function registered here with ``@measure(name)``: given the runs of one seed it
returns the value of each target.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from sim.config import ConfigError, compose
from sim.experiments import stats
from sim.experiments.figures import target_figure
from sim.experiments.runs import RunData, RunSpec, code_version, ensure, fetch, missing_runs
from sim.runner import git_commit as commit

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS_DIR = ROOT / "experiments"
SCALES = ("full", "ci")


@dataclass(frozen=True)
class Target:
    id: str  # F7a
    statistic: str  # what is measured, in words
    published: float | None  # the study's value (None where only a range is given)
    low: float  # tolerance: the fact holds if the mean over seeds lies in [low, high]
    high: float
    unit: str = ""
    # A target the default model is known not to meet, with the reason in the experiment's NOTES.md
    # (VALIDATION.md: a fact that cannot be met is reported, its tolerance is not widened).
    known_unmet: bool = False
    # Why the target holds whatever the behavioural constants, where it does (an identity of the model's form,
    # or a published model or fit reproduced): such a target checks the code, not the model's claims.
    by_construction: str = ""


@dataclass
class Spec:
    name: str
    fact: str
    title: str
    source: str
    method: str
    targets: list[Target]
    arms: dict[str, list[str]]
    record: dict[str, dict]
    scales: dict[str, dict]
    params: dict = field(default_factory=dict)

    def run_specs(self, scale: str, extra: tuple[str, ...] = ()) -> dict[tuple[str, int], RunSpec]:
        """The runs of every (arm, seed); ``extra`` overrides come last (the calibration uses them)."""
        sc = self.scales[scale]
        out = {}
        for seed in sc["seeds"]:
            for arm, overrides in self.arms.items():
                rec = self.record.get(arm, {})
                hours = tuple(rec["hours"]) if rec.get("hours") else None
                # a scale may add overrides to one arm (e.g. the sizes compared by the population-size fact)
                arm_extra = tuple(sc.get("arm_overrides", {}).get(arm, []))
                out[(arm, seed)] = RunSpec(
                    tuple(overrides) + tuple(sc.get("overrides", [])) + arm_extra + tuple(extra),
                    int(seed),
                    user_days=bool(rec.get("user_days", False)),
                    hours=hours,
                )
        return out


@dataclass
class Context:
    """What a measure function sees: one seed's runs, the experiment's parameters and the scale."""

    spec: Spec
    scale: str
    seed: int
    paths: dict[str, Path]
    extra: tuple[str, ...] = ()

    @property
    def params(self) -> dict:
        return {**self.spec.params, **self.spec.scales[self.scale].get("params", {})}

    def run(self, arm: str) -> RunData:
        return fetch(self.paths[arm])

    def config(self, arm: str | None = None):
        """The resolved configuration of one arm's run; without an arm, the default configuration (for
        experiments that build their own laboratory)."""
        if arm is None:
            return compose(list(self.extra) + [f"seed={self.seed}", "progress=false"])
        return self.spec.run_specs(self.scale, self.extra)[(arm, self.seed)].config()


MEASURES: dict[str, Callable[[Context], dict[str, float]]] = {}


def measure(name: str):
    def register(fn):
        MEASURES[name] = fn
        return fn

    return register


def names() -> list[str]:
    return sorted(p.parent.name for p in EXPERIMENTS_DIR.glob("*/config.yaml") if p.parent.name in MEASURES)


def load(name: str) -> Spec:
    path = EXPERIMENTS_DIR / name / "config.yaml"
    if name not in MEASURES or not path.is_file():
        raise ConfigError(f"experiment {name!r} is not allowed: choose one of " + ", ".join(names()))
    c = yaml.safe_load(path.read_text())
    targets = [
        Target(
            t["id"],
            t["statistic"],
            t.get("published"),
            float(t["low"]),
            float(t["high"]),
            t.get("unit", ""),
            bool(t.get("known_unmet", False)),
            str(t.get("by_construction", "")),
        )
        for t in c["targets"]
    ]
    return Spec(
        name=name,
        fact=c["fact"],
        title=c["title"],
        source=c["source"],
        method=c["method"].strip(),
        targets=targets,
        arms=c.get("arms", {}),
        record=c.get("record", {}),
        scales=c["scales"],
        params=c.get("params", {}),
    )


def git_commit() -> str | None:

    return commit()


def run(
    name: str,
    scale: str = "full",
    jobs: int = 2,
    root: Path | None = None,
    progress: bool = True,
    extra: tuple[str, ...] = (),
    seeds: list[int] | None = None,
) -> dict:
    """Run one experiment at ``scale``: its simulations (cached) and its analysis, per seed; returns the
    result record (also what ``expected.json`` holds). ``extra`` overrides apply to every run and
    ``seeds`` replaces the scale's seeds (both for the calibration)."""
    if scale not in SCALES:
        raise ConfigError(f"--scale {scale!r} is not allowed: choose one of " + ", ".join(SCALES))
    spec = load(name)
    if seeds is not None:
        spec.scales = {**spec.scales, scale: {**spec.scales[scale], "seeds": list(seeds)}}
    root = Path(root or ROOT / "results" / "experiments")
    started = time.perf_counter()
    wanted = spec.run_specs(scale, tuple(extra))
    simulated = missing_runs(list(wanted.values()), root)
    paths = ensure(list(wanted.values()), root, jobs=jobs, progress=progress)
    per_seed: dict[int, dict[str, float]] = {}
    for seed in spec.scales[scale]["seeds"]:
        ctx = Context(spec, scale, int(seed), {arm: paths[wanted[(arm, seed)]] for arm in spec.arms}, tuple(extra))
        per_seed[int(seed)] = MEASURES[name](ctx)
    rows = []
    for t in spec.targets:
        values = [per_seed[s][t.id] for s in per_seed]
        mean, lo, hi = stats.interval(values)
        rows.append(
            {
                "id": t.id,
                "statistic": t.statistic,
                "published": t.published,
                "low": t.low,
                "high": t.high,
                "unit": t.unit,
                "values": [_num(v) for v in values],
                "mean": _num(mean),
                "ci_low": _num(lo),
                "ci_high": _num(hi),
                "pass": bool(math.isfinite(mean) and t.low <= mean <= t.high),
            }
        )
    return {
        "name": name,
        "fact": spec.fact,
        "title": spec.title,
        "source": spec.source,
        "method": spec.method,
        "scale": scale,
        "seeds": [int(s) for s in per_seed],
        "overrides": spec.scales[scale].get("overrides", []),
        "code": code_version(),
        "git_commit": git_commit(),
        "date": dt.date.today().isoformat(),
        # wall time of this run of the experiment, and how many of its simulations it ran (the rest came from
        # the cache of runs); `python -m sim.experiments list` shows them
        "seconds": round(time.perf_counter() - started, 1),
        "simulated_runs": simulated,
        "total_runs": len(set(wanted.values())),
        "targets": rows,
    }


def declared_unmet(name: str) -> set[str]:
    """The targets the experiment's config declares not met (``known_unmet``)."""
    return {t.id for t in load(name).targets if t.known_unmet}


def _num(x: float) -> float | None:
    return round(float(x), 6) if x is not None and math.isfinite(x) else None


def write(result: dict, out_dir: Path) -> None:
    """result.json, table.csv and figure.png of one experiment."""
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    pd.DataFrame(result["targets"]).drop(columns=["values"]).to_csv(out_dir / "table.csv", index=False)
    target_figure(result, out_dir / "figure.png")


def size(spec: Spec, scale: str) -> float:
    """How much a scale simulates: its population (n_users), or for a laboratory experiment the product
    of its counts (agents x hours, sleepers x days); used to compare the precision of two scales."""
    for o in spec.scales[scale].get("overrides", []):
        if o.startswith("n_users="):
            return float(o.partition("=")[2])
    p = {**spec.params, **spec.scales[scale].get("params", {})}
    counts = [float(p[k]) for k in ("agents", "hours", "sleepers", "days") if k in p]
    return float(np.prod(counts)) if counts else 1.0


def expected_path(name: str, scale: str) -> Path:
    """The committed result of an experiment at a scale (the table is generated from the full scale)."""
    return EXPERIMENTS_DIR / name / ("expected.json" if scale == "full" else f"expected_{scale}.json")


def same_numbers(a: dict, b: dict) -> bool:
    """Whether two results hold the same values per target and seed (dates and commits aside)."""
    key = [(t["id"], t["values"]) for t in a["targets"]]
    return a["seeds"] == b["seeds"] and key == [(t["id"], t["values"]) for t in b["targets"]]
