"""Shared fixtures. The Numba kernels are compiled (or loaded from the on-disk cache) once per test
session, in the controlling process before xdist workers start, so workers never compile in parallel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


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


@pytest.fixture
def python():
    return sys.executable


@pytest.fixture
def report(request):
    """Record a measured result to show in the test summary (for effects reported, not asserted).
    Stored as a user property, so it survives xdist workers."""
    return lambda text: request.node.user_properties.append(("measured", text))


def pytest_terminal_summary(terminalreporter):
    lines = [value for outcome in ("passed", "failed") for rep in terminalreporter.stats.get(outcome, [])
             if rep.when == "call" for key, value in rep.user_properties if key == "measured"]
    if lines:
        terminalreporter.section("measured results")
        for text in lines:
            terminalreporter.write_line(text)
