"""Posting by reward learning (Lindstrom et al. 2021; Turner et al. 2025) and style learning."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import posting
from sim.state import N_STYLES, OUTRAGE


class Posters:
    """n always-awake users posting with given phenotypes; every post gets ``likes_for(style)`` likes,
    known one hour after posting."""

    def __init__(self, n, w, alpha_reward, delay_h, likes0, style_prior=None, seed=1):
        self.n = n
        self.p = posting.PostingParams(reward_floor=0.1, style_learning_rate=0.2, style_beta=1.5, quality_sd=0.5)
        self.w = np.full(n, w, np.float32)
        self.alpha_r = np.full(n, alpha_reward, np.float32)
        self.alpha_h = np.zeros(n, np.float32)
        self.R = np.full(n, likes0, np.float32)
        self.H = np.full(n, delay_h, np.float32)
        self.C = (self.H * self.R).astype(np.float32)
        self.clock = np.full(n, 1.0, np.float32)
        self.since = np.zeros(n, np.float32)
        self.last = np.full(n, -1, np.int64)
        self.values = np.zeros((n, N_STYLES), np.float32)
        prior = np.full(N_STYLES, 0.25) if style_prior is None else np.asarray(style_prior)
        self.prior = np.tile(prior.astype(np.float32), (n, 1))
        self.qmean = np.zeros(N_STYLES)
        self.cap = 400_000
        z = lambda t: np.zeros(self.cap, t)  # noqa: E731
        self.post_id, self.author, self.created, self.style = z(np.int64) - 1, z(np.int32), z(np.int32), z(np.int8)
        self.quality, self.prev, self.likes, self.impr = z(np.float32), z(np.int64), z(np.int32), z(np.int32)
        self.extra = ([z(np.int32) for _ in range(5)] + [z(np.float32), z(np.float32)]
                      + [z(np.int32) for _ in range(4)] + [z(np.float32), z(np.uint8), z(np.float64)])
        self.next_id = 0
        self.keys = [np.uint64(seed * 10 + i) for i in range(3)]
        self.close_indptr = np.zeros(n + 1, np.int64)
        self.close_indices = np.zeros(0, np.int32)
        self.notif = np.zeros(n, np.float32)
        self.cd = np.zeros((n, 17))
        self.tot = np.zeros((n, 10))

    def run(self, hours, likes_for):
        awake = np.full(self.n, 60.0, np.float32)
        active = np.ones(self.n, np.uint8)
        wants = np.zeros(self.n, np.uint8)
        delays = []
        for hour in range(hours):
            posting.tick(awake, active, self.clock, self.since, wants)
            posters = np.flatnonzero(wants)
            first = self.next_id
            if posters.size:
                delays.append(self.since[posters] + self.clock[posters])
                slots = np.arange(first, first + posters.size) % self.cap
                posting.create_posts(*self.keys, hour, self.p, posters, slots, first, self.w, self.alpha_h, self.C,
                                     self.R, self.H, self.clock, self.since, self.last, self.values, self.prior,
                                     self.qmean, self.close_indptr, self.close_indices, self.notif, self.cd, self.tot,
                                     self.post_id, self.author, self.created, self.style, self.quality, self.prev,
                                     self.likes, self.impr, *self.extra)
                self.likes[slots] = likes_for(self.style[slots])
                self.next_id += posters.size
                posting.learn_from_feedback(self.p, first, self.next_id, self.post_id, self.author, self.style,
                                            self.likes, self.w, self.alpha_r, self.C, self.R, self.H, self.clock,
                                            self.values)
        return np.concatenate(delays)


def test_pure_reward_learning_halves_the_delay_when_likes_double():
    """F2: with w = 0, P = C / R, so doubling the likes halves the mean delay (within 5%)."""
    base = Posters(400, w=0.0, alpha_reward=1.0, delay_h=40.0, likes0=4.0)
    double = Posters(400, w=0.0, alpha_reward=1.0, delay_h=40.0, likes0=4.0)
    d1 = base.run(3000, lambda s: 4)[400:]
    d2 = double.run(3000, lambda s: 8)[400:]
    assert d2.mean() / d1.mean() == pytest.approx(0.5, rel=0.05)


def test_habitual_posting_ignores_likes():
    """With w = 1 the delay is the habit H, whatever the likes."""
    a = Posters(300, w=1.0, alpha_reward=1.0, delay_h=30.0, likes0=4.0).run(2000, lambda s: 4)[300:]
    b = Posters(300, w=1.0, alpha_reward=1.0, delay_h=30.0, likes0=4.0).run(2000, lambda s: 16)[300:]
    assert b.mean() / a.mean() == pytest.approx(1.0, rel=0.06)


def test_more_likes_than_expected_shortens_the_wait_for_the_next_post():
    """A positive prediction error raises R and rescales the running clock down (Turner et al. 2025)."""
    u = Posters(1, w=0.5, alpha_reward=0.5, delay_h=20.0, likes0=2.0)
    u.post_id[0], u.author[0], u.likes[0], u.style[0] = 0, 0, 10, 0
    u.clock[0] = 10.0
    posting.learn_from_feedback(u.p, 0, 1, u.post_id, u.author, u.style, u.likes, u.w, u.alpha_r, u.C, u.R, u.H,
                                u.clock, u.values)
    assert u.R[0] == pytest.approx(6.0)
    assert u.clock[0] < 10.0
    expected = 10.0 * (0.5 * 20 + 0.5 * 40 / 6.0) / (0.5 * 20 + 0.5 * 40 / 2.0)
    assert u.clock[0] == pytest.approx(expected, rel=1e-5)


def test_rewarded_outrage_is_learned():
    """If outrage earns more likes, authors choose it more often (Brady et al. 2021)."""
    prior = [0.45, 0.2, 0.1, 0.25]
    users = Posters(300, w=1.0, alpha_reward=0.1, delay_h=5.0, likes0=1.0, style_prior=prior)
    users.run(1500, lambda s: np.where(s == OUTRAGE, 12, 1))
    n = users.next_id
    styles = users.style[:n]
    early, late = styles[: n // 5], styles[-n // 5:]
    assert (late == OUTRAGE).mean() > (early == OUTRAGE).mean() + 0.15
    neutral = Posters(300, w=1.0, alpha_reward=0.1, delay_h=5.0, likes0=1.0, style_prior=prior)
    neutral.run(1500, lambda s: np.ones_like(s))
    m = neutral.next_id
    assert abs((neutral.style[m - m // 5:m] == OUTRAGE).mean() - 0.1) < 0.03
