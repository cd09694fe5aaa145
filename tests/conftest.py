"""Shared fixtures. The Numba kernels are compiled (or loaded from the on-disk cache) once per test
session, in the controlling process before xdist workers start, so workers never compile in parallel."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has warmed up
        return
    from sim.warmup import warm_up

    warm_up()


def small_overrides(**extra) -> list[str]:
    """A small, fast population for tests."""
    base = {"n_users": 300, "days": 3, "offline_days": 3, "progress": "false"}
    base.update(extra)
    return [f"{k}={v}" for k, v in base.items()]


@pytest.fixture
def compose_small():
    from sim.config import compose

    def make(**extra):
        return compose(small_overrides(**extra))

    return make


@pytest.fixture(scope="session")
def resumed_sweep(tmp_path_factory):
    """A sweep of 2 labels x 3 seeds, killed after its first job and resumed (tests/sweeps.py), made once and
    shared by the sweep tests and the report's tests; they are in the xdist group "sweeps", so one worker
    makes it. Tests that change it work on a copy."""
    from tests import sweeps

    return sweeps.resumed_sweep(tmp_path_factory)


@pytest.fixture
def python():
    return sys.executable


@pytest.fixture
def report(request):
    """Record a measured result to show in the test summary (for effects reported, not asserted).
    Stored as a user property, so it survives xdist workers."""
    return lambda text: request.node.user_properties.append(("measured", text))


def pytest_terminal_summary(terminalreporter):
    lines = [
        value
        for outcome in ("passed", "failed")
        for rep in terminalreporter.stats.get(outcome, [])
        if rep.when == "call"
        for key, value in rep.user_properties
        if key == "measured"
    ]
    if lines:
        terminalreporter.section("measured results")
        for text in lines:
            terminalreporter.write_line(text)


# What a run or sweep directory may hold. Results (tables, manifests, sweep plans) are Parquet and JSON;
# Hydra's record of the configuration is YAML (.hydra/, multirun.yaml); logs are text; a report is Markdown, HTML, PDF, CSV and PNG.
RESULT_SUFFIXES = {".parquet", ".json"}
OTHER_SUFFIXES = {
    ".yaml": ".hydra",
    ".log": None,
    ".md": "report",
    ".html": "report",
    ".csv": "report",
    ".png": "report",
    ".pdf": "report",
}
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def assert_no_pickle(directory: Path) -> list[Path]:
    """Every file under ``directory`` is Parquet or JSON, or one of the few other kinds above where they
    belong, and none is a pickle whatever its name. Returns the files seen."""
    files = [p for p in Path(directory).rglob("*") if p.is_file()]
    assert files, directory
    for p in files:
        head = p.read_bytes()[:4]
        assert not head.startswith(PICKLE_MAGIC), f"{p} is a pickle"
        if p.suffix in RESULT_SUFFIXES:
            if p.suffix == ".parquet":
                assert head == b"PAR1", f"{p} is not a Parquet file"
            else:
                import json

                json.loads(p.read_text())  # raises if not JSON
            continue
        assert p.suffix in OTHER_SUFFIXES, f"{p}: a {p.suffix or 'suffix-less'} file among the results"
        where = OTHER_SUFFIXES[p.suffix]
        if p.relative_to(directory) == Path("multirun.yaml"):  # Hydra's record of the sweep
            continue
        assert where is None or where in p.relative_to(directory).parts, f"{p} outside {where}/"
    return files
