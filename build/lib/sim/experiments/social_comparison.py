"""F5: upward comparison hurts on average, not everyone (McComb, Vanman & Tobin 2023; Beyens et al. 2020)."""

from __future__ import annotations

import numpy as np

from sim.behaviour import comparison
from sim.experiments import stats
from sim.experiments.base import Context, measure
from sim.model import FeedModel


@measure("upward_comparison")
def upward_comparison(ctx: Context) -> dict[str, float]:
    """F5a, a lab experiment on the simulated population at day 0: one idealised post from a high-status
    author (the ``author_status_quantile`` of accounts, ``likes`` visible likes) against a neutral post;
    Hedges' g of state mood afterwards. The image is novel to the participant, so the response to it is
    the unhabituated one (behaviour/comparison.py). Every simulated participant is observed in both conditions (common
    random numbers), so the between-group g carries no sampling error from a random split. F5b/F5c, a week of use in the field
    run: per user, the within-person slope of mood at the end of each awake hour on the minutes of use in
    that hour; harmed below ``-person_threshold``, unaffected within it (Beyens et al. 2020's bands)."""

    p = ctx.params
    model = FeedModel(ctx.config("field"))  # the field run's population at day 0
    u = model.users
    cp = comparison.params(model.cfg)
    cap = float(model.cfg.behaviour.wellbeing.session_mood_cap)
    author_status = float(np.quantile(u.status, p["author_status_quantile"]))
    gap = np.array([comparison.status_gap(cp, float(v), author_status, np.log1p(p["likes"]), 1) for v in u.status])
    impact = u.comparison.astype(float) * np.tanh(gap / cp.status_scale)
    # the laboratory image is novel: habituation to the feed's comparisons does not transfer to it
    change = np.array([comparison.mood_change(cp, float(i), 0.0) for i in impact])
    mood = u.mood.astype(float)
    g = stats.hedges_g(mood + cap * np.tanh(change / cap), mood)

    hourly = ctx.run("field").hourly
    awake = hourly["awake_minutes"] > 0
    slopes = stats.person_slopes(
        np.where(awake, hourly["minutes"], np.nan), np.where(awake, hourly["mood"], np.nan), min_obs=int(p["min_hours"])
    )
    slopes = slopes[np.isfinite(slopes)]
    t = float(p["person_threshold"])
    return {"F5a": g, "F5b": float(np.mean(slopes < -t)), "F5c": float(np.mean(np.abs(slopes) <= t))}
