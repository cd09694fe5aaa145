"""The platform's bridging signal: learned from likes alone, it rewards posts liked on both sides."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.ranking import bridging
from sim.rng import uniform


@njit
def _simulate(p, n_obs, side, kind, own_rate, mu, ui, uf, pi, pf, counts, scores):
    """kind 0: liked by the left, 1: by the right (at own_rate; 3% by the other side); 2: by both."""
    n_users, n_posts = side.shape[0], kind.shape[0]
    seen = np.zeros(n_posts)
    for t in range(n_obs):
        u = int(uniform(np.uint64(1), t, 0, 0) * n_users)
        q = int(uniform(np.uint64(1), t, 1, 0) * n_posts)
        k = kind[q]
        rate = own_rate[q] if (k == 2 or (k == 0 and side[u] < 0) or (k == 1 and side[u] > 0)) else 0.03
        y = 1.0 if uniform(np.uint64(2), t, 0, 0) < rate else 0.0
        seen[q] += 1
        bridging.observe(p, mu, ui, uf, pi, pf, u, q, y, seen[q])
        c = 0 if uf[u] >= 0 else 2
        counts[q, c] += y
        counts[q, c + 1] += 1
        scores[q] = bridging.score(p, mu, counts[q, 0], counts[q, 1], counts[q, 2], counts[q, 3])


@pytest.fixture(scope="module")
def bp():
    from sim.config import compose

    return bridging.params(compose([]))


def run(bp, n_obs):
    rng = np.random.default_rng(0)
    side = np.where(rng.random(400) < 0.5, -1.0, 1.0)
    kind = np.repeat([0, 1, 2], 30)
    own_rate = np.where(kind == 2, 0.3, 0.6)  # partisan posts are twice as popular with their side
    mu = np.zeros(1)
    ui, uf = np.zeros(400), rng.normal(0, 0.1, 400)
    pi, pf = np.zeros(90), np.zeros(90)
    counts, scores = np.zeros((90, 4)), np.zeros(90)
    _simulate(bp, n_obs, side, kind, own_rate, mu, ui, uf, pi, pf, counts, scores)
    return side, kind, uf, scores


def test_user_factors_find_the_divide_from_likes_alone(bp):
    side, _, uf, _ = run(bp, 300_000)
    assert abs(np.corrcoef(uf, side)[0, 1]) > 0.9


def test_posts_liked_on_both_sides_outrank_posts_popular_with_one_side(bp):
    _, kind, _, scores = run(bp, 300_000)
    assert scores[kind == 2].min() > max(scores[kind == 0].max(), scores[kind == 1].max())
    assert np.all(scores[kind == 2] > 0) and np.all(scores[kind < 2] < 0)
