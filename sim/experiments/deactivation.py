"""F7: deactivation improves wellbeing a little (Allcott, Braghieri, Eichmeyer & Gentzkow 2020)."""

from __future__ import annotations

import numpy as np

from sim.experiments.base import Context, measure


@measure("deactivation")
def deactivation(ctx: Context) -> dict[str, float]:
    """Half of the adults off the platform for four weeks after a two-week run-in (scenario
    deactivation_study). At the end of the off period: wellbeing of treated minus control adults (baseline
    SD); the control adults' daily minutes during it (the time the treated freed); and the treated
    adults' use in the week after reactivation relative to the control adults'."""
    cfg = ctx.config("main")
    run = ctx.run("main")
    users = run.users
    start, end = int(cfg.platform.deactivation.start_day), int(cfg.platform.deactivation.end_day)
    adult = (users["age_group"] == "adult").to_numpy()
    treated = users["treated"].to_numpy() & adult
    control = ~users["treated"].to_numpy() & adult
    wellbeing, minutes = run.user_days["wellbeing"], run.user_days["minutes"]
    last_off = end - 1
    after = slice(end, int(cfg.days))
    return {
        "F7a": float(wellbeing[last_off, treated].mean() - wellbeing[last_off, control].mean()),
        "F7b": float(minutes[start:end, control].mean()),
        "F7c": float(minutes[after, treated].mean() / minutes[after, control].mean()),
    }
