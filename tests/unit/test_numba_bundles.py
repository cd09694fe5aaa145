"""The Numba behaviour the kernels' bundles rely on (docs/design/decisions.md): an array written through a
NamedTuple inside a ``prange`` body is silently lost, while the same write made in a jitted function that the
parallel loop calls lands. Parallel kernels therefore pass their bundles to a per-item function
(``response.scroll_session``, ...). If a Numba release changes either behaviour, this test says so."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange


class Written(NamedTuple):
    a: np.ndarray
    b: np.ndarray


@njit
def _write_one(i, w):
    a, b = w
    a[i] = 2.0 * i
    b[i] += 1


@njit(parallel=True)
def _through_a_call(n, w):
    for i in prange(n):
        _write_one(i, w)


@njit(parallel=True)
def _in_the_prange_body(n, w):
    for i in prange(n):
        w.a[i] = 2.0 * i
        w.b[i] += 1


def _fresh(n):
    return Written(np.zeros(n), np.zeros(n, np.int64))


def test_writes_through_a_bundle_land_when_made_in_a_called_function():
    w = _fresh(10_000)
    _through_a_call(10_000, w)
    assert np.array_equal(w.a, 2.0 * np.arange(10_000)) and w.b.sum() == 10_000


def test_writes_through_a_bundle_in_the_prange_body_itself_are_still_lost():
    """The reason for the rule above (numba issues 5872 and 7135). When this fails, Numba has fixed it and the
    rule can be relaxed."""
    w = _fresh(10_000)
    _in_the_prange_body(10_000, w)
    assert w.b.sum() == 0
