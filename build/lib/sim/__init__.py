"""feedsim: how the way a platform ranks its feed changes the wellbeing of the people who use it.

    import sim
    result = sim.run(["policy=civic", "n_users=5000", "days=28"])
    result.daily      # one row per (day, group)
    sim.load(result.path)

The same run from the command line: ``python -m sim policy=civic n_users=5000 days=28``.
"""

from __future__ import annotations

from sim import codecache

# Before any kernel module is imported: compiled kernels are cached per version of the code.
codecache.configure()

from sim.results import ResultsError, RunResult, load  # noqa: E402 (after the cache is configured)

__version__ = "0.1.0"
__all__ = ["run", "load", "RunResult", "ResultsError", "__version__"]


def run(overrides: list[str] | None = None, score_fn=None) -> RunResult:
    """Run one simulation with Hydra-style overrides (e.g. ``["policy=civic", "n_users=5000"]``) and
    write it under ``results/runs/``; see ``sim.runner.run``."""
    from sim.runner import run as _run

    return _run(overrides, score_fn=score_fn)
