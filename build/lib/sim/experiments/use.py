"""F11 (vulnerable adolescents use more and compare more; Fassi et al. 2025) and F12 (everyday use
levels; Nationaal Social Media Onderzoek 2025, imec Digimeter)."""

from __future__ import annotations

from sim.experiments.base import Context, measure


@measure("vulnerable_use")
def vulnerable_use(ctx: Context) -> dict[str, float]:
    """Among adolescents: daily minutes of the vulnerable minus the others; ratio of their upward
    comparisons per day."""
    users = ctx.run("main").users
    teens = users[users["age_group"] == "adolescent"]
    vulnerable, others = teens[teens["vulnerable"]], teens[~teens["vulnerable"]]
    return {
        "F11a": float(vulnerable["minutes_per_day"].mean() - others["minutes_per_day"].mean()),
        "F11b": float(vulnerable["upward_comparisons_per_day"].mean() / others["upward_comparisons_per_day"].mean()),
    }


@measure("use_levels")
def use_levels(ctx: Context) -> dict[str, float]:
    """Mean daily minutes of all users, and the share of users who use the platform daily (on at least
    ``daily_share`` of the days, as survey respondents who say they use it every day)."""
    run = ctx.run("main")
    everyone = run.daily[run.daily.group == "all"]
    days_used = (run.user_days["minutes"] > 0).mean(axis=0)
    return {
        "F12a": float(everyone["minutes_on_platform"].mean()),
        "F12b": float((days_used >= ctx.params["daily_share"]).mean()),
    }
