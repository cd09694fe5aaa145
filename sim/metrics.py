"""Outcome definitions: every number an analyst reads is defined here, once, with its unit.

The ``daily`` table has one row per (day, group) with the columns of ``DAILY``; the ``users`` table one
row per user with the columns of ``USERS``. ``docs/reference/outputs.md`` is generated from these definitions
(``python -m sim.metrics > docs/reference/outputs.md``).

The wellbeing index is a composite of mood, self-esteem, (reversed) symptoms and (reversed) loneliness,
each standardised by the population's mean and SD at the end of the offline burn-in (the no-platform
state, identical across scenarios with the same seed), then the composite standardised the same way:
0 is the population's no-platform mean and a difference of 0.1 is a tenth of a baseline SD, the unit
of the literature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.checks import Checker, fail
from sim.state import (
    CD_BED_MINUTES,
    CD_BRIDGING,
    CD_CAUGHT_UP,
    CD_HOSTILE,
    CD_IDEALISED,
    CD_ITEMS,
    CD_LIKES_GIVEN,
    CD_LIKES_RECEIVED,
    CD_LIMIT_HITS,
    CD_MINUTES,
    CD_MOOD_N,
    CD_MOOD_SUM,
    CD_NIGHT_MINUTES,
    CD_NUDGES,
    CD_OUTRAGE_POSTS,
    CD_POSTS,
    CD_POSTS_REMOVED,
    CD_SESSIONS,
    CD_SUPPORTIVE,
    CD_UPWARD,
    CD_WOKE,
    TOT_EXPERIENCES,
    TOT_LATE_ONSETS,
    TOT_LIKES_RECEIVED,
    TOT_MINUTES,
    TOT_NEGATIVE,
    TOT_NIGHT_MINUTES,
    TOT_NIGHTS,
    TOT_POSITIVE,
    TOT_POSTS,
    TOT_SLEEP_H,
    TOT_UPWARD,
    UserState,
)
from sim.vocabulary import AGE_GROUPS

GROUPS = ("all",) + AGE_GROUPS + ("vulnerable",)

# column -> (unit, definition). The first columns are the output contract of docs/design/reference-design.md section 7.
DAILY = {
    "day": ("day", "simulated day, 0 = the first"),
    "group": ("", "all, adolescent (13-17), young_adult (18-25), adult (26+), vulnerable (any age)"),
    "n_users": ("users", "users in the group"),
    "wellbeing": (
        "baseline SD",
        "mean wellbeing index (composite of mood, self-esteem, symptoms, "
        "loneliness), 0 = population mean without the platform (end of the offline burn-in)",
    ),
    "mood": ("trait SD", "mean over users of the day's mean mood while awake"),
    "self_esteem": ("trait SD", "mean self-esteem at the end of the day"),
    "symptoms": ("trait SD", "mean internalising symptoms at the end of the day"),
    "elevated_symptoms_share": ("share", "share of users with symptoms above metrics.elevated_symptoms_threshold"),
    "loneliness": ("trait SD", "mean loneliness at the end of the day"),
    "sleep_hours": ("hours", "mean length of the night that ended this day (users who woke this day)"),
    "sleep_debt_hours": ("hours", "mean accumulated sleep debt at the end of the day"),
    "late_sleep_onset_share": (
        "share",
        "share of users who woke this day whose sleep began at or after metrics.late_onset_hour (and before noon)",
    ),
    "minutes_on_platform": ("minutes/user/day", "mean time on the platform"),
    "night_minutes": (
        "minutes/user/day",
        "mean time on the platform between metrics.night_start_hour and metrics.night_end_hour",
    ),
    "sessions": ("sessions/user/day", "mean number of sessions (at most one per user-hour)"),
    "posts": ("posts/user/day", "mean number of posts created"),
    "likes": ("likes/user/day", "mean number of likes received"),
    "exposure_hostile_share": ("share", "outrage/hostile items among all items seen by the group"),
    "exposure_idealised_share": ("share", "idealised items among all items seen"),
    "exposure_supportive_share": ("share", "personal/supportive items among all items seen"),
    "exposure_bridging_share": (
        "share",
        "items seen that were liked on both sides of the ideological "
        "divide (like rate >= metrics.bridging_min_rate among viewers left and "
        "right of centre, each with >= metrics.bridging_min_impressions)",
    ),
    "post_outrage_share": ("share", "outrage/hostile posts among the posts the group created"),
    "affective_polarization": ("0-1 scale", "mean out-group animosity (feeling thermometer / 100)"),
    # additional columns
    "affective_polarization_sd": (
        "baseline SD",
        "change in mean out-group animosity since day 0, in SDs of the baseline distribution",
    ),
    "daily_user_share": ("share", "share of users with any time on the platform this day"),
    "bed_minutes": ("minutes/user/day", "mean time on the platform in bed or after being woken at night"),
    "items_seen": ("items/user/day", "mean number of feed items seen"),
    "likes_given": ("likes/user/day", "mean number of likes given"),
    "upward_comparisons": (
        "items/user/day",
        "mean number of idealised items seen from authors of higher perceived status",
    ),
    # platform interventions (sim/platform/)
    "active_share": (
        "share",
        "share of users whose account is active at the end of the day (not in the "
        "off period of a deactivation experiment)",
    ),
    "pause_nudges": ("nudges/user/day", "mean number of 'take a break' prompts shown (platform.pause_nudge)"),
    "time_limit_hits": ("share", "share of users who reached their daily time limit (platform.time_limit)"),
    "posts_removed": ("posts/user/day", "mean number of the group's posts removed by moderation (platform.moderation)"),
    "caught_up_share": (
        "share",
        "share of sessions that saw every post the ranking had, fewer than a full feed of policy.k items "
        "(the feed ran dry: 'you're all caught up')",
    ),
}

USERS = {
    "user_id": ("", "user index, 0 .. n_users - 1"),
    "age_group": ("", "adolescent, young_adult or adult"),
    "vulnerable": ("bool", "in the vulnerable (internalising symptoms) subgroup"),
    "ideology": ("-1..1", "left (-1) to right (+1)"),
    "treated": ("bool", "assigned to an intervention's treatment arm (e.g. deactivation)"),
    "followers": ("users", "number of followers"),
    "minutes_per_day": ("minutes/day", "mean time on the platform"),
    "night_minutes_per_day": ("minutes/day", "mean time on the platform at night (metrics.night_*)"),
    "posts_total": ("posts", "posts created in the run"),
    "likes_received_total": ("likes", "likes received in the run"),
    "wellbeing_start": ("baseline SD", "wellbeing index at day 0 (no-platform state)"),
    "wellbeing_end": ("baseline SD", "wellbeing index at the end of the last day"),
    "symptoms_end": ("trait SD", "symptoms at the end of the run"),
    "sleep_hours_mean": ("hours", "mean length of the user's nights"),
    "late_sleep_onset_days": ("days", "nights that began at or after metrics.late_onset_hour"),
    "negative_experience_share": (
        "share",
        "negative experiences (sessions whose net effect on mood was "
        "below -behaviour.wellbeing.session_event_threshold, feedback below "
        "expectation, hostile replies) among all experiences (sessions, feedback "
        "events, replies)",
    ),
    "affective_polarization_end": ("0-1 scale", "out-group animosity at the end of the run"),
    # additional columns
    "positive_experience_share": (
        "share",
        "positive experiences (sessions whose net effect on mood was "
        "above behaviour.wellbeing.session_event_threshold, feedback above "
        "expectation) among all experiences",
    ),
    "influencer": ("bool", "one of the high-fitness accounts that post idealised content"),
    "comparison_orientation": ("trait", "tendency to compare oneself with others"),
    "upward_comparisons_per_day": ("items/day", "idealised items seen from higher-status authors"),
    "symptoms_start": ("trait SD", "symptoms at day 0 (no-platform state)"),
    "sleep_need_h": ("hours", "the user's sleep length on free days without the platform"),
    "habit_weight": ("0-1", "weight w of habit in the user's posting policy (Turner et al. 2025 phenotype)"),
    "media_literacy": ("bool", "received media-literacy training (platform.media_literacy)"),
    "strikes": ("removals", "posts removed by moderation in the run (platform.moderation)"),
}


@dataclass
class Baseline:
    """Population means and SDs before the first simulated hour (the standardisation reference)."""

    mean: dict[str, float]
    sd: dict[str, float]


COMPONENTS = (("mood", 1.0), ("self_esteem", 1.0), ("symptoms", -1.0), ("loneliness", -1.0))


def _composite(values: dict[str, np.ndarray], base: Baseline, weights) -> np.ndarray:
    z = np.zeros_like(values["mood"], dtype=np.float64)
    for name, sign in COMPONENTS:
        z += sign * float(weights[name]) * (values[name] - base.mean[name]) / base.sd[name]
    return z


def make_baseline(users: UserState, mood: np.ndarray, weights) -> Baseline:
    """Reference statistics from the state at the end of the offline burn-in (``mood`` is each user's
    mean daily mood over the burn-in's last week)."""
    values = {
        "mood": mood,
        "self_esteem": users.self_esteem.astype(np.float64),
        "symptoms": users.symptoms.astype(np.float64),
        "loneliness": users.loneliness.astype(np.float64),
    }
    mean = {k: float(v.mean()) for k, v in values.items()}
    sd = {k: float(v.std()) or 1.0 for k, v in values.items()}
    pol = users.polarization.astype(np.float64)
    mean["polarization"], sd["polarization"] = float(pol.mean()), float(pol.std()) or 1.0
    base = Baseline(mean, sd)
    comp = _composite(values, base, weights)
    base.mean["composite"], base.sd["composite"] = float(comp.mean()), float(comp.std()) or 1.0
    return base


def wellbeing_index(users: UserState, mood: np.ndarray, base: Baseline, weights) -> np.ndarray:
    values = {
        "mood": mood,
        "self_esteem": users.self_esteem.astype(np.float64),
        "symptoms": users.symptoms.astype(np.float64),
        "loneliness": users.loneliness.astype(np.float64),
    }
    return (_composite(values, base, weights) - base.mean["composite"]) / base.sd["composite"]


def group_masks(users: UserState) -> dict[str, np.ndarray]:
    masks = {"all": np.ones(users.n, bool)}
    for i, g in enumerate(AGE_GROUPS):
        masks[g] = users.age_group == i
    masks["vulnerable"] = users.vulnerable == 1
    return masks


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    d = float(den.sum())
    return float(num.sum()) / d if d > 0 else float("nan")


def day_mood(users: UserState) -> np.ndarray:
    cd = users.calendar_day
    n = cd[:, CD_MOOD_N]
    return np.where(n > 0, cd[:, CD_MOOD_SUM] / np.maximum(n, 1), users.mood)


def late_onset(users: UserState, late_onset_hour: float) -> np.ndarray:
    return (users.last_onset_hod >= late_onset_hour) & (users.last_onset_hod < 12.0)


def end_of_day(
    day: int, users: UserState, masks: dict[str, np.ndarray], base: Baseline, active: np.ndarray, cfg
) -> tuple[list[dict], np.ndarray]:
    """The day's rows of the daily table and each user's wellbeing index; also books the day's nights
    into the users' totals. ``active`` marks accounts that are not deactivated."""
    cd = users.calendar_day
    mt = cfg.metrics
    weights = cfg.behaviour.wellbeing.composite_weights
    mood = day_mood(users)
    wb = wellbeing_index(users, mood, base, weights)
    woke = cd[:, CD_WOKE] > 0
    late = late_onset(users, mt.late_onset_hour)
    users.totals[woke, TOT_SLEEP_H] += users.last_sleep_h[woke]
    users.totals[woke, TOT_NIGHTS] += 1
    users.totals[woke & late, TOT_LATE_ONSETS] += 1
    elevated = users.symptoms > mt.elevated_symptoms_threshold
    rows = []
    for group, mask in masks.items():
        m = mask
        mw = m & woke
        items = cd[m, CD_ITEMS]
        pol = users.polarization[m].astype(np.float64)
        rows.append(
            {
                "day": day,
                "group": group,
                "n_users": int(m.sum()),
                "wellbeing": _mean(wb[m]),
                "mood": _mean(mood[m]),
                "self_esteem": _mean(users.self_esteem[m].astype(np.float64)),
                "symptoms": _mean(users.symptoms[m].astype(np.float64)),
                "elevated_symptoms_share": _mean(elevated[m]),
                "loneliness": _mean(users.loneliness[m].astype(np.float64)),
                "sleep_hours": _mean(users.last_sleep_h[mw].astype(np.float64)),
                "sleep_debt_hours": _mean(users.sleep_debt_h[m].astype(np.float64)),
                "late_sleep_onset_share": _mean(late[mw]),
                "minutes_on_platform": _mean(cd[m, CD_MINUTES]),
                "night_minutes": _mean(cd[m, CD_NIGHT_MINUTES]),
                "sessions": _mean(cd[m, CD_SESSIONS]),
                "posts": _mean(cd[m, CD_POSTS]),
                "likes": _mean(cd[m, CD_LIKES_RECEIVED]),
                "exposure_hostile_share": _ratio(cd[m, CD_HOSTILE], items),
                "exposure_idealised_share": _ratio(cd[m, CD_IDEALISED], items),
                "exposure_supportive_share": _ratio(cd[m, CD_SUPPORTIVE], items),
                "exposure_bridging_share": _ratio(cd[m, CD_BRIDGING], items),
                "post_outrage_share": _ratio(cd[m, CD_OUTRAGE_POSTS], cd[m, CD_POSTS]),
                "affective_polarization": _mean(pol),
                "affective_polarization_sd": (_mean(pol) - base.mean["polarization"]) / base.sd["polarization"],
                "daily_user_share": _mean(cd[m, CD_MINUTES] > 0),
                "bed_minutes": _mean(cd[m, CD_BED_MINUTES]),
                "items_seen": _mean(items),
                "likes_given": _mean(cd[m, CD_LIKES_GIVEN]),
                "upward_comparisons": _mean(cd[m, CD_UPWARD]),
                "active_share": _mean(active[m] == 1),
                "pause_nudges": _mean(cd[m, CD_NUDGES]),
                "time_limit_hits": _mean(cd[m, CD_LIMIT_HITS] > 0),
                "posts_removed": _mean(cd[m, CD_POSTS_REMOVED]),
                "caught_up_share": _ratio(cd[m, CD_CAUGHT_UP], cd[m, CD_SESSIONS]),
            }
        )
    return rows, wb


USER_DAY_SNAPSHOT = {
    "mood": ("trait SD", "the day's mean mood while awake (as the daily `mood` column, per user)"),
    "wellbeing": ("baseline SD", "wellbeing index at the end of the day"),
    "minutes": ("minutes", "time on the platform this day"),
    "night_minutes": ("minutes", "time on the platform at night (metrics.night_*) this day"),
    "woke": ("bool", "the user woke this day (so the sleep columns describe last night)"),
    "sleep_hours": ("hours", "length of the night that ended this day"),
    "sleep_deficit_hours": ("hours", "sleep need minus last night's sleep, if positive"),
    "late_onset": ("bool", "last night's sleep began at or after metrics.late_onset_hour"),
    "upward_comparisons": ("items", "idealised items seen from higher-status authors this day"),
}


def user_day_snapshot(users: UserState, wellbeing: np.ndarray, late_onset_hour: float) -> dict[str, np.ndarray]:
    """Per-user values of the day just ended (USER_DAY_SNAPSHOT), taken before the day's counters reset;
    the panels of the validation experiments are built from them."""
    cd = users.calendar_day
    return {
        "mood": day_mood(users).astype(np.float64),
        "wellbeing": wellbeing.astype(np.float64),
        "minutes": cd[:, CD_MINUTES].copy(),
        "night_minutes": cd[:, CD_NIGHT_MINUTES].copy(),
        "woke": cd[:, CD_WOKE] > 0,
        "sleep_hours": users.last_sleep_h.astype(np.float64),
        "sleep_deficit_hours": users.last_deficit_h.astype(np.float64),
        "late_onset": late_onset(users, late_onset_hour),
        "upward_comparisons": cd[:, CD_UPWARD].copy(),
    }


def users_table(
    users: UserState, days: int, wellbeing_start: np.ndarray, wellbeing_end: np.ndarray, symptoms_start: np.ndarray
) -> dict[str, np.ndarray]:
    tot = users.totals
    nights = tot[:, TOT_NIGHTS]
    exp = tot[:, TOT_EXPERIENCES]
    return {
        "user_id": np.arange(users.n, dtype=np.int64),
        "age_group": np.array(AGE_GROUPS, dtype=object)[users.age_group],
        "vulnerable": users.vulnerable.astype(bool),
        "ideology": users.ideology.astype(np.float64),
        "treated": users.treated.astype(bool),
        "followers": users.followers.astype(np.int64),
        "minutes_per_day": tot[:, TOT_MINUTES] / days,
        "night_minutes_per_day": tot[:, TOT_NIGHT_MINUTES] / days,
        "posts_total": tot[:, TOT_POSTS].astype(np.int64),
        "likes_received_total": tot[:, TOT_LIKES_RECEIVED].astype(np.int64),
        "wellbeing_start": wellbeing_start,
        "wellbeing_end": wellbeing_end,
        "symptoms_end": users.symptoms.astype(np.float64),
        "sleep_hours_mean": np.where(nights > 0, tot[:, TOT_SLEEP_H] / np.maximum(nights, 1), np.nan),
        "late_sleep_onset_days": tot[:, TOT_LATE_ONSETS].astype(np.int64),
        "negative_experience_share": np.where(exp > 0, tot[:, TOT_NEGATIVE] / np.maximum(exp, 1), 0.0),
        "affective_polarization_end": users.polarization.astype(np.float64),
        "positive_experience_share": np.where(exp > 0, tot[:, TOT_POSITIVE] / np.maximum(exp, 1), 0.0),
        "influencer": users.influencer.astype(bool),
        "comparison_orientation": users.comparison.astype(np.float64),
        "upward_comparisons_per_day": tot[:, TOT_UPWARD] / days,
        "symptoms_start": symptoms_start,
        "sleep_need_h": users.sleep_need_h.astype(np.float64),
        "habit_weight": users.habit_weight.astype(np.float64),
        "media_literacy": users.media_literacy.astype(bool),
        "strikes": users.strikes.astype(np.int64),
    }


def markdown() -> str:
    """docs/reference/outputs.md, generated from the definitions above."""
    lines = [
        "# Outputs",
        "",
        "Generated from `sim/metrics.py` by `python -m sim.metrics > docs/reference/outputs.md`;",
        "do not edit by hand.",
        "",
        "A run directory holds `daily.parquet`, `users.parquet`, `posts.parquet` and `manifest.json`.",
        "",
        "## daily.parquet",
        "",
        "One row per (day, group).",
        "",
        "| column | unit | definition |",
        "|---|---|---|",
    ]
    lines += [f"| `{k}` | {u} | {d} |" for k, (u, d) in DAILY.items()]
    lines += ["", "## users.parquet", "", "One row per user.", "", "| column | unit | definition |", "|---|---|---|"]
    lines += [f"| `{k}` | {u} | {d} |" for k, (u, d) in USERS.items()]
    lines += ["", "## posts.parquet", "", "One row per post.", "", "| column | unit | definition |", "|---|---|---|"]
    lines += [f"| `{k}` | {u} | {d} |" for k, (u, d) in POSTS.items()]
    lines += [
        "",
        "## manifest.json",
        "",
        "`status` (`running` from the start, then `complete` or `failed` with `error` and `traceback`),",
        "`seed`, `label` (the name sweeps and reports use: the scenario's `label`, else the policy's name),",
        "`policy`, `overrides` (the settings given), `config` (the resolved configuration), `versions`,",
        "`git_commit`, `wall_time_s`, `started`, `finished`, `tables` (row counts and content hashes).",
        "",
        "Sweep directories and their tables: [studies.md](../guide/studies.md).",
        "",
    ]
    return "\n".join(lines)


POSTS = {
    "post_id": ("", "post index in creation order"),
    "author": ("", "user_id of the author; n_users and above: an account outside the sample (network.external)"),
    "created_hour": ("hour", "simulated hour of creation, 0 = midnight before day 0"),
    "style": ("", "personal, idealised, outrage or informational"),
    "likes": ("likes", "likes received"),
    "impressions": ("views", "times the post was seen in a feed"),
    "quality": ("0-1", "informational quality"),
    "hostile_replies": ("replies", "hostile replies received"),
    "removed": ("bool", "removed by moderation (platform.moderation)"),
    "topic": ("", "topic index, 0 to behaviour.interests.topics - 1 (docs/reference/model.md, section 7.1)"),
}


if __name__ == "__main__":
    print(markdown(), end="")


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``metrics`` settings (run by ``sim.config.validate``)."""
    mt = "metrics"
    c.finite(f"{mt}.elevated_symptoms_threshold")
    c.hour(f"{mt}.late_onset_hour", integer=False)
    if c.get(f"{mt}.late_onset_hour") >= 12:
        fail(
            f"{mt}.late_onset_hour",
            c.get(f"{mt}.late_onset_hour"),
            "must be before noon (0 <= h < 12): onsets from noon on count as the previous night's",
        )
    c.hour(f"{mt}.night_start_hour", f"{mt}.night_end_hour")
    if c.get(f"{mt}.night_start_hour") == c.get(f"{mt}.night_end_hour"):
        fail(
            f"{mt}.night_end_hour",
            c.get(f"{mt}.night_end_hour"),
            "must differ from metrics.night_start_hour (the night window would be empty)",
        )
    c.probability(f"{mt}.bridging_min_rate")
    if c.get(f"{mt}.bridging_min_impressions") < 0:
        fail(
            f"{mt}.bridging_min_impressions", c.get(f"{mt}.bridging_min_impressions"), "must be 0 or a positive integer"
        )
