"""F7: deactivation improves wellbeing a little (Allcott, Braghieri, Eichmeyer & Gentzkow 2020)."""

from __future__ import annotations

from sim.experiments import stats
from sim.experiments.base import Context, measure


@measure("deactivation")
def deactivation(ctx: Context) -> dict[str, float]:
    """Half of the adults off the platform for four weeks after a two-week run-in (scenario
    deactivation_study). At the end of the off period: wellbeing of treated minus control adults (baseline
    SD), adjusted for wellbeing on the day before the off period began, as Allcott et al. adjusted for the
    baseline survey; the control adults' daily minutes during it (the time the treated freed); and the treated
    adults' use in the week after reactivation relative to the control adults'."""
    cfg = ctx.config("main")
    run = ctx.run("main")
    users = run.users
    start, end = int(cfg.platform.deactivation.start_day), int(cfg.platform.deactivation.end_day)
    adult = (users["age_group"] == "adult").to_numpy()
    assigned = users["treated"].to_numpy()
    treated, control = assigned & adult, ~assigned & adult
    wellbeing, minutes = run.user_days["wellbeing"], run.user_days["minutes"]
    last_off = end - 1
    after = slice(end, int(cfg.days))
    return {
        "F7a": stats.adjusted_treatment_effect(
            wellbeing[last_off, adult], assigned[adult], wellbeing[start - 1, adult]
        ),
        "F7b": float(minutes[start:end, control].mean()),
        "F7c": float(minutes[after, treated].mean() / minutes[after, control].mean()),
    }
