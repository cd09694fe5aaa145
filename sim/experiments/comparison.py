"""F5: upward comparison hurts on average, not everyone (McComb, Vanman & Tobin 2023; Beyens et al. 2020)."""

from __future__ import annotations

import numpy as np

from sim.behaviour import comparison
from sim.experiments import stats
from sim.experiments.base import Context, measure


@measure("upward_comparison")
def upward_comparison(ctx: Context) -> dict[str, float]:
    """F5a, a lab experiment on the simulated population at day 0: a random half sees one idealised post
    from a high-status author (the ``author_status_quantile`` of accounts, ``likes`` visible likes), the
    other half a neutral post; Hedges' g of state mood afterwards. F5b/F5c, a week of use in the field
    run: per user, the within-person slope of mood at the end of each awake hour on the minutes of use in
    that hour; harmed below ``-person_threshold``, unaffected within it (Beyens et al. 2020's bands)."""
    from sim.model import FeedModel

    p = ctx.params
    model = FeedModel(ctx.config("field"))  # the field run's population at day 0
    u = model.users
    cp = comparison.params(model.cfg)
    cap = float(model.cfg.behaviour.wellbeing.session_mood_cap)
    author_status = float(np.quantile(u.status, p["author_status_quantile"]))
    gap = np.array([comparison.status_gap(cp, float(v), author_status, np.log1p(p["likes"]), 1) for v in u.status])
    impact = u.comparison.astype(float) * np.tanh(gap / cp.status_scale)
    change = np.where(impact > 0, -cp.upward_mood * impact, -cp.downward_mood * impact)
    mood = u.mood.astype(float)
    exposed = np.random.default_rng(ctx.seed).permutation(u.n) < u.n // 2
    after = mood + np.where(exposed, cap * np.tanh(change / cap), 0.0)
    g = stats.hedges_g(after[exposed], after[~exposed])

    hourly = ctx.run("field").hourly
    awake = hourly["awake_minutes"] > 0
    slopes = stats.person_slopes(np.where(awake, hourly["minutes"], np.nan), np.where(awake, hourly["mood"], np.nan),
                                 min_obs=int(p["min_hours"]))
    slopes = slopes[np.isfinite(slopes)]
    t = float(p["person_threshold"])
    return {"F5a": g, "F5b": float(np.mean(slopes < -t)), "F5c": float(np.mean(np.abs(slopes) <= t))}
