"""The sweep that the sweep tests and the report's tests share (tests/conftest.py makes it once per test
session as the ``resumed_sweep`` fixture; the modules that use it are in the xdist group "sweeps", so one
worker makes it): 2 labels x 3 seeds on a small population, killed after its first job and resumed.

The labels are scenario presets (AXIS, LABELS with the baseline first, and a third one in THIRD);
nothing else names a scenario."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sim.sweep import collect

AXIS = "scenario"
LABELS = ("status_quo", "civic_platform")  # the baseline first
BASELINE, ALTERNATIVE = LABELS
THIRD = "chronological"
LABEL_AXIS = f"{AXIS}={','.join(LABELS)}"
SEEDS = (0, 1, 2)
# The report's sections, in order (sim/report/build.py).
REPORT_SECTIONS = (
    "In brief",
    "Summary",
    "Time series",
    "Effects against the baseline",
    "Engagement and wellbeing",
    "Societal value",
    "Methods appendix",
)
SMALL = ["n_users=300", "days=3", "offline_days=2", "network.mean_out_degree=30", "progress=false"]


def job(label: str, seed: int | None = None) -> str:
    """A job's directory: the swept settings, sorted (Hydra's override_dirname)."""
    return ",".join(sorted([f"{AXIS}={label}"] + ([f"seed={seed}"] if seed is not None else [])))


def sweep_command(sweep_dir: Path, *extra: str, axis: str = LABEL_AXIS, seeds: str = "range(0,3)") -> list[str]:
    return [sys.executable, "-m", "sim", "-m", axis, f"seed={seeds}", *SMALL, f"hydra.sweep.dir={sweep_dir}", *extra]


def manifests(sweep_dir: Path) -> dict[str, dict]:
    out = {}
    for m in sweep_dir.glob("*/manifest.json"):
        try:
            out[m.parent.name] = json.loads(m.read_text())
        except json.JSONDecodeError:
            pass
    return out


def complete_jobs(sweep_dir: Path) -> dict[str, dict]:
    return {name: m for name, m in manifests(sweep_dir).items() if m.get("status") == "complete"}


def resumed_sweep(tmp_path_factory) -> dict:
    """Start the sweep, SIGKILL its whole process group once the first job is complete, then run the same
    command again. Returns what each step saw."""
    sweep_dir = tmp_path_factory.mktemp("sweep") / "s"
    log = sweep_dir.parent / "first.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(sweep_command(sweep_dir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 300
        while not complete_jobs(sweep_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep's own process group: the launcher and its workers
        proc.wait(timeout=60)
    before = complete_jobs(sweep_dir)
    mtimes = {name: (sweep_dir / name / "manifest.json").stat().st_mtime_ns for name in before}
    killed = collect(sweep_dir).jobs
    second = subprocess.run(sweep_command(sweep_dir), capture_output=True, text=True, timeout=600)
    return {
        "dir": sweep_dir,
        "before": before,
        "mtimes": mtimes,
        "second": second,
        "first_log": log.read_text(),
        "killed": killed,
    }
