"""F8: a chronological feed means less time on the platform and the same polarisation (Guess et al. 2023)."""

from __future__ import annotations

from sim.experiments.base import Context, measure


@measure("chronological_feed")
def chronological_feed(ctx: Context) -> dict[str, float]:
    """Engagement versus chronological ranking for the length of the study, same seed: the relative
    difference in mean daily minutes over the run, and the difference in the change of affective
    polarisation since day 0 (baseline SD) on the last day."""
    eng = ctx.run("engagement").daily
    chrono = ctx.run("chronological").daily
    eng, chrono = eng[eng.group == "all"].set_index("day"), chrono[chrono.group == "all"].set_index("day")
    last = int(eng.index.max())
    return {
        "F8a": float(chrono["minutes_on_platform"].mean() / eng["minutes_on_platform"].mean() - 1.0),
        "F8b": float(chrono.loc[last, "affective_polarization_sd"] - eng.loc[last, "affective_polarization_sd"]),
    }
