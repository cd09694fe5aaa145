"""Number formats shared by the report's sections."""

from __future__ import annotations

import math

from sim import sweep as sweeps


def num(x: float, digits: int = 3, sign: bool = True) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def seed_counts(sweep: sweeps.Sweep, labels: list[str]) -> dict[str, list[int]]:
    c = sweep.complete
    return {lab: sorted(int(s) for s in c[c["label"] == lab]["seed"]) for lab in labels}
