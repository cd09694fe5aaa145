"""The Hydra task: what one job of ``python -m sim`` does, for a single run and for each job of a sweep.

It lives in an importable module (not ``__main__``) so that launchers which pickle the task (joblib,
Ray, submitit) pickle a reference to it, and it imports the model only when called, so that workers load
the Numba kernels from the on-disk cache in the process that runs them (docs/design/reference-design.md section 8).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import DictConfig

from sim.config import ConfigError, validate
from sim.guards import NonFiniteState
from sim.ranking.plugins import PluginError
from sim.results import RunFolderBusy
from sim.runner import execute
from sim.sweep import (
    complete_run,
    job_threads,
    progress,
    remove_tree_if_only_hydra,
    summary_line,
)


def task(cfg: DictConfig) -> float | None:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    # Hydra sets the root logger to INFO, at which Mesa logs every step; keep the log to what matters.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        validate(cfg)
    except ConfigError as e:
        remove_tree_if_only_hydra(run_dir)
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return sweep_job(cfg, hydra_cfg, run_dir)
    return single_run(cfg, run_dir)


def single_run(cfg: DictConfig, run_dir: Path) -> float:
    from hydra.core.hydra_config import HydraConfig

    overrides = list(HydraConfig.get().overrides.task)
    try:
        result = execute(cfg, run_dir, overrides=overrides)
    except RunFolderBusy as e:  # another run writes into the same output.name: touch nothing of it
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except (NonFiniteState, PluginError) as e:  # the model's numbers or the user's rule broke: one line
        print(f"error: {e} (the run {run_dir} is marked failed in its manifest)", file=sys.stderr)
        sys.exit(1)
    print(f"{run_dir}: {summary_line(result, int(cfg.days))}")
    return float(result.summary(min(7, int(cfg.days))).loc["all", "wellbeing"])


def sweep_job(cfg: DictConfig, hydra_cfg: DictConfig, run_dir: Path) -> float | None:
    """One job of a sweep: skipped when its directory already holds the same complete run; a failure
    is recorded in its manifest and reported, and does not stop the other jobs."""

    sweep_dir = Path(str(hydra_cfg.sweep.dir))
    name = (
        str(run_dir.relative_to(sweep_dir.resolve())) if run_dir.is_relative_to(sweep_dir.resolve()) else run_dir.name
    )

    def say(text: str) -> None:
        done, total = progress(sweep_dir)
        print(f"[{done}/{total if total is not None else '?'}] {name}: {text}", flush=True)

    done_before, why = complete_run(run_dir, cfg)
    if done_before:  # no count: on a resumed sweep every skipped job would read "[n/n]"
        print(f"[skip] {name}: already complete, skipped", flush=True)
        return None
    try:
        result = execute(
            cfg,
            run_dir,
            overrides=list(hydra_cfg.overrides.task),
            show_progress=False,
            threads=job_threads(cfg, hydra_cfg),
            redo_reason=f"redone: {why}",
            on_set_aside=lambda moved: print(f"{name}: previous run moved to {moved} ({why})", flush=True),
        )
    except Exception as e:  # recorded in the manifest; the sweep goes on and lists it at the end
        say(f"FAILED {type(e).__name__}: {e}")
        return None
    say(f"{summary_line(result, int(cfg.days))}, {result.manifest['wall_time_s']:.0f} s")
    return float(result.summary(min(7, int(cfg.days))).loc["all", "wellbeing"])
