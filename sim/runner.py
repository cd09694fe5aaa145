"""Running one simulation from a composed config and writing its run directory."""

from __future__ import annotations

import datetime as dt
import platform as _platform
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sim import codecache, named_rules, results
from sim.config import ConfigError, compose, job_label, run_dir_name
from sim.model import FeedModel
from sim.ranking.plugins import provenance

PACKAGES = ("feedsim", "mesa", "numpy", "numba", "pandas", "pyarrow", "hydra-core", "omegaconf", "scipy")


def versions() -> dict[str, str]:
    out = {"python": _platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def set_threads(threads: int) -> None:
    import numba

    if threads > 0:
        numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))


def execute(
    cfg: DictConfig,
    run_dir: Path,
    score_fn=None,
    overrides: list[str] | None = None,
    show_progress: bool | None = None,
    threads: int | None = None,
    redo_reason: str | None = None,
    on_set_aside=None,
) -> results.RunResult:
    """Simulate ``cfg`` and write the run directory. The manifest says ``running`` from the start (so a
    killed run is recognisable), then ``complete`` after the tables, or ``failed`` with the error.
    ``overrides`` are recorded so that a sweep can match its jobs to their directories. A complete run
    already in the folder is first moved into ``superseded/``, recorded with ``redo_reason``, and
    ``on_set_aside(moved_to)`` says so (by default one line on stderr)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with results.claim(run_dir):
        reason = redo_reason or f"a new run was started in this folder at {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        moved = results.set_aside(run_dir, reason)
        results.remove_leftovers(run_dir)  # of an attempt killed mid-write: it could not clean up itself
        if moved is not None:
            if on_set_aside is None:
                print(f"{run_dir} held a complete run; it was moved to {moved}", file=sys.stderr, flush=True)
            else:
                on_set_aside(moved)
        return _simulate_and_write(cfg, run_dir, score_fn, overrides, show_progress, threads)


def _simulate_and_write(cfg, run_dir: Path, score_fn, overrides, show_progress, threads) -> results.RunResult:
    from tqdm.auto import tqdm

    started = dt.datetime.now().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    manifest = {
        "status": "running",
        "seed": int(cfg.seed),
        "label": job_label(cfg),
        "policy": cfg.policy.name,
        "overrides": list(overrides or []),
        "config": OmegaConf.to_container(cfg, resolve=True),
        "versions": versions(),
        "git_commit": git_commit(),
        "started": started,
        "command": results.command_line(),
    }
    if score_fn is not None:  # a rule passed to sim.run as a function: record where it came from
        manifest["score_fn"] = f"{getattr(score_fn, '__module__', '?')}.{getattr(score_fn, '__qualname__', '?')}"
    elif cfg.policy.get("score"):  # a plug-in rule named in the config: its file and the file's hash
        manifest["plugin"] = provenance(cfg.policy.score)
    results.write_manifest(run_dir, manifest)
    show_progress = bool(cfg.progress) if show_progress is None else show_progress
    try:
        set_threads(int(cfg.threads) if threads is None else threads)
        if codecache.is_cold():  # otherwise the first minute of a fresh checkout is silent
            print(
                "compiling the simulation kernels for this version of the code (first run only, about half a "
                f"minute; cached in {codecache.cache_root()})",
                file=sys.stderr,
                flush=True,
            )
        model = FeedModel(cfg, score_fn=score_fn)
        with tqdm(
            total=int(cfg.days),
            desc=f"{job_label(cfg)} s{cfg.seed}",
            unit="day",
            disable=not show_progress,
            leave=False,
            file=sys.stderr,
        ) as bar:
            model.run_days(int(cfg.days), bar)
        tables = {"daily": model.daily_table(), "users": model.users_table(), "posts": model.posts_table()}
        manifest.update(
            status="complete",
            wall_time_s=round(time.perf_counter() - t0, 3),
            finished=dt.datetime.now().isoformat(timespec="seconds"),
        )
        manifest = results.write_run(run_dir, tables, manifest)
    except BaseException as e:
        manifest.update(
            status="failed",
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc(),
            wall_time_s=round(time.perf_counter() - t0, 3),
            finished=dt.datetime.now().isoformat(timespec="seconds"),
        )
        if isinstance(getattr(e, "details", None), dict):  # a numerical guard (sim/guards.py): where and who
            manifest["nonfinite"] = e.details
        manifest.pop("tables", None)
        results.remove_tables(run_dir)
        try:
            results.write_manifest(run_dir, manifest)
        except OSError as write_error:  # e.g. the disk is full: the manifest still says "running", which
            print(
                f"warning: could not mark {run_dir} failed ({write_error}); its manifest says 'running', "  # readers
                "so it is still not read as complete",
                file=sys.stderr,
                flush=True,
            )  # refuse too
        raise
    return results.RunResult(**tables, manifest=manifest, path=run_dir)


def unique_dir(path: Path) -> Path:
    if not path.exists():
        return path
    for i in range(2, 10_000):
        candidate = path.with_name(f"{path.name}-{i}")
        if not candidate.exists():
            return candidate
    raise RuntimeError(f"cannot find a free run directory name near {path}")


def run(overrides: list[str] | None = None, score_fn=None) -> results.RunResult:
    """Compose the config for ``overrides`` (as on the command line), simulate, write and return it. A rule
    given as a Python function (``score_fn``) is a policy of its own, named and labelled after the function,
    with the candidate settings of ``conf/policy/custom.yaml``."""
    overrides = named_rules.expand(list(overrides or []))
    if score_fn is not None:
        given = [o.partition("=")[2] for o in overrides if o.partition("=")[0].lstrip("+") == "policy"]
        if any(g != "custom" for g in given):
            raise ConfigError(
                f"score_fn is not allowed with policy={given[0]}: that policy ranks by its own rule, and the run "
                "would be reported under its name; leave policy out (or give policy=custom)"
            )
        name = getattr(score_fn, "__name__", "")
        name = name if name.isidentifier() else "score_fn"  # a lambda is "<lambda>"
        keys = {o.partition("=")[0].lstrip("+") for o in overrides}
        overrides = (
            ["policy=custom", "policy.score=''", f"policy.name={name}"]
            + ([] if keys & {"label", "scenario"} else [f"label={name}"])
            + [o for o in overrides if o.partition("=")[0].lstrip("+") != "policy"]
        )
    cfg = compose(overrides)
    run_dir = unique_dir(Path(cfg.output.dir) / run_dir_name(cfg.output.name, cfg.label, cfg.policy.name, cfg.seed))
    return execute(cfg, run_dir, score_fn=score_fn, overrides=overrides)
