"""The post ring buffer and the seen filter."""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.ranking.seen import has_seen, mark_seen, memory_days, start_day
from sim.state import SEEN_WORDS, PostStore


def test_ring_buffer_grows_instead_of_overwriting_young_posts_and_archives_old_ones():
    store = PostStore(capacity=64, min_age_hours=10)
    for hour in range(100):
        slots = store.reserve(5, hour)
        ids = np.arange(store.next_id - 5, store.next_id)
        store.post_id[slots] = ids
        store.created_hour[slots] = hour
        store.likes[slots] = ids % 7
        live = store.post_id[store.post_id >= 0]
        young = store.created_hour[store.post_id >= 0] > hour - 10
        assert young.sum() == min(5 * (hour + 1), 50)  # every young post is still there
        assert np.unique(live).size == live.size
    table = store.table()
    assert np.array_equal(table["post_id"], np.arange(500))
    assert np.array_equal(table["likes"], np.arange(500) % 7)
    assert store.capacity >= 64


@njit
def _mark_and_check(seen, ids, today):
    for pid in ids:
        mark_seen(seen, 0, today, pid)
    hits = 0
    for pid in ids:
        hits += has_seen(seen, 0, pid)
    return hits


@njit
def _count(seen, ids):
    c = 0
    for pid in ids:
        c += has_seen(seen, 0, pid)
    return c


def test_seen_memory_covers_the_candidate_window_with_few_false_positives():
    days = memory_days(48)
    assert days == 3
    seen = np.zeros((1, days, SEEN_WORDS), np.uint64)
    viewed = np.arange(0, 300, dtype=np.int64)
    assert _mark_and_check(seen, viewed, 0) == 300  # seen late on day 0 ...
    unseen = np.arange(10_000, 20_000, dtype=np.int64)
    assert _count(seen, unseen) / 10_000 < 0.1
    for day in (1, 2):  # ... still remembered on days 1 and 2, while it can be a candidate
        start_day(seen, day % days)
        assert _count(seen, viewed) == 300
    start_day(seen, 3 % days)  # day 3: the post has expired, the memory may go
    assert _count(seen, viewed) == 0
    assert memory_days(24) == 2 and memory_days(72) == 4 and memory_days(50) == 4
