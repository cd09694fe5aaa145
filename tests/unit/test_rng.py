"""Counter-based random numbers and named streams."""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.rng import Streams, normal, uniform


@njit
def _fill(key, hour, n):
    out = np.empty(n)
    for u in range(n):
        out[u] = uniform(key, hour, u, 0)
    return out


@njit
def _normals(key, n):
    out = np.empty(n)
    for u in range(n):
        out[u] = normal(key, 0, u, 0)
    return out


def test_uniforms_are_uniform_and_depend_only_on_the_counter():
    x = _fill(np.uint64(123), 5, 200_000)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.003
    hist = np.histogram(x, bins=20, range=(0, 1))[0]
    assert hist.min() > 0.95 * len(x) / 20
    assert np.array_equal(x, _fill(np.uint64(123), 5, 200_000))
    y = _fill(np.uint64(123), 6, 200_000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.01


def test_normals_have_mean_zero_and_unit_variance():
    z = _normals(np.uint64(7), 200_000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


def test_named_streams_are_independent_and_reproducible():
    s = Streams(42)
    assert s.key("like") == Streams(42).key("like")
    assert s.key("like") != s.key("dwell")
    assert s.key("like") != Streams(43).key("like")
    a = s.generator("population").random(5)
    assert np.array_equal(a, Streams(42).generator("population").random(5))
    assert not np.array_equal(a, s.generator("network").random(5))
