"""Sleep: the two-process model (Borbely 1982; Daan, Beersma & Borbely 1984) with phone use in bed.

Homeostatic pressure S rises while awake and falls while asleep,

    awake:  dS/dt = (1 - S) / tau_rise        asleep:  dS/dt = -S / tau_fall

integrated exactly over sub-steps of the hour. A user goes to bed when S reaches the upper threshold
H+(t) = upper + d_u + a*C(t) and wakes when S falls to H-(t) = lower + d_u + a*C(t), where C(t) is the
skewed circadian oscillation of Daan et al. (1984), shifted by the user's chronotype, and d_u is the
user's threshold offset: people differ in how much sleep they need (a higher d_u, a shorter night). On
school/work days a wake alarm ends sleep early. Between going to bed and falling asleep lies a sleep
latency, extended by any phone use in bed (bedtime procrastination) and by arousing content; notifications at night can
wake a sleeper (night checks), which costs the check plus the time to fall asleep again. Whoever is
woken by the alarm (or gets up for it after a night on the phone) stays up for at least
``stay_up_after_alarm_h`` hours (school, work), whatever the sleep pressure.

Per hour the model calls ``advance_sleep`` (the whole hour for everyone; users who go to bed stop at
that moment), decides phone use in bed in ``sessions.py``, then ``settle_sleep`` finishes the hour for
those who went to bed, now knowing how long they stayed on the phone.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.checks import Checker, fail, from_sections
from sim.state import ASLEEP, AWAKE, IN_BED

# Harmonic amplitudes of the skewed circadian process C(t) (Daan et al. 1984, as used by
# Skeldon et al. 2016): C(t) = sum_k a_k sin(k * omega * t).
CIRCADIAN_HARMONICS = (0.97, 0.22, 0.07, 0.03, 0.001)


class SleepParams(NamedTuple):
    substeps_per_hour: int
    k_rise: float  # exp(-dt / tau_rise)
    k_fall: float  # exp(-dt / tau_fall)
    upper_threshold: float
    lower_threshold: float
    circadian_amplitude: float
    latency_h: float
    debt_carryover: float
    stay_up_after_alarm_h: float


def params(cfg) -> SleepParams:
    sc = cfg.behaviour.sleep
    dt = 1.0 / sc.substeps_per_hour
    return from_sections(
        SleepParams,
        sc,
        k_rise=float(np.exp(-dt / sc.tau_rise_h)),
        k_fall=float(np.exp(-dt / sc.tau_fall_h)),
        latency_h=float(sc.sleep_latency_min) / 60.0,
    )


def circadian_range() -> tuple[float, float]:
    """Minimum and maximum of C(t) over a day."""
    c = circadian_table(60)
    return float(c.min()), float(c.max())


def draw_threshold_offsets(cfg, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Per-user offsets d_u ~ N(0, sd) of both thresholds, kept where both thresholds stay reachable at
    every time of day (S only approaches 0 while asleep and 1 while awake): draws beyond are set to the
    bound, 0.01 inside it (at the calibrated spread, about a quarter of users at the long-sleep bound)."""
    sc = cfg.behaviour.sleep
    c_min, c_max = circadian_range()
    lowest = -(sc.lower_threshold + sc.circadian_amplitude * c_min) + 0.01
    highest = 1.0 - (sc.upper_threshold + sc.circadian_amplitude * c_max) - 0.01
    return np.clip(rng.normal(0.0, sd, n), lowest, highest).astype(np.float32)


def circadian_table(substeps_per_hour: int) -> np.ndarray:
    """C(t) on the sub-step grid of one day, t = 0 at the oscillation's zero crossing."""
    t = np.arange(24 * substeps_per_hour) / substeps_per_hour
    x = 2.0 * np.pi * t / 24.0
    return sum(a * np.sin((k + 1) * x) for k, a in enumerate(CIRCADIAN_HARMONICS))


class Sleepers(NamedTuple):
    """The users' sleep state, as the kernels read and change it (``UserState`` arrays of the same names)."""

    age_group: np.ndarray
    circadian_shift: np.ndarray
    sleep_threshold_offset: np.ndarray
    sleep_need_h: np.ndarray
    sleep_pressure: np.ndarray
    sleep_state: np.ndarray
    ready_at_h: np.ndarray
    awake_until_h: np.ndarray
    onset_h: np.ndarray
    night_sleep_min: np.ndarray
    night_lost_min: np.ndarray
    pending_substep: np.ndarray
    awake_min: np.ndarray
    woke: np.ndarray
    last_sleep_h: np.ndarray
    last_onset_hod: np.ndarray
    last_deficit_h: np.ndarray
    sleep_debt_h: np.ndarray


@njit
def _wake(u, slept_min, need, state, woke, last_sleep, last_onset_hod, onset, last_deficit, debt, carry):
    state[u] = AWAKE
    woke[u] = 1
    slept = max(slept_min, 0.0) / 60.0
    last_sleep[u] = slept
    last_onset_hod[u] = onset[u] % 24.0
    gap = need[u] - slept
    last_deficit[u] = max(gap, 0.0)
    debt[u] = max(debt[u] * carry + gap, 0.0)


@njit
def _run_user(u, j_start, stop_at_bed, hour, day_sub0, alarm_sub, p, ctable, sleepers):
    (
        _,
        shift,
        offset,
        need,
        S,
        state,
        ready_at,
        awake_until,
        onset,
        night_sleep,
        night_lost,
        pending,
        awake_min,
        woke,
        last_sleep,
        last_onset_hod,
        last_deficit,
        debt,
    ) = sleepers
    nsub = p.substeps_per_hour
    dt = 1.0 / nsub
    dt_min = 60.0 / nsub
    nt = ctable.shape[0]
    s = S[u]
    for j in range(j_start, nsub):
        t = hour + j * dt
        sub = day_sub0 + j
        c = ctable[(sub - shift[u]) % nt]
        st = state[u]
        if st == IN_BED:
            if alarm_sub >= 0 and sub == alarm_sub:
                # Still on the phone when the alarm rings: a night without sleep.
                onset[u] = t
                _wake(
                    u, 0.0, need, state, woke, last_sleep, last_onset_hod, onset, last_deficit, debt, p.debt_carryover
                )
                awake_until[u] = t + p.stay_up_after_alarm_h
                st = AWAKE
            elif t >= awake_until[u]:
                state[u] = ASLEEP
                onset[u] = t
                night_sleep[u] = 0.0
                night_lost[u] = 0.0
                st = ASLEEP
            else:
                s = 1.0 - (1.0 - s) * p.k_rise
                awake_min[u] += dt_min
                continue
        if st == AWAKE:
            s = 1.0 - (1.0 - s) * p.k_rise
            awake_min[u] += dt_min
            # awake_until, while in the future, is the end of the day an alarm started
            if s >= p.upper_threshold + offset[u] + p.circadian_amplitude * c and t >= awake_until[u]:
                state[u] = IN_BED
                ready_at[u] = t + dt
                awake_until[u] = t + dt + p.latency_h
                if stop_at_bed:
                    pending[u] = j + 1
                    break
            continue
        # asleep
        s = s * p.k_fall
        night_sleep[u] += dt_min
        alarm = alarm_sub >= 0 and sub == alarm_sub
        if alarm or s <= p.lower_threshold + offset[u] + p.circadian_amplitude * c:
            _wake(
                u,
                night_sleep[u] - night_lost[u],
                need,
                state,
                woke,
                last_sleep,
                last_onset_hod,
                onset,
                last_deficit,
                debt,
                p.debt_carryover,
            )
            if alarm:
                awake_until[u] = t + p.stay_up_after_alarm_h
    S[u] = s


@njit(parallel=True, cache=True)
def advance_sleep(hour, hour_of_day, alarm_sub_by_age, p, ctable, sleepers, stop_at_bed):
    """Advance every user through one hour. ``alarm_sub_by_age[g]`` is the sub-step of the day at
    which group g's alarm rings today, or -1 on free days."""
    day_sub0 = hour_of_day * p.substeps_per_hour
    for u in prange(sleepers.sleep_pressure.shape[0]):
        _advance_user(u, stop_at_bed, hour, day_sub0, alarm_sub_by_age, p, ctable, sleepers)


@njit
def _advance_user(u, stop_at_bed, hour, day_sub0, alarm_sub_by_age, p, ctable, sleepers):
    """User u's hour (``advance_sleep``): a function of its own, since the parallel loop must not write through
    the ``sleepers`` bundle itself (tests/unit/test_numba_bundles.py)."""
    sleepers.awake_min[u] = 0.0
    sleepers.woke[u] = 0
    sleepers.pending_substep[u] = -1
    _run_user(u, 0, stop_at_bed, hour, day_sub0, alarm_sub_by_age[sleepers.age_group[u]], p, ctable, sleepers)


@njit(cache=True)
def settle_sleep(hour, hour_of_day, alarm_sub_by_age, p, ctable, sleepers, bed_minutes, arousal_min):
    """Finish the hour for users who went to bed during it, after their phone use in bed is known."""
    (
        age,
        shift,
        offset,
        need,
        S,
        state,
        ready_at,
        awake_until,
        onset,
        night_sleep,
        night_lost,
        pending,
        awake_min,
        woke,
        last_sleep,
        last_onset_hod,
        last_deficit,
        debt,
    ) = sleepers
    n = S.shape[0]
    day_sub0 = hour_of_day * p.substeps_per_hour
    for u in range(n):
        j = pending[u]
        if j < 0:
            continue
        awake_until[u] = ready_at[u] + p.latency_h + (bed_minutes[u] + arousal_min[u]) / 60.0
        _run_user(u, j, False, hour, day_sub0, alarm_sub_by_age[age[u]], p, ctable, sleepers)
        pending[u] = -1


def alarm_substeps(cfg, day_of_week: int, age_groups: tuple[str, ...]) -> np.ndarray:
    """Sub-step of the day at which each age group's alarm rings, or -1 on a free day."""
    sc = cfg.behaviour.sleep
    if day_of_week not in set(sc.alarm_days):
        return np.full(len(age_groups), -1, np.int64)
    return np.array([int(sc.alarm_hour[g] * sc.substeps_per_hour) for g in age_groups], np.int64)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.sleep`` settings (run by ``sim.config.validate``)."""
    s = "behaviour.sleep"
    c.positive(f"{s}.tau_rise_h", f"{s}.tau_fall_h", f"{s}.substeps_per_hour")
    c.non_negative(
        f"{s}.circadian_amplitude",
        f"{s}.sleep_latency_min",
        f"{s}.arousal_latency_min_per_hostile",
        f"{s}.fall_back_asleep_min",
        f"{s}.spin_up_days",
    )
    c.probability(f"{s}.upper_threshold", f"{s}.lower_threshold", f"{s}.night_wake_prob", f"{s}.debt_carryover")

    c_min, c_max = circadian_range()
    up, lo, amp = c.get(f"{s}.upper_threshold"), c.get(f"{s}.lower_threshold"), c.get(f"{s}.circadian_amplitude")
    if up + amp * c_max >= 1.0:
        fail(
            f"{s}.upper_threshold",
            up,
            f"must leave upper_threshold + circadian_amplitude * {c_max:.2f} below 1 "
            "(sleep pressure never reaches 1, so nobody would ever sleep)",
        )
    if lo + amp * c_min <= 0.0:
        fail(
            f"{s}.lower_threshold",
            lo,
            f"must keep lower_threshold + circadian_amplitude * ({c_min:.2f}) above 0 "
            "(sleep pressure never reaches 0, so nobody would ever wake)",
        )
    if lo + amp * c_max >= up + amp * c_min:
        fail(
            f"{s}.lower_threshold",
            lo,
            f"must stay below the upper threshold at all times of day "
            f"(lower + amplitude * {c_max:.2f} < upper + amplitude * ({c_min:.2f}))",
        )
    c.non_negative(f"{s}.stay_up_after_alarm_h", f"{s}.in_bed_use_habit", f"{s}.in_bed_use_notification")
    c.hour(f"{s}.circadian_phase_h", integer=False)
    c.per_group(f"{s}.alarm_hour", lambda p: c.hour(p, integer=False))
    for i, d in enumerate(c.get(f"{s}.alarm_days")):
        if d not in range(7):
            fail(f"{s}.alarm_days[{i}]", d, "must be a day of the week, 0 (Monday) to 6 (Sunday)")
    if 60 % c.get(f"{s}.substeps_per_hour"):
        fail(f"{s}.substeps_per_hour", c.get(f"{s}.substeps_per_hour"), "must divide 60")
