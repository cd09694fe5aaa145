"""Who opens the app: hazard by habit and notifications; sleep and deactivation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import sessions
from sim.state import ASLEEP, AWAKE, BED_SESSION, DAY_SESSION, NIGHT_SESSION


@pytest.fixture
def cfg(compose_small):
    return compose_small()


def draw(cfg, n=20000, habit=0.5, notif=0.0, state=AWAKE, pending=-1, active=1, hour=19, streak=None, value=None):
    p = sessions.params(cfg)
    value = p.value_reference if value is None else value
    kind = np.zeros(n, np.int8)
    streak = np.full(n, 15.0, np.float32) if streak is None else streak
    sessions.draw_sessions(
        sessions.SessionKeys(np.uint64(1), np.uint64(2), np.uint64(3)),
        hour,
        p,
        sessions.base_hazard(cfg),
        1.0,
        sessions.SessionUsers(
            np.full(n, 2, np.int8),
            np.ones(n, np.float32),
            np.full(n, habit, np.float32),
            np.full(n, state, np.int8),
            np.full(n, pending, np.int32),
            np.full(n, 60.0, np.float32),
            np.full(n, notif, np.float32),
            np.full(n, active, np.uint8),
            kind,
            np.zeros(n, np.float32),
            np.zeros(n, np.float32),
            streak,
            np.full(n, value, np.float32),
        ),
    )
    return kind


def test_the_value_of_recent_sessions_scales_the_hazard_by_the_configured_factor(compose_small):
    """hazard x exp(return_value_effect * (recent_value - value_reference)): measured through the share who open
    (share = 1 - exp(-hazard * awake hours)), at a low base hazard so that the share is far from 1."""
    cfg = compose_small(**{"behaviour.sessions.return_value_effect": 4.0, "behaviour.sessions.base_hazard.adult": 0.05})
    ref = cfg.behaviour.sessions.value_reference
    n = 400_000
    usual = (draw(cfg, n=n, value=ref) == DAY_SESSION).mean()
    better = (draw(cfg, n=n, value=ref + 0.1) == DAY_SESSION).mean()
    assert np.log(1 - better) / np.log(1 - usual) == pytest.approx(np.exp(4.0 * 0.1), rel=0.03)
    off = compose_small(**{"behaviour.sessions.base_hazard.adult": 0.05, "behaviour.sessions.return_value_effect": 0})
    assert (draw(off, n=n, value=ref + 0.1) == draw(off, n=n, value=ref)).all()


def test_habit_and_notifications_raise_the_chance_to_open(cfg):
    base = (draw(cfg, habit=0.2) == DAY_SESSION).mean()
    assert (draw(cfg, habit=0.9) == DAY_SESSION).mean() > base + 0.03
    assert (draw(cfg, habit=0.2, notif=2) == DAY_SESSION).mean() > base + 0.03


def test_sleepers_open_only_when_a_notification_wakes_them(cfg):
    assert (draw(cfg, state=ASLEEP) > 0).sum() == 0
    woken = (draw(cfg, state=ASLEEP, notif=3) == NIGHT_SESSION).mean()
    expected = 1 - (1 - cfg.behaviour.sleep.night_wake_prob) ** 3
    assert woken == pytest.approx(expected, abs=0.01)


def test_going_to_bed_with_a_strong_habit_means_more_phone_in_bed(cfg):
    weak = (draw(cfg, habit=0.0, pending=3) == BED_SESSION).mean()
    strong = (draw(cfg, habit=1.0, pending=3) == BED_SESSION).mean()
    assert strong > weak + 0.2


def test_deactivated_users_never_open_the_app(cfg):
    assert (draw(cfg, active=0, notif=3) > 0).sum() == 0


def test_an_hour_without_a_session_ends_a_streak_of_continuous_use(cfg):
    streak = np.full(20000, 15.0, np.float32)
    kind = draw(cfg, habit=0.5, streak=streak)
    assert 0 < (kind == DAY_SESSION).mean() < 1
    assert np.all(streak[kind == 0] == 0) and np.all(streak[kind == DAY_SESSION] == 15.0)
