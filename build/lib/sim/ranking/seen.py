"""What each user has probably seen: one Bloom filter per day, kept for as long as a post can be a
candidate.

A post is marked in today's filter when viewed and counts as seen if any filter has it. With a
candidate window of ``max_age_hours``, a post seen today can be shown until ``max_age_hours`` after its
creation, so the memory keeps ``memory_days(max_age_hours)`` daily filters and clears the oldest at
midnight. Each filter has 2,048 bits and two hash positions; with a few hundred items a day a few
percent of unseen posts test as seen, which only thins the candidate set slightly. 256 bytes per user
and day of memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.rng import mix64
from sim.state import SEEN_WORDS

_MASK = np.uint64(SEEN_WORDS * 64 - 1)
_SHIFT = np.uint64(16)
_ONE = np.uint64(1)
_SIX = np.uint64(6)
_LOW6 = np.uint64(63)


@njit
def _positions(post_id):
    h = mix64(np.uint64(post_id) + np.uint64(0x632BE59BD9B4E019))
    return h & _MASK, (h >> _SHIFT) & _MASK


@njit
def _has(words, bit):
    return (words[bit >> _SIX] >> (bit & _LOW6)) & _ONE


def memory_days(max_age_hours: int) -> int:
    """Daily filters needed so that nothing still in the candidate window is forgotten."""
    return -(-int(max_age_hours) // 24) + 1


@njit
def has_seen(seen, u, post_id):
    a, b = _positions(post_id)
    for f in range(seen.shape[1]):
        if _has(seen[u, f], a) and _has(seen[u, f], b):
            return True
    return False


@njit
def mark_seen(seen, u, today, post_id):
    a, b = _positions(post_id)
    w = seen[u, today]
    w[a >> _SIX] |= _ONE << (a & _LOW6)
    w[b >> _SIX] |= _ONE << (b & _LOW6)


@njit(cache=True)
def start_day(seen, today):
    """Clear the filter that becomes today's (it held the oldest remembered day)."""
    for u in range(seen.shape[0]):
        seen[u, today, :] = 0
