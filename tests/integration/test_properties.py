"""Property-based tests (hypothesis): any valid configuration runs to the end and its state and tables keep
the model's invariants.

The configurations are drawn from every group of settings (population, network, behaviour, policy,
platform, scenario, metrics), small (10 to 120 users, 1 to 3 days) so that an example takes about a
second, and include the edges of what validation allows (zero, one, tiny and large values). The number of
examples is bounded for CI (``FEEDSIM_PROPERTY_EXAMPLES`` raises it; ``FEEDSIM_PROPERTY_RANDOM=1``
explores new examples instead of CI's fixed ones).

Invariants, per simulated day (read from the state at the end of the day, before the day's counters are
reset) and for the written tables:

- every floating-point number of the state is finite (sim/guards.py scans it; the run also checks itself);
- minutes, likes (given and received), posts, sessions and items seen are non-negative; a user's minutes
  on the platform in a day are at most 1440; night minutes are at most the day's minutes;
- each user's last night of sleep lasts between 0 and 24 hours;
- every share of the daily table lies in [0, 1];
- likes given equal likes received, each day and over the run (daily table, users table, posts table);
- no user vanishes: the users table has every user once, every day has every group with every user counted,
  every post's author is a user.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import guards, metrics
from sim.config import compose, group_options
from sim.results import load
from sim.runner import execute
from sim.state import (
    CD_ITEMS,
    CD_LIKES_GIVEN,
    CD_LIKES_RECEIVED,
    CD_MINUTES,
    CD_NIGHT_MINUTES,
    CD_POSTS,
    CD_SESSIONS,
    CD_WOKE,
)
from sim.vocabulary import AGE_GROUPS

EXAMPLES = int(os.environ.get("FEEDSIM_PROPERTY_EXAMPLES", "20"))
SHARE_COLUMNS = [c for c in metrics.DAILY if c.endswith("_share")] + ["time_limit_hits"]
COUNT_COLUMNS = [
    "minutes_on_platform",
    "night_minutes",
    "bed_minutes",
    "sessions",
    "posts",
    "likes",
    "likes_given",
    "items_seen",
    "upward_comparisons",
    "pause_nudges",
    "posts_removed",
]

unit = st.floats(0.0, 1.0)
edge_unit = st.one_of(st.sampled_from([0.0, 1.0, 1e-9]), unit)
hour = st.integers(0, 23)


@st.composite
def valid_overrides(draw) -> list[str]:
    n = draw(st.integers(10, 120))
    days = draw(st.integers(1, 3))
    o = {
        "seed": draw(st.integers(0, 2**32)),
        "n_users": n,
        "days": days,
        "offline_days": draw(st.integers(0, 2)),
        "behaviour.sleep.spin_up_days": draw(st.integers(0, 2)),
        "network.mean_out_degree": draw(st.integers(1, min(60, n - 1))),
        "network.reciprocity": draw(edge_unit),
        "network.homophily_ideology": draw(st.floats(0.0, 10.0)),
        "network.influencer_share": draw(st.sampled_from([0.0, 0.02, 0.5])),
        "population.phenotypes.poster_share": draw(edge_unit),
        "population.traits.comparison_zero_share": draw(edge_unit),
        "population.traits.ideology_sd": draw(st.sampled_from([0.0, 0.3, 5.0])),
        "behaviour.sleep.night_wake_prob": draw(edge_unit),
        "behaviour.sleep.debt_carryover": draw(edge_unit),
        "behaviour.sessions.habit_learning_rate": draw(edge_unit),
        "behaviour.posting.reward_floor": draw(st.sampled_from([1e-9, 0.1, 5.0])),
        "behaviour.posting.style_inverse_temperature": draw(st.sampled_from([0.0, 1.0, 50.0, 1e4])),
        "behaviour.posting.style_learning_rate": draw(edge_unit),
        "behaviour.response.like_intercept": draw(st.floats(-20.0, 5.0)),
        "behaviour.response.dwell_sd_log": draw(st.sampled_from([0.0, 0.5, 3.0])),
        "behaviour.response.dwell_base_s": draw(st.sampled_from([1e-3, 5.0, 600.0])),
        "behaviour.response.max_session_minutes": draw(st.sampled_from([1e-3, 15.0, 60.0])),
        "behaviour.response.engagement_memory": draw(edge_unit),
        "behaviour.comparison.status_scale": draw(st.sampled_from([1e-6, 1.0, 100.0])),
        "behaviour.wellbeing.session_mood_cap": draw(st.sampled_from([1e-6, 0.5, 100.0])),
        "behaviour.wellbeing.mood_half_life_h": draw(st.sampled_from([1e-3, 3.0, 1e4])),
        "behaviour.wellbeing.symptoms_time_constant_days": draw(st.sampled_from([1e-3, 30.0])),
        "behaviour.opinion.outgroup_distance": draw(st.sampled_from([1e-6, 0.5, 2.0])),
        "metrics.late_onset_hour": draw(st.floats(0.0, 11.99)),
        "metrics.bridging_min_rate": draw(edge_unit),
        "metrics.bridging_min_impressions": draw(st.integers(0, 10)),
    }
    start, end = draw(hour), draw(hour)
    if start != end:
        o["metrics.night_start_hour"], o["metrics.night_end_hour"] = start, end
    scenario = draw(st.sampled_from(group_options("scenario")))
    o["scenario"] = scenario
    if draw(st.booleans()):
        o["policy"] = draw(st.sampled_from([p for p in group_options("policy") if p != "custom"]))
    o["policy.estimation_noise"] = draw(st.sampled_from([0.0, 0.2, 10.0]))
    o["policy.author_cap"] = draw(st.integers(0, 5))
    o["policy.per_followee_cap"] = draw(st.integers(0, 5))
    # platform levers
    o["platform.counts"] = draw(st.sampled_from(["visible", "hidden", "hidden_for_minors"]))
    o["platform.notifications.mode"] = draw(st.sampled_from(["instant", "batched", "quiet_hours", "off"]))
    o["platform.notifications.batch_hours"] = draw(st.integers(1, 24))
    qs, qe = draw(hour), draw(hour)
    if qs != qe:
        o["platform.notifications.quiet_start"], o["platform.notifications.quiet_end"] = qs, qe
    o["platform.feed_end"] = draw(st.sampled_from(["infinite", "stopping_cue"]))
    o["platform.stopping_cue_items"] = draw(st.integers(1, 29))
    o["platform.stopping_cue_stop"] = draw(edge_unit)
    o["platform.pause_nudge.enabled"] = draw(st.booleans())
    o["platform.pause_nudge.after_minutes"] = draw(st.sampled_from([1e-3, 1.0, 20.0]))
    o["platform.time_limit.mode"] = draw(st.sampled_from(["none", "soft", "hard"]))
    o["platform.time_limit.minutes"] = draw(st.sampled_from([1e-3, 1.0, 60.0, 1439.0]))
    o["platform.time_limit.applies_to"] = draw(st.sampled_from(["all", "minors"]))
    o["platform.teen_accounts.enabled"] = draw(st.booleans())
    o["platform.moderation.enabled"] = draw(st.booleans())
    o["platform.moderation.recall"] = draw(edge_unit)
    o["platform.moderation.precision"] = draw(st.sampled_from([1e-3, 0.5, 1.0]))
    o["platform.moderation.latency_hours"] = draw(st.integers(0, 24))
    o["platform.moderation.strikes"] = draw(st.integers(1, 3))
    o["platform.moderation.suspension_days"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
    o["platform.media_literacy.enabled"] = draw(st.booleans())
    o["platform.media_literacy.comparison_factor"] = draw(edge_unit)
    deactivation = draw(st.booleans()) or scenario == "deactivation_study"
    o["platform.deactivation.enabled"] = deactivation
    if deactivation:
        d_start = draw(st.integers(0, days - 1))
        o["platform.deactivation.start_day"] = d_start
        o["platform.deactivation.end_day"] = draw(st.integers(d_start + 1, days))
        o["platform.deactivation.share"] = draw(edge_unit)
        o["platform.deactivation.groups"] = (
            "[" + ",".join(draw(st.lists(st.sampled_from(AGE_GROUPS), min_size=1, max_size=3, unique=True))) + "]"
        )
    return [f"{k}={v}" for k, v in o.items()] + ["progress=false"]


class DayRecorder:
    """Wraps metrics.end_of_day to check each user's counters of the day before they are reset."""

    def __init__(self):
        self.original = metrics.end_of_day
        self.days = []

    def __call__(self, day, users, masks, base, active, cfg):
        cd = users.calendar_day
        assert np.isfinite(cd).all()
        for col in (CD_MINUTES, CD_NIGHT_MINUTES, CD_SESSIONS, CD_POSTS, CD_LIKES_GIVEN, CD_LIKES_RECEIVED, CD_ITEMS):
            assert (cd[:, col] >= 0).all(), (day, col)
        assert (cd[:, CD_MINUTES] <= 1440 + 1e-6).all(), day
        assert (cd[:, CD_NIGHT_MINUTES] <= cd[:, CD_MINUTES] + 1e-6).all(), day
        assert (cd[:, CD_SESSIONS] <= 24).all(), day
        woke = cd[:, CD_WOKE] > 0
        sleep_h = users.last_sleep_h[woke]
        assert ((sleep_h >= 0) & (sleep_h <= 24)).all(), (day, sleep_h.min(), sleep_h.max())
        # every like given this day went to a post of a user or of an outside account (which has no counters)
        assert cd[:, CD_LIKES_GIVEN].sum() >= cd[:, CD_LIKES_RECEIVED].sum(), day
        self.days.append(
            {
                "day": day,
                "likes": float(cd[:, CD_LIKES_RECEIVED].sum()),
                "likes_given": float(cd[:, CD_LIKES_GIVEN].sum()),
                "posts": float(cd[:, CD_POSTS].sum()),
            }
        )
        return self.original(day, users, masks, base, active, cfg)


def check_tables(run, n_users: int, days: int, day_log: list[dict]) -> None:
    daily, users, posts = run.daily, run.users, run.posts
    # no user vanishes
    assert len(users) == n_users and (users["user_id"].to_numpy() == np.arange(n_users)).all()
    assert users["age_group"].isin(AGE_GROUPS).all()
    assert sorted(daily["day"].unique()) == list(range(days))
    for day, d in daily.groupby("day"):
        assert sorted(d["group"]) == sorted(metrics.GROUPS), day
        by = d.set_index("group")["n_users"]
        assert by["all"] == n_users and sum(by[g] for g in AGE_GROUPS) == n_users, day
    assert (posts["author"] >= 0).all()
    own = posts[posts["author"] < n_users]  # n_users and above: accounts outside the sample
    assert (posts["post_id"].to_numpy() == np.arange(len(posts))).all()
    # non-negative counts, shares in [0, 1], sleep in [0, 24]
    for c in COUNT_COLUMNS:
        assert (daily[c].dropna() >= 0).all(), c
    for c in SHARE_COLUMNS + ["active_share", "affective_polarization"]:
        assert daily[c].dropna().between(0, 1).all(), c
    assert daily["sleep_hours"].dropna().between(0, 24).all()
    assert (daily["sleep_debt_hours"].dropna() >= 0).all()
    for c in (
        "minutes_per_day",
        "night_minutes_per_day",
        "posts_total",
        "likes_received_total",
        "late_sleep_onset_days",
        "upward_comparisons_per_day",
        "strikes",
    ):
        assert (users[c] >= 0).all(), c
    assert (users["minutes_per_day"] <= 1440 + 1e-6).all()
    assert users["sleep_hours_mean"].dropna().between(0, 24).all()
    assert users["negative_experience_share"].between(0, 1).all()
    assert ((posts["likes"] >= 0) & (posts["likes"] <= posts["impressions"])).all()
    # likes given = likes received by users and outside accounts, and every table agrees on the totals
    everyone = daily[daily["group"] == "all"].sort_values("day")
    given = (everyone["likes_given"] * n_users).round().to_numpy()
    received = (everyone["likes"] * n_users).round().to_numpy()
    assert list(given) == [d["likes_given"] for d in day_log]
    assert list(received) == [d["likes"] for d in day_log]
    assert received.sum() == users["likes_received_total"].sum() == own["likes"].sum()
    assert given.sum() == posts["likes"].sum()
    assert (everyone["posts"] * n_users).round().sum() == users["posts_total"].sum() == len(own)
    # every number that should be is finite
    numeric = [c for c in daily.columns if pd.api.types.is_numeric_dtype(daily[c])]
    populated = daily[daily["n_users"] > 0]
    for c in (
        "wellbeing",
        "mood",
        "self_esteem",
        "symptoms",
        "loneliness",
        "minutes_on_platform",
        "posts",
        "likes",
        "affective_polarization",
        "sleep_debt_hours",
    ):
        assert np.isfinite(populated[c]).all(), c
    assert all(np.isfinite(daily[c].dropna()).all() for c in numeric)
    for c in ("wellbeing_start", "wellbeing_end", "symptoms_end", "affective_polarization_end", "minutes_per_day"):
        assert np.isfinite(users[c]).all(), c


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FEEDSIM_PROPERTY_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    print_blob=True,
)
@given(overrides=valid_overrides())
def test_any_valid_configuration_runs_and_keeps_the_invariants(overrides, tmp_path_factory, monkeypatch):
    cfg = compose(overrides)  # valid by construction: a ConfigError here is a bug of the strategy or the checks
    recorder = DayRecorder()
    monkeypatch.setattr(metrics, "end_of_day", recorder)
    run_dir = tmp_path_factory.mktemp("run")
    result = execute(cfg, run_dir)
    assert result.manifest["status"] == "complete"
    assert len(recorder.days) == int(cfg.days)
    check_tables(load(run_dir, verify=True), int(cfg.n_users), int(cfg.days), recorder.days)


def test_the_strategy_draws_from_every_group_of_settings():
    """The property test covers what it claims to (a strategy that lost a group would pass vacuously)."""
    from hypothesis import find

    example = find(valid_overrides(), lambda o: True, settings=settings(database=None))
    groups = {o.partition("=")[0].split(".")[0] for o in example}
    assert {
        "population",
        "network",
        "behaviour",
        "scenario",
        "platform",
        "metrics",
        "policy",
        "n_users",
        "days",
        "seed",
    } <= groups


def test_the_guard_scan_sees_a_finite_state_after_a_default_run():
    from sim.model import FeedModel

    model = FeedModel(
        compose(["n_users=50", "days=1", "offline_days=1", "progress=false", "network.mean_out_degree=10"])
    )
    model.run_days(1)
    assert guards.scan(model) is None
