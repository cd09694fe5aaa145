"""F6: negative experiences weigh more than positive ones (Primack et al. 2018)."""

from __future__ import annotations

from sim.experiments import stats
from sim.experiments.base import Context, measure


@measure("negative_experiences")
def negative_experiences(ctx: Context) -> dict[str, float]:
    """Cross-section at the end of the run among young adults (Primack et al. surveyed 18-30-year-olds):
    logistic regression of elevated symptoms on the shares of negative and of positive experiences (per
    10 percentage points), adjusted for daily time on the platform, as Primack et al. adjusted for total
    use (and demographics the simulation does not have)."""
    users = ctx.run("main").users
    users = users[users["age_group"] == ctx.params["age_group"]]
    threshold = float(ctx.config("main").metrics.elevated_symptoms_threshold)
    elevated = (users["symptoms_end"] > threshold).to_numpy()
    ors = stats.odds_ratios(
        elevated,
        {
            "negative": 10 * users["negative_experience_share"].to_numpy(),
            "positive": 10 * users["positive_experience_share"].to_numpy(),
            "hours_per_day": users["minutes_per_day"].to_numpy() / 60.0,
        },
    )
    return {"F6a": ors["negative"], "F6b": ors["positive"]}
