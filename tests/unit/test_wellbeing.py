"""Mood, self-esteem, symptoms and loneliness dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import wellbeing as wb
from sim.state import (
    CALENDAR_DAY,
    TOTALS,
    UD_EXPERIENCES,
    UD_MEANINGFUL,
    UD_MINUTES,
    UD_NEGATIVE,
    USER_DAY,
)


class People:
    """n people whose wellbeing kernels run hour by hour; everyday mood variation off unless ``noise``."""

    def __init__(self, cfg, n=4, noise=0.0):
        self.p = wb.params(cfg)._replace(mood_noise_sd=noise)
        self.n = n
        self.hour_count = 0
        z = lambda: np.zeros(n, np.float32)  # noqa: E731
        self.mood, self.mood_trait, self.se, self.se_trait = z(), z(), z(), z()
        self.sym, self.sym_trait, self.lonely, self.lonely_trait = z(), z(), z(), z()
        self.deficit, self.debt = z(), z()
        self.sensitivity = np.ones(n, np.float32)
        self.awake = np.full(n, 60.0, np.float32)
        self.replies = np.zeros(n, np.int32)
        self.ud = np.zeros((n, len(USER_DAY)))
        self.cd = np.zeros((n, len(CALENDAR_DAY)))
        self.tot = np.zeros((n, len(TOTALS)))

    def hour(self):
        self.hour_count += 1
        wb.hourly(
            self.p,
            np.uint64(5),
            self.hour_count,
            wb.Moods(
                self.awake,
                self.replies,
                self.mood,
                self.mood_trait,
                self.se,
                self.se_trait,
                self.sym,
                self.sym_trait,
                self.lonely,
                self.lonely_trait,
                self.deficit,
                self.sensitivity,
                self.ud,
                self.cd,
                self.tot,
            ),
        )

    def day(self):
        woke = np.ones(self.n, np.uint8)
        wb.daily_update(
            self.p,
            woke,
            self.mood,
            self.mood_trait,
            self.se,
            self.se_trait,
            self.sym,
            self.sym_trait,
            self.lonely,
            self.lonely_trait,
            self.debt,
            self.ud,
            self.cd,
        )


@pytest.fixture
def cfg(compose_small):
    return compose_small()


def test_mood_shocks_fade_with_the_configured_half_life(cfg):
    people = People(cfg)
    people.mood[:] = -1.0
    for _ in range(3):
        people.hour()
    assert people.mood[0] == pytest.approx(-(0.5 ** (3 / cfg.behaviour.wellbeing.mood_half_life_h)), rel=1e-4)


def test_a_short_night_lowers_the_next_day_mood(cfg):
    people = People(cfg)
    people.deficit[:] = [0.0, 1.0, 2.0, 3.0]
    for _ in range(48):
        people.hour()
    expected = -cfg.behaviour.wellbeing.sleep_deficit_mood * people.deficit
    assert np.allclose(people.mood, expected, atol=1e-3)
    assert people.mood[3] < people.mood[2] < people.mood[1] < people.mood[0]


def test_negative_experiences_raise_symptoms_and_none_leave_them(cfg):
    people = People(cfg, n=2)
    for _ in range(30):
        people.ud[:, UD_EXPERIENCES] = 100
        people.ud[:, UD_NEGATIVE] = [0, 40]
        people.ud[:, 9] = 0  # no mood record: daily mean falls back to current mood (the trait)
        people.day()
        people.ud[:] = 0
    assert people.sym[0] == pytest.approx(0.0, abs=1e-6)
    assert people.sym[1] > 0.3


def test_displaced_time_raises_loneliness_and_meaningful_contact_lowers_it(cfg):
    people = People(cfg, n=3)
    for _ in range(30):
        people.ud[:, UD_MINUTES] = [60, 300, 60]
        people.ud[:, UD_MEANINGFUL] = [0, 0, 10]
        people.day()
        people.ud[:] = 0
    assert people.lonely[0] == pytest.approx(0.0, abs=1e-6)
    assert people.lonely[1] > 0.1
    assert people.lonely[2] < -0.1


def test_disappointing_feedback_hurts_more_than_equal_good_feedback_helps(cfg):
    people = People(cfg, n=2)
    expected = np.array([3.0, 3.0], np.float32)
    post_id = np.array([0, 1], np.int64)
    author = np.array([0, 1], np.int32)
    likes = np.array([0, 15], np.int32)  # log1p errors: -1.39 and +1.39
    wb.feedback_mood(
        people.p, 0, 2, post_id, author, likes, expected, people.sensitivity, people.mood, people.ud, people.tot
    )
    assert people.mood[0] < 0 < people.mood[1]
    assert abs(people.mood[0]) == pytest.approx(cfg.behaviour.wellbeing.negativity_bias * people.mood[1], rel=1e-5)
    sensitive = People(cfg, n=2)
    sensitive.sensitivity[:] = 2.0
    wb.feedback_mood(
        sensitive.p,
        0,
        2,
        post_id,
        author,
        likes,
        expected,
        sensitive.sensitivity,
        sensitive.mood,
        sensitive.ud,
        sensitive.tot,
    )
    assert sensitive.mood[0] == pytest.approx(2 * people.mood[0], rel=1e-5)


def test_everyday_mood_variation_has_the_stationary_spread_of_an_ar1_process(cfg):
    """mood_t = decay * mood_(t-1) + sd * N: the spread settles at sd / sqrt(1 - decay^2) around the trait."""
    people = People(cfg, n=20000, noise=0.4)
    for _ in range(48):
        people.hour()
    decay = people.p.mood_decay
    assert people.mood.std() == pytest.approx(0.4 / np.sqrt(1 - decay**2), rel=0.03)
    assert abs(people.mood.mean()) < 0.02
    quiet = People(cfg, n=100)
    for _ in range(48):
        quiet.hour()
    assert np.all(quiet.mood == 0)
