"""Sweeps: many runs from one command, ``python -m sim -m scenario=status_quo,civic_platform seed='range(0,10)'``.

A sweep lives in one directory whose name is derived from the command's settings and the configurations
they compose to, so running the same command again finds the same directory. Each job writes a normal
run directory (``sim/results.py``) named after the settings that vary between jobs
(``policy=civic,seed=3``). A job whose run directory already holds a complete run of the same
configuration, with tables that match the hashes in its manifest, is skipped; the others run.

Files in the sweep directory:

- ``sweep_plan.json``: the command's settings and every job's overrides, written when the sweep starts
  (the reference for "missing" jobs).
- one directory per job (``manifest.json`` and the three tables).
- ``sweep_daily.parquet``, ``sweep_users.parquet``: every complete job's table with ``job``, ``label``
  and ``seed`` columns in front; ``sweep_jobs.parquet``: one row per planned or found job with its
  status and error; ``sweep.json``: counts, failures and table hashes, written last.

The collection runs at the end of every multirun (``SweepCallback``, a Hydra callback configured in
``conf/config.yaml``), and again from ``python -m sim.report`` when a sweep was stopped before its end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim import results
from sim.config import expand_sweep, job_label

SWEEP_PLAN = "sweep_plan.json"
SWEEP_MANIFEST = "sweep.json"
SWEEP_TABLES = ("daily", "users", "jobs")
# Settings that change where and how a run is written or shown, never its tables.
PRESENTATION_KEYS = ("output", "progress", "threads", "check_finite")
JOB_STATUSES = ("complete", "failed", "invalid", "running", "missing")


class SweepError(RuntimeError):
    """A directory cannot be read as a sweep. The message is one line, fit for a user."""


# --------------------------------------------------------------------------------------------------
# naming


def _key(override: str) -> str:
    return override.partition("=")[0].lstrip("+~")


def is_presentation(override: str) -> bool:
    key = _key(override)
    return any(key == k or key.startswith(k + ".") for k in PRESENTATION_KEYS)


def result_config(cfg: DictConfig | dict) -> dict:
    """The part of a configuration that determines a run's tables."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    return {k: v for k, v in container.items() if k not in PRESENTATION_KEYS and k != "hydra"}


def sweep_name(overrides: list[str], configs: list[DictConfig | dict]) -> str:
    """A readable, stable directory name: the command's settings, and a hash of them together with every
    job's resolved configuration, so that a change of defaults never mixes old and new runs."""
    kept = sorted(o for o in overrides if not is_presentation(o))
    digest = hashlib.sha256(
        json.dumps([kept, [result_config(c) for c in configs]], sort_keys=True, default=str).encode()
    ).hexdigest()[:10]
    swept = set(swept_keys(kept))
    named = sorted(kept, key=lambda o: (_key(o) not in swept, o))  # what varies first: it names the sweep
    slug = "_".join(re.sub(r"[^A-Za-z0-9.]+", "-", o).strip("-") for o in named)[:80].strip("_-")
    return f"{slug}_{digest}" if slug else f"defaults_{digest}"


def swept_keys(overrides: list[str]) -> list[str]:
    """The keys given several values (``a=1,2``, ``seed=range(0,3)``): they name the job directories."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides([o for o in overrides if not o.startswith("hydra")])
    return [o.key_or_group for o in parsed if o.is_sweep_override()]


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def multirun_arguments(argv: list[str], overrides: list[str], configs: list[DictConfig]) -> list[str]:
    """Hydra settings to add to a multirun's command line: the stable sweep directory (unless given)
    and job directories named by the swept settings only."""
    given = {a.partition("=")[0] for a in argv if a.startswith("hydra.")}
    extra = []
    if "hydra.sweep.dir" not in given:
        # Absolute: jobs on Ray or SLURM workers do not share this process's working directory.
        root = Path(str(configs[0].output.sweeps)).resolve()
        extra.append(f"hydra.sweep.dir={_quoted(str(root / sweep_name(overrides, configs)))}")
    swept = swept_keys(overrides)
    if "hydra.sweep.subdir" not in given:
        if not swept:
            extra.append("hydra.sweep.subdir=run")
        elif "hydra.job.config.override_dirname.exclude_keys" not in given:
            fixed = sorted({_key(o) for o in overrides} - set(swept))
            extra.append("hydra.job.config.override_dirname.exclude_keys=[" + ",".join(fixed) + "]")
    return extra


# --------------------------------------------------------------------------------------------------
# jobs


def complete_run(run_dir: Path, cfg: DictConfig) -> tuple[bool, str]:
    """Whether ``run_dir`` already holds a complete, intact run of ``cfg``, and if not, why not."""
    if not (run_dir / results.MANIFEST).is_file():
        return False, "not run yet"
    try:
        manifest = results.verify(run_dir)
    except results.ResultsError as e:
        return False, str(e)
    if result_config(manifest.get("config", {})) != result_config(cfg):
        return False, "its configuration differs from this sweep's"
    return True, "complete"


def job_threads(cfg: DictConfig, hydra_cfg: DictConfig) -> int:
    """Numba threads for one job of a sweep. ``threads=0`` (all cores) would oversubscribe the cores when
    the launcher runs several jobs at once, so the cores are shared among the concurrent jobs."""
    if int(cfg.threads) > 0:
        return int(cfg.threads)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    launcher = hydra_cfg.launcher
    if str(launcher.get("_target_", "")).endswith("BasicLauncher"):  # one job after the other, here
        return cores
    if "n_jobs" in launcher:  # joblib: n_jobs workers share this machine
        n = int(launcher.n_jobs)
        workers = n if n > 0 else max(1, (os.cpu_count() or 1) + 1 + n)
        return max(1, cores // workers)
    # Ray and SLURM give each job the CPUs it asked for (ray.remote.num_cpus, cpus_per_task): use those.
    for path in ("ray.remote.num_cpus", "cpus_per_task"):
        asked = OmegaConf.select(launcher, path, default=None)
        if asked:
            return max(1, int(asked))
    return 1


def read_plan(sweep_dir: Path) -> dict | None:
    path = Path(sweep_dir) / SWEEP_PLAN
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def progress(sweep_dir: Path) -> tuple[int, int | None]:
    """(jobs finished, complete or failed; jobs planned) of a running sweep."""
    done = 0
    for m in Path(sweep_dir).glob(f"*/{results.MANIFEST}"):
        try:
            done += json.loads(m.read_text()).get("status") in ("complete", "failed")
        except (OSError, json.JSONDecodeError):
            pass
    plan = read_plan(sweep_dir)
    return done, (len(plan["jobs"]) if plan else None)


def summary_line(result: results.RunResult, days: int) -> str:
    last = min(7, int(days))
    row = result.summary(last).loc["all"]
    return (
        f"wellbeing {row['wellbeing']:+.3f} SD, sleep {row['sleep_hours']:.2f} h, "
        f"{row['minutes_on_platform']:.0f} min/day (mean of the last {last} day{'s' if last > 1 else ''})"
    )


# --------------------------------------------------------------------------------------------------
# collecting


@dataclass
class Sweep:
    """Everything a sweep directory holds: one row per job, and the complete jobs' tables."""

    path: Path
    jobs: pd.DataFrame
    daily: pd.DataFrame
    users: pd.DataFrame
    plan: dict | None = None
    manifests: dict[str, dict] = field(default_factory=dict)

    @property
    def complete(self) -> pd.DataFrame:
        return self.jobs[self.jobs["status"] == "complete"]

    @property
    def problems(self) -> pd.DataFrame:
        return self.jobs[self.jobs["status"] != "complete"]


def _plan_key(overrides) -> tuple[str, ...]:
    return tuple(sorted(str(o) for o in overrides))


def is_sweep_dir(path: Path) -> bool:
    path = Path(path)
    return path.is_dir() and (
        (path / SWEEP_PLAN).is_file() or (path / "multirun.yaml").is_file() or any(path.glob(f"*/{results.MANIFEST}"))
    )


def collect(sweep_dir: str | os.PathLike) -> Sweep:
    """Read every job of a sweep directory. Complete runs are verified against their manifests' hashes
    (a changed table makes the job ``invalid``); planned jobs without a run are ``missing``."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise SweepError(f"sweep directory {str(sweep_dir)!r} does not exist")
    if not is_sweep_dir(sweep_dir):
        raise SweepError(
            f"{str(sweep_dir)!r} is not a sweep directory: it has no {SWEEP_PLAN}, no multirun.yaml "
            f"and no job directories with a {results.MANIFEST} (make one with python -m sim -m ...)"
        )
    plan = read_plan(sweep_dir)
    rows, dailies, users, manifests = [], [], [], {}
    for manifest_path in sorted(sweep_dir.glob(f"*/{results.MANIFEST}")):
        run_dir = manifest_path.parent
        job = run_dir.name
        try:
            manifest = results.read_manifest(run_dir)
        except results.ResultsError as e:
            rows.append({"job": job, "status": "invalid", "error": str(e), "path": str(run_dir)})
            continue
        cfg = manifest.get("config", {})
        row = {
            "job": job,
            "label": manifest.get("label") or (job_label(cfg) if cfg else None),
            "seed": manifest.get("seed"),
            "status": manifest.get("status", "invalid"),
            "error": manifest.get("error"),
            "overrides": manifest.get("overrides", []),
            "wall_time_s": manifest.get("wall_time_s"),
            "started": manifest.get("started"),
            "finished": manifest.get("finished"),
            "git_commit": manifest.get("git_commit"),
            "path": str(run_dir),
        }
        if row["status"] == "complete":
            try:
                run = results.load(run_dir, verify=True)
            except results.ResultsError as e:
                row.update(status="invalid", error=str(e))
            else:
                front = {"job": job, "label": row["label"], "seed": row["seed"]}
                dailies.append(run.daily.assign(**front)[[*front, *run.daily.columns]])
                users.append(run.users.assign(**front)[[*front, *run.users.columns]])
                manifests[job] = manifest
        elif row["status"] == "running":
            row["error"] = "not finished: killed, or still running"
        rows.append(row)
    if plan:
        found = {_plan_key(r.get("overrides") or []) for r in rows}
        swept = set(swept_keys(plan["overrides"]))
        for overrides in plan["jobs"]:
            if _plan_key(overrides) not in found:
                name = ",".join(sorted(o for o in overrides if _key(o) in swept)) or "run"  # as Hydra names it
                rows.append(
                    {
                        "job": name,
                        "status": "missing",
                        "error": "planned but never started",
                        "overrides": list(overrides),
                    }
                )
    columns = [
        "job",
        "label",
        "seed",
        "status",
        "error",
        "overrides",
        "wall_time_s",
        "started",
        "finished",
        "git_commit",
        "path",
    ]
    jobs = pd.DataFrame(rows, columns=columns)
    jobs["overrides"] = jobs["overrides"].map(lambda o: " ".join(o) if isinstance(o, list) else "")
    jobs["seed"] = jobs["seed"].astype("Int64")
    daily = pd.concat(dailies, ignore_index=True) if dailies else pd.DataFrame()
    users_table = pd.concat(users, ignore_index=True) if users else pd.DataFrame()
    return Sweep(sweep_dir, jobs, daily, users_table, plan, manifests)


def load(sweep_dir: str | os.PathLike) -> Sweep:
    """A sweep as its last collection wrote it, when ``sweep.json`` and the tables it lists are intact
    and no job directory changed since; otherwise collected afresh from the job directories (without
    writing anything)."""
    sweep_dir = Path(sweep_dir)
    manifest_path = sweep_dir / SWEEP_MANIFEST
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
            collected_at = manifest_path.stat().st_mtime
            newer = [m for m in sweep_dir.glob(f"*/{results.MANIFEST}") if m.stat().st_mtime > collected_at]
            tables = {}
            for name in SWEEP_TABLES:
                df = pd.read_parquet(sweep_dir / f"sweep_{name}.parquet")
                if manifest["tables"][f"sweep_{name}"]["sha256"] != results.table_hash(df):
                    raise ValueError(f"sweep_{name}.parquet changed")
                tables[name] = df
            if not newer:
                manifests = {
                    r.job: results.read_manifest(Path(r.path))
                    for r in tables["jobs"].itertuples()
                    if r.status == "complete"
                }
                return Sweep(
                    sweep_dir, tables["jobs"], tables["daily"], tables["users"], read_plan(sweep_dir), manifests
                )
        except (OSError, KeyError, ValueError, results.ResultsError, json.JSONDecodeError):
            pass  # collect afresh below
    return collect(sweep_dir)


def write(sweep: Sweep) -> dict:
    """Write the sweep tables (atomically) and ``sweep.json`` last. Returns the sweep manifest."""
    tables = {"daily": sweep.daily, "users": sweep.users, "jobs": sweep.jobs}
    info = {}
    for name, df in tables.items():
        results.write_table(sweep.path, f"sweep_{name}", df)
        info[f"sweep_{name}"] = {"rows": int(len(df)), "sha256": results.table_hash(df)}
    counts = {s: int((sweep.jobs["status"] == s).sum()) for s in JOB_STATUSES}
    manifest = {
        "status": "complete" if counts["complete"] == len(sweep.jobs) and len(sweep.jobs) else "incomplete",
        "jobs": int(len(sweep.jobs)),
        "counts": counts,
        "labels": sorted(sweep.complete["label"].dropna().unique().tolist()),
        "seeds": sorted(int(s) for s in sweep.complete["seed"].dropna().unique()),
        "problems": [{"job": r.job, "status": r.status, "error": r.error} for r in sweep.problems.itertuples()],
        "overrides": (sweep.plan or {}).get("overrides"),
        "collected": dt.datetime.now().isoformat(timespec="seconds"),
        "tables": info,
    }
    results.write_manifest_as(sweep.path, SWEEP_MANIFEST, manifest)
    return manifest


def report_lines(sweep: Sweep) -> list[str]:
    jobs = sweep.jobs
    n_complete = int((jobs["status"] == "complete").sum())
    lines = [f"sweep {sweep.path}: {n_complete} of {len(jobs)} jobs complete"]
    problems = sweep.problems
    if len(problems):
        lines.append(f"{len(problems)} job{'s' if len(problems) > 1 else ''} did not complete:")
        for r in problems.itertuples():
            lines.append(f"  {r.status.upper():8s} {r.job}: {r.error}")
    lines.append(f"sweep tables: {sweep.path / 'sweep_daily.parquet'}, sweep_users.parquet, sweep_jobs.parquet")
    return lines


# --------------------------------------------------------------------------------------------------
# the Hydra callback


@dataclass
class Outcome:
    """How the last multirun of this process ended (read by ``python -m sim`` for its exit code)."""

    sweep_dir: Path
    complete: int
    jobs: int

    @property
    def ok(self) -> bool:
        return self.jobs > 0 and self.complete == self.jobs


LAST_OUTCOME: Outcome | None = None


def finish(sweep_dir: Path) -> Outcome:
    """Collect a sweep, write its tables, print its summary and failures."""
    global LAST_OUTCOME
    sweep = collect(sweep_dir)
    write(sweep)
    for line in report_lines(sweep):
        print(line, flush=True)
    LAST_OUTCOME = Outcome(Path(sweep_dir), int((sweep.jobs["status"] == "complete").sum()), len(sweep.jobs))
    return LAST_OUTCOME


class SweepCallback(Callback):
    """Writes the sweep plan when a multirun starts and collects the jobs into sweep tables at its end."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:

        global LAST_OUTCOME
        LAST_OUTCOME = None
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        overrides = list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))
        jobs = expand_sweep(overrides)
        plan = {
            "overrides": overrides,
            "jobs": jobs,
            "command": results.command_line(),  # pasteable: ${...}, [..] and (..) are quoted
            "launcher": str(config.hydra.launcher.get("_target_", "")).rsplit(".", 1)[-1],
            "started": dt.datetime.now().isoformat(timespec="seconds"),
        }
        results.write_manifest_as(sweep_dir, SWEEP_PLAN, plan)
        print(
            f"sweep of {len(jobs)} job{'s' if len(jobs) != 1 else ''} -> {sweep_dir}"
            " (jobs already complete are skipped)",
            flush=True,
        )

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        finish(Path(str(config.hydra.sweep.dir)))


def remove_tree_if_only_hydra(run_dir: Path) -> None:
    """Remove a job directory that holds nothing but Hydra's own bookkeeping."""
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= {".hydra", "sim.log"}:
        shutil.rmtree(run_dir, ignore_errors=True)
