"""F8: a chronological feed means less time on the platform and the same polarisation (Guess et al. 2023); F13: a
feed ranked worst-first loses more time than a chronological one; F15: civic ranking costs some time (Facebook's
News Feed changes of Q4 2017 and 2018)."""

from __future__ import annotations

from sim.experiments.base import Context, measure


@measure("chronological_feed")
def chronological_feed(ctx: Context) -> dict[str, float]:
    """Engagement versus chronological ranking for the length of the study, same seed: the relative
    difference in mean daily minutes over the run, and the difference in the change of affective
    polarisation since day 0 (baseline SD) on the last day; and the share of chronological sessions that
    saw every post the feed had."""
    eng = ctx.run("engagement").daily
    chrono = ctx.run("chronological").daily
    eng, chrono = eng[eng.group == "all"].set_index("day"), chrono[chrono.group == "all"].set_index("day")
    last = int(eng.index.max())
    return {
        "F8a": float(chrono["minutes_on_platform"].mean() / eng["minutes_on_platform"].mean() - 1.0),
        "F8b": float(chrono.loc[last, "affective_polarization_sd"] - eng.loc[last, "affective_polarization_sd"]),
        # sessions-weighted: the share of all the chronological feed's sessions that ran dry
        "F8c": float((chrono["caught_up_share"] * chrono["sessions"]).sum() / chrono["sessions"].sum()),
    }


def _all_users(daily):
    """The daily table's rows for all users, by day."""
    return daily[daily.group == "all"].set_index("day")


@measure("worst_first_feed")
def worst_first_feed(ctx: Context) -> dict[str, float]:
    """Time on the platform under chronological and worst-first ranking, each relative to engagement ranking
    (same seed); F13 is worst-first minus chronological."""
    minutes = {arm: _all_users(ctx.run(arm).daily)["minutes_on_platform"].mean() for arm in ctx.spec.arms}
    relative = {arm: minutes[arm] / minutes["engagement"] - 1.0 for arm in ("chronological", "worst_first")}
    return {"F13": float(relative["worst_first"] - relative["chronological"])}


@measure("civic_ranking_time")
def civic_ranking_time(ctx: Context) -> dict[str, float]:
    """Time on the platform under the civic ranking rule relative to engagement ranking (same seed)."""
    minutes = {arm: _all_users(ctx.run(arm).daily)["minutes_on_platform"].mean() for arm in ("engagement", "civic")}
    return {"F15": float(minutes["civic"] / minutes["engagement"] - 1.0)}
