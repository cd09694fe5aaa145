"""Two-process sleep model against Borbely (1982) / Daan et al. (1984) expectations."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import sleep
from sim.experiments.sleep import SleepLab
from sim.state import ASLEEP, AWAKE

SUB = 12  # sub-steps per hour in the default configuration


def Sleepers(cfg, n=50, shift_h=0.0, need=8.0):
    assert cfg.behaviour.sleep.substeps_per_hour == SUB
    return SleepLab(cfg, n=n, shift_h=shift_h, need=need)


@pytest.fixture
def cfg(compose_small):
    return compose_small()


def test_free_running_sleep_is_seven_to_nine_hours_and_s_stays_between_thresholds(cfg):
    s = Sleepers(cfg)
    s_min, s_max = 1.0, 0.0
    nights = []
    for _ in range(10):
        nights += s.run(1)
        s_min, s_max = min(s_min, s.S.min()), max(s_max, s.S.max())
    lengths = [n[0] for n in nights[3:]]
    onsets = [n[1] for n in nights[3:]]
    assert all(7.0 <= x <= 9.0 for x in lengths), lengths
    assert all(21.5 <= o or o <= 0.5 for o in onsets), onsets
    a = cfg.behaviour.sleep.circadian_amplitude
    assert s_max <= cfg.behaviour.sleep.upper_threshold + a + 0.01
    assert s_min >= cfg.behaviour.sleep.lower_threshold - a - 0.01


def test_later_chronotype_sleeps_later_not_shorter_on_free_days(cfg):
    early, late = Sleepers(cfg, shift_h=0.0), Sleepers(cfg, shift_h=2.0)
    e, l_ = early.run(8)[-1], late.run(8)[-1]
    assert abs(e[0] - l_[0]) < 0.25
    assert ((l_[1] - e[1]) % 24) == pytest.approx(2.0, abs=0.2)


def test_alarm_cuts_school_night_sleep_and_weekend_recovers(cfg):
    s = Sleepers(cfg, shift_h=1.5)  # adolescent chronotype
    nights = s.run(14, alarm_hour=6.75)
    weekday = [n[0] for n in nights[7:] if n[2] in (1, 2, 3, 4)]
    weekend = [n[0] for n in nights[7:] if n[2] in (5, 6)]
    assert np.mean(weekday) < 7.5
    assert np.mean(weekend) > np.mean(weekday) + 0.5
    assert s.debt[0] > 0


def test_phone_in_bed_delays_onset_and_costs_sleep_on_school_nights(cfg):
    quiet, phone = Sleepers(cfg), Sleepers(cfg)
    q = quiet.run(7, alarm_hour=7.0)
    p = phone.run(7, alarm_hour=7.0, bed_minutes=60.0)
    q_tue, p_tue = q[-3], p[-3]  # a weekday night
    assert ((p_tue[1] - q_tue[1]) % 24) == pytest.approx(1.0, abs=0.2)
    assert q_tue[0] - p_tue[0] == pytest.approx(1.0, abs=0.2)


def test_wake_and_sleep_states_alternate(cfg):
    s = Sleepers(cfg)
    states = []
    for _ in range(48):
        sleep.advance_sleep(*s.args(np.full(3, -1, np.int64)), False)
        states.append(int(s.state[0]))
        s.hour += 1
    assert AWAKE in states and ASLEEP in states
    asleep_hours = sum(1 for x in states if x == ASLEEP)
    assert 12 <= asleep_hours <= 20  # about 8 h a night over two days


def test_an_alarm_after_a_night_on_the_phone_books_a_sleepless_night_and_keeps_the_user_up(cfg):
    s = Sleepers(cfg, n=1)
    s.run(7)  # a free week
    s.run(0)
    for _ in range(18):  # on to Monday 18:00 (day 7); the alarm rings at 07:00 on Tuesday
        sleep.advance_sleep(*s.args(np.full(3, -1, np.int64)), False)
        s.hour += 1
    states, wakes = [], []
    alarms = np.full(3, 7 * SUB, np.int64)
    bed = np.full(1, 600.0, np.float32)  # ten hours on the phone in bed: past the alarm
    for _ in range(24):
        sleep.advance_sleep(*s.args(alarms), True)
        w1 = int(s.woke[0])
        sleep.settle_sleep(*s.args(alarms), bed, np.zeros(1, np.float32))
        if w1 or s.woke[0]:
            wakes.append((s.hour % 24, float(s.last_sleep[0])))
        states.append((s.hour % 24, int(s.state[0])))
        s.hour += 1
    assert wakes[0] == (7, 0.0)  # the alarm ends a night without sleep
    stay = cfg.behaviour.sleep.stay_up_after_alarm_h
    assert all(st == AWAKE for h, st in states if 7 <= h < 7 + stay)


def test_a_higher_threshold_offset_means_shorter_nights_and_a_later_bedtime(cfg):
    # Sleep need is a trait: the offset moves both thresholds, so S reaches H+ later and H- sooner.
    nights = []
    for offset in (-0.03, 0.0, 0.03, 0.06):
        s = Sleepers(cfg, n=1)
        s.offset[:] = offset
        s.run(7)
        nights.append(s.run(3)[-1])  # (hours, onset hour of day, weekday) of the last free night
    lengths = np.array([n[0] for n in nights])
    onsets = np.array([(n[1] - 12.0) % 24 for n in nights])  # hours after noon, so midnight does not wrap
    assert np.all(np.diff(lengths) < -0.3), lengths  # each 0.03 costs more than 20 minutes a night
    assert 7.5 <= lengths[1] <= 8.5  # no offset: the free-day night of the defaults
    assert np.all(np.diff(onsets) > 0), onsets


def test_threshold_offsets_keep_both_thresholds_reachable_at_every_hour(cfg):
    sc = cfg.behaviour.sleep
    c_min, c_max = sleep.circadian_range()
    d = sleep.draw_threshold_offsets(cfg, 0.5, 10_000, np.random.default_rng(0))  # a wide spread: many clipped
    assert d.dtype == np.float32
    assert np.all(sc.lower_threshold + d + sc.circadian_amplitude * c_min > 0)
    assert np.all(sc.upper_threshold + d + sc.circadian_amplitude * c_max < 1)
    assert d.min() < 0 < d.max()
    narrow = sleep.draw_threshold_offsets(cfg, 0.01, 10_000, np.random.default_rng(0))
    assert narrow.std() == pytest.approx(0.01, rel=0.05)  # inside the bounds the spread is as asked


def test_a_night_wake_shortens_that_night_by_exactly_the_time_awake(cfg):
    """Minutes lost to a night-time session (``night_lost_min``, added by the scrolling kernel) come off that
    night's counted sleep one for one, and the sleep debt grows by the same amount."""
    labs = [Sleepers(cfg, n=20), Sleepers(cfg, n=20)]
    no_alarm = np.full(3, -1, np.int64)
    for lab in labs:
        lab.run(3)
    for hour in range(24):
        for i, lab in enumerate(labs):
            if i == 1 and lab.hour % 24 == 3:
                asleep = lab.state == ASLEEP
                assert asleep.all()
                lab.night_lost[asleep] += 30.0
            lab.woke[:] = 0
            sleep.advance_sleep(*lab.args(no_alarm), True)
            sleep.settle_sleep(*lab.args(no_alarm), np.zeros(lab.n, np.float32), np.zeros(lab.n, np.float32))
            lab.hour += 1
    undisturbed, woken = labs
    assert np.allclose(undisturbed.last_sleep - woken.last_sleep, 0.5, atol=1e-4)
    assert np.allclose(woken.debt - undisturbed.debt, 0.5, atol=1e-4)
