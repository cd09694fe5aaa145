"""ExplorerModel: two scenarios in lockstep with common random numbers, and the hour trace that the
one-user view reads, checked against the engine's own daily metrics."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.config import ConfigError
from sim.explorer.model import ExplorerModel, HourTrace
from sim.explorer.settings import RULE
from sim.state import (
    DAY_SESSION,
    IDEALISED,
    NIGHT_SESSION,
    NO_SESSION,
    OUTRAGE,
    TOT_MINUTES,
    TOTALS,
)

SMALL = {"n_users": 300, "seed": 5, "days": 2}
TUTORIAL_RULES = Path(__file__).resolve().parents[2] / "experiments" / "plugin_tutorial" / "rules.py"


@pytest.fixture(scope="module")
def engagement_vs_civic():
    model = ExplorerModel(RULE + "engagement", RULE + "civic", **SMALL)
    while model.running:
        model.step()
    return model


def test_identical_settings_give_identical_sides():
    model = ExplorerModel(RULE + "engagement", RULE + "engagement", **SMALL)
    model.step()
    pd.testing.assert_frame_equal(model.a.daily(), model.b.daily())
    np.testing.assert_array_equal(model.a.trace.mood, model.b.trace.mood)
    np.testing.assert_array_equal(model.a.trace.items, model.b.trace.items)


def test_sides_step_in_lockstep_for_the_days_asked_for(engagement_vs_civic):
    model = engagement_vs_civic
    assert model.day == 2 and not model.running
    for side in model.sides:
        assert side.model.hour == 48 and side.trace.end == 48
        assert sorted(side.daily()["day"].unique()) == [0, 1]
    model.step()  # past the end: nothing happens
    assert model.a.model.hour == 48


def test_same_people_on_both_sides_and_the_rule_makes_the_difference(engagement_vs_civic):
    a, b = engagement_vs_civic.a.model, engagement_vs_civic.b.model
    np.testing.assert_array_equal(a.wellbeing_start, b.wellbeing_start)
    np.testing.assert_array_equal(a.users.ideology, b.users.ideology)
    np.testing.assert_array_equal(a.graph.indices, b.graph.indices)
    da, db = engagement_vs_civic.a.daily(), engagement_vs_civic.b.daily()
    assert not np.allclose(da["exposure_hostile_share"], db["exposure_hostile_share"])


def test_the_trace_adds_up_to_the_daily_metrics(engagement_vs_civic):
    """Per-user hourly minutes and feed items, summed over a day, give the daily table's numbers."""
    for side in engagement_vs_civic.sides:
        daily = side.daily().set_index(["day", "group"])
        trace = side.trace
        for day in (0, 1):
            rows = np.arange(24 * day, 24 * day + 24) % trace.hours_kept
            row = daily.loc[(day, "all")]
            assert trace.increments["minutes"][rows].sum(axis=0).mean() == pytest.approx(row["minutes_on_platform"])
            items = trace.items[rows].sum(axis=(0, 1)).astype(float)
            assert items.sum() / side.model.users.n == pytest.approx(row["items_seen"])
            assert items[OUTRAGE] / items.sum() == pytest.approx(row["exposure_hostile_share"])
            assert items[IDEALISED] / items.sum() == pytest.approx(row["exposure_idealised_share"])
        asleep, minutes = trace.asleep_min[:48], trace.increments["minutes"][:48]
        assert asleep.min() >= 0 and asleep.max() <= 60
        assert (minutes <= 60 - asleep + 1e-3).all()  # nobody is on the phone in their sleep
        night_checks = trace.session[:48] == NIGHT_SESSION
        assert night_checks.any() and (asleep[night_checks] < 60).all()


def test_user_hours_are_one_user_s_rows_of_the_trace(engagement_vs_civic):
    side = engagement_vs_civic.b
    uid = engagement_vs_civic.user_picks()[0][0]
    hours = side.trace.user_hours(uid, 10, 40)
    assert hours["hour"].tolist() == list(range(10, 40))
    assert hours["minutes"].sum() == pytest.approx(side.trace.increments["minutes"][10:40, uid].sum())
    assert side.trace.user_hours(uid, 40, 100)["hour"].max() == 47  # nothing beyond what was simulated


def test_user_picks_name_real_users_of_each_group(engagement_vs_civic):
    from sim.vocabulary import AGE_GROUPS

    u = engagement_vs_civic.a.model.users
    picks = engagement_vs_civic.user_picks()
    assert len({uid for uid, _ in picks}) == len(picks)
    for uid, label in picks:
        assert label.startswith(f"user {uid}: {AGE_GROUPS[u.age_group[uid]].replace('_', ' ')}")
        assert ("vulnerable" in label) == bool(u.vulnerable[uid])


NIGHT_CHECK = SimpleNamespace(fall_back_asleep_min=12.0)


class _Store:
    def __init__(self, style):
        self.style = style


def test_trace_reads_styles_from_the_post_arrays_the_feeds_were_ranked_on():
    """Posting after the feeds may grow the post store, which moves posts to new slots; the feed's
    slots refer to the arrays as they were when ranked."""
    n = 3
    users = SimpleNamespace(
        awake_min=np.array([60.0, 60.0, 0.0], np.float32),
        session_kind=np.array([DAY_SESSION, NO_SESSION, NIGHT_SESSION], np.int8),
        mood=np.zeros(n, np.float32),
        totals=np.zeros((n, len(TOTALS))),
    )
    users.totals[:, TOT_MINUTES] = [5.0, 0.0, 2.0]
    ranked_on = np.array([OUTRAGE, IDEALISED, 0, 3], np.int8)
    feed = np.array([[0, 1, 3], [2, 2, -1]])
    model = SimpleNamespace(
        hour=1,
        users=users,
        posts=_Store(np.zeros(8, np.int8)),
        scroll_p=NIGHT_CHECK,
        last_feed=(np.array([0, 2]), feed, np.array([3, 2]), np.array([3, 1])),
    )
    trace = HourTrace(n, hours_kept=2)
    trace.record(model, ranked_on)
    np.testing.assert_array_equal(trace.items[0], [[0, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(trace.increments["minutes"][0], [5.0, 0.0, 2.0])
    np.testing.assert_array_equal(trace.asleep_min[0], [0.0, 0.0, 60.0 - 2.0 - 12.0])  # the night check's cost
    with pytest.raises(RuntimeError, match="expects hour 1"):
        trace.record(model, ranked_on)  # the same hour twice


def test_old_hours_leave_the_ring_buffer():
    n = 2
    trace = HourTrace(n, hours_kept=3)
    users = SimpleNamespace(
        awake_min=np.zeros(n, np.float32),
        session_kind=np.zeros(n, np.int8),
        mood=np.zeros(n, np.float32),
        totals=np.zeros((n, len(TOTALS))),
    )
    for hour in range(5):
        users.mood[:] = hour
        empty = (np.zeros(0, np.int64), np.zeros((0, 1), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        trace.record(
            SimpleNamespace(hour=hour + 1, users=users, last_feed=empty, scroll_p=NIGHT_CHECK), np.zeros(1, np.int8)
        )
    hours = trace.user_hours(1, 0, 5)
    assert hours["hour"].tolist() == [2, 3, 4] and hours["mood"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"seed": "abc"}, ["seed='abc'", "non-negative integer"]),
        ({"n_users": 50}, ["network.mean_out_degree", "below n_users"]),
        ({"alternative": "tiktok"}, ["alternative 'tiktok'", RULE + "civic"]),
        ({"counts": "sometimes"}, ["counts='sometimes'"]),
        ({"sparkle": "on"}, ["sparkle", "not a platform control"]),
        ({"days": "soon"}, ["days='soon'"]),
        ({"rule_file": "nowhere.py:friends_first"}, ["rule file 'nowhere.py:friends_first'", "does not exist"]),
        ({"rule_file": f"{TUTORIAL_RULES}:nothing"}, ["rule file", "has no function 'nothing'", "friends_first"]),
    ],
)
def test_bad_settings_raise_before_anything_is_built(settings, words):
    with pytest.raises(ConfigError) as e:
        ExplorerModel(**settings)
    for word in words:
        assert word in str(e.value)


def test_a_rule_file_ranks_b_and_keeps_the_chosen_preset_s_platform():
    model = ExplorerModel(
        "scenario: civic_platform", "scenario: civic_platform", rule_file=f"{TUTORIAL_RULES}:friends_first", **SMALL
    )
    a, b = model.a, model.b
    assert a.cfg.policy.name == "civic" and b.cfg.policy.name == "friends_first"
    assert b.cfg.platform.counts == a.cfg.platform.counts == "hidden"  # the preset's platform stays
    assert b.title == "B: civic_platform (scenario) ranked by friends_first (rules.py)"
    assert "ranking friends_first" in b.settings
    model.step()
    assert not np.allclose(a.daily()["exposure_hostile_share"], b.daily()["exposure_hostile_share"])
