"""Sessions: who opens the app this hour, and in what situation (day, in bed, woken at night).

Awake users open the app with probability 1 - exp(-h * awake_fraction), where the hourly hazard is

    h = base_hazard[age] * use_propensity * activity_profile[hour] * (1 + habit_effect * habit)
        * (1 + notification_boost * min(notifications, cap))
        * exp(return_value_effect * (recent_value - value_reference))

(recent_value: the mean value of the user's recent sessions, response.py; a feed that is worth more brings
people back sooner, the variable reward of Skinner's schedules that the attention economy is built on, Alter
2017; Montag et al. 2019. Use propensity carries the vulnerable group's heavier use, Fassi et al. 2025; the diurnal profile
has an evening peak (shape assumed; Golder & Macy 2011 on diurnal rhythms); habit strength after Bayer et
al. 2022; notifications as triggers, though most phone use is habitual, Heitmayer & Lahlou 2021). Users who went to bed this hour use the
phone in bed with probability logistic(in_bed_use_logit + in_bed_use_habit * habit
+ in_bed_use_notification * notifications) (bedtime procrastination, Kroese et al. 2014; Exelmans &
Van den Bulck 2016). A sleeper with delivered notifications wakes and checks the phone with probability
1 - (1 - night_wake_prob)^notifications.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.checks import Checker, fail, from_sections
from sim.rng import uniform
from sim.state import (
    ASLEEP,
    AWAKE,
    BED_SESSION,
    DAY_SESSION,
    NIGHT_SESSION,
    NO_SESSION,
    UD_MINUTES,
)
from sim.vocabulary import AGE_GROUPS


class SessionParams(NamedTuple):
    habit_effect: float
    notification_boost: float
    notification_cap: float
    in_bed_use_logit: float
    in_bed_use_habit: float
    in_bed_use_notification: float
    night_wake_prob: float
    return_value_effect: float
    value_reference: float


def params(cfg) -> SessionParams:
    return from_sections(SessionParams, cfg.behaviour.sessions, cfg.behaviour.sleep)


def base_hazard(cfg) -> np.ndarray:
    return np.array([cfg.behaviour.sessions.base_hazard[g] for g in AGE_GROUPS], np.float64)


class SessionKeys(NamedTuple):
    """The streams of the session draws: opening the app by day, in bed, and when woken at night."""

    open: np.uint64
    bed: np.uint64
    night: np.uint64


class SessionUsers(NamedTuple):
    """What the session draw reads and changes of the users (``UserState`` arrays, and the platform's
    ``may_open``)."""

    age_group: np.ndarray
    use_propensity: np.ndarray
    habit: np.ndarray
    sleep_state: np.ndarray
    pending_substep: np.ndarray
    awake_min: np.ndarray
    notif_delivered: np.ndarray
    may_open: np.ndarray
    session_kind: np.ndarray
    bed_minutes: np.ndarray
    arousal_min: np.ndarray
    streak_min: np.ndarray
    recent_value: np.ndarray


@njit(parallel=True, cache=True)
def draw_sessions(keys, hour, p, hazard_by_age, activity, users):
    """Set session_kind[u] for this hour. ``may_open[u] == 0`` (a deactivated account, or one locked by
    its daily time limit) never opens the app. An hour without a session ends a streak of continuous
    use (``streak_min``, read by the pause nudge)."""
    for u in prange(users.sleep_state.shape[0]):
        _draw_session(u, keys, hour, p, hazard_by_age, activity, users)


@njit
def _draw_session(u, keys, hour, p, hazard_by_age, activity, users):
    """User u's draw (``draw_sessions``); the parallel loop calls it rather than writing through ``users``."""
    key_open, key_bed, key_night = keys
    (
        age,
        use_propensity,
        habit,
        state,
        pending,
        awake_min,
        notif,
        may_open,
        session_kind,
        bed_minutes,
        arousal_min,
        streak_min,
        recent_value,
    ) = users
    kind = NO_SESSION
    bed_minutes[u] = 0.0
    arousal_min[u] = 0.0
    nt = min(notif[u], p.notification_cap)
    if may_open[u] == 1:
        if pending[u] >= 0:
            z = p.in_bed_use_logit + p.in_bed_use_habit * habit[u] + p.in_bed_use_notification * nt
            if uniform(key_bed, hour, u, 0) < 1.0 / (1.0 + np.exp(-z)):
                kind = BED_SESSION
        elif state[u] == ASLEEP:
            if nt > 0 and uniform(key_night, hour, u, 0) < 1.0 - (1.0 - p.night_wake_prob) ** nt:
                kind = NIGHT_SESSION
        elif state[u] == AWAKE and awake_min[u] > 0:
            h = (
                hazard_by_age[age[u]]
                * use_propensity[u]
                * activity
                * (1.0 + p.habit_effect * habit[u])
                * (1.0 + p.notification_boost * nt)
                * np.exp(p.return_value_effect * (recent_value[u] - p.value_reference))
            )
            if uniform(key_open, hour, u, 0) < 1.0 - np.exp(-h * awake_min[u] / 60.0):
                kind = DAY_SESSION
    session_kind[u] = kind
    if kind == NO_SESSION:
        streak_min[u] = 0.0


@njit(cache=True)
def update_habit(rate, target_minutes, woke, habit, user_day):
    """Habit strength moves towards yesterday's use relative to a habitual amount, once a day at
    wake-up (habits form over weeks of repetition; Lally et al. 2010)."""
    for u in range(habit.shape[0]):
        if woke[u] == 1:
            habit[u] += rate * (min(1.0, user_day[u, UD_MINUTES] / target_minutes) - habit[u])


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.sessions`` settings (run by ``sim.config.validate``)."""
    se = "behaviour.sessions"
    c.per_group(f"{se}.base_hazard", c.non_negative)
    prof = c.get(f"{se}.activity_profile")
    if len(prof) != 24:
        fail(f"{se}.activity_profile", f"<{len(prof)} values>", "must list 24 hourly values")
    for i in range(24):
        c.non_negative(f"{se}.activity_profile[{i}]")
    c.non_negative(
        f"{se}.habit_effect", f"{se}.notification_boost", f"{se}.notification_cap", f"{se}.self_control_per_debt_h"
    )
    c.probability(f"{se}.habit_learning_rate", f"{se}.initial_habit", f"{se}.value_memory")
    c.non_negative(f"{se}.return_value_effect", f"{se}.value_reference")
    c.positive(f"{se}.habit_target_minutes")
