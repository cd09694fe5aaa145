"""Compile (or load from Numba's on-disk cache) every kernel by running a tiny model.

``python -m sim.warmup`` takes about a minute with a cold cache and a few seconds with a warm one.
"""

from __future__ import annotations

import time

from sim.config import compose
from sim.model import FeedModel


def warm_up(verbose: bool = False) -> float:

    t0 = time.perf_counter()
    for policy in ("engagement", "chronological"):
        cfg = compose(["n_users=200", "days=1", "offline_days=1", "progress=false", f"policy={policy}"])
        FeedModel(cfg).run_days(1)
    elapsed = time.perf_counter() - t0
    if verbose:
        print(f"kernels ready in {elapsed:.1f} s")
    return elapsed


if __name__ == "__main__":
    warm_up(verbose=True)
