"""F14: per-user outcomes do not depend on how many users are simulated."""

from __future__ import annotations

from sim.experiments.base import Context, measure
from sim.experiments.chronological import _all_users


@measure("population_size")
def population_size(ctx: Context) -> dict[str, float]:
    """Per-user outcomes of the default at a large minus a small population (same seed)."""
    small, large = _all_users(ctx.run("small").daily), _all_users(ctx.run("large").daily)
    last = int(small.index.max())
    return {
        "F14a": float(large["minutes_on_platform"].mean() / small["minutes_on_platform"].mean() - 1.0),
        "F14b": float(large["exposure_hostile_share"].mean() - small["exposure_hostile_share"].mean()),
        "F14c": float(large["wellbeing"].mean() - small["wellbeing"].mean()),
        "F14d": float(large["sleep_hours"].mean() - small["sleep_hours"].mean()),
        "F14e": float(large.loc[last, "affective_polarization_sd"] - small.loc[last, "affective_polarization_sd"]),
    }
