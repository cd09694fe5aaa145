"""A plain NumPy implementation of the ranking in ``kernels.py``: the test oracle.

Written independently of the kernel: vectorised per session, the "seen" memory checked by a pure-Python
re-implementation of its hashing, the pool built by plain sorting. The only shared code is the
counter-based random number generator, an input to the ranking rather than part of it. A mistake in
either implementation shows up as a disagreement. Slow; for tests only.
"""

from __future__ import annotations

import math

import numpy as np

from sim.ranking import features as fx
from sim.ranking.kernels import AUTHOR_CAP_PAGE
from sim.rng import normal, uniform
from sim.state import IDEALISED, INFORMATIONAL, OUTRAGE, PERSONAL

_M64 = (1 << 64) - 1


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _seen(seen_filters: np.ndarray, u: int, post_id: int) -> bool:
    """The Bloom-filter test of sim/ranking/seen.py, on Python integers."""
    bits = seen_filters.shape[2] * 64
    h = _mix64((int(post_id) + 0x632BE59BD9B4E019) & _M64)
    a, b = h % bits, (h >> 16) % bits
    for day in range(seen_filters.shape[1]):
        words = [int(w) for w in seen_filters[u, day]]
        if (words[a // 64] >> (a % 64)) & 1 and (words[b // 64] >> (b % 64)) & 1:
            return True
    return False


def pool(key, hour, pool_key, pool_share, min_size, max_age_hours, posts_all):
    """The hour's out-of-network pool (slots), as kernels.build_pool, by plain sorting."""
    post_id, created, likes, impressions, bridging, removed, author, author_active = posts_all
    live = [
        s
        for s in range(len(post_id))
        if post_id[s] >= 0 and hour - created[s] <= max_age_hours and not removed[s] and author_active[author[s]]
    ]

    def rank_key(s):
        if pool_key == 0:
            return (likes[s] + 1.0) / (impressions[s] + 10.0) * math.log(2.0 + likes[s])
        return float(bridging[s]) if pool_key == 1 else float(created[s])

    ordered = sorted(live, key=lambda s: (-rank_key(s), post_id[s]))
    size = min(max(int(round(pool_share * len(live))), min_size), len(live))
    top = ordered[:size]
    return np.array(sorted(top, key=lambda s: uniform(key, hour, post_id[s], 3)), np.int64)


def candidates(u, hour, p, keys, g, posts, users, pool):
    """(slots, ties, seen flags) of viewer u's candidates, in gathering order."""
    cap = len(posts.post_id)
    seen = users.seen
    slots, ties, seen_flags = [], [], []
    m_in = p.m - p.oon_candidates
    followees = g.indices[g.indptr[u] : g.indptr[u + 1]]
    mutual = g.mutual[g.indptr[u] : g.indptr[u + 1]]
    deg = len(followees)
    if deg and m_in > 0:
        start = int(uniform(keys.followee_offset, hour, u, 0) * deg)
        for i in np.roll(np.arange(deg), -start):
            f = followees[i]
            if not users.active[f]:  # a deactivated account's posts are not shown
                continue
            pid = users.last_post_id[f]
            taken = 0
            while pid >= 0 and (p.per_followee_cap == 0 or taken < p.per_followee_cap) and len(slots) < m_in:
                slot = pid % cap
                if posts.post_id[slot] != pid or hour - posts.created_hour[slot] > p.max_age_hours:
                    break
                s = _seen(seen, u, pid)
                if not posts.removed[slot] and (p.show_seen or not s):
                    slots.append(slot)
                    ties.append(1.0 if mutual[i] else 0.5)
                    seen_flags.append(s)
                    taken += 1
                pid = posts.prev_by_author[slot]
            if len(slots) >= m_in:
                break
    if p.oon_candidates > 0 and len(pool):
        start = int(uniform(keys.oon_offset, hour, u, 0) * len(pool))
        followee_set = set(followees.tolist())
        no_idealised = bool(users.oon_idealised_blocked[u])
        added = 0
        for slot in np.roll(pool, -start):
            if added >= p.oon_candidates or len(slots) >= p.m:
                break
            a = posts.author[slot]
            if a == u or a in followee_set or (no_idealised and posts.style[slot] == IDEALISED):
                continue
            s = _seen(seen, u, posts.post_id[slot])
            if p.show_seen or not s:
                slots.append(slot)
                ties.append(0.0)
                seen_flags.append(s)
                added += 1
    return np.array(slots, np.int64), np.array(ties, np.float64), np.array(seen_flags, bool)


def feature_matrix(u, hour, slots, ties, seen_flags, p, rp, keys, posts, users):
    ideology, counts_visible = users.ideology, users.counts_visible
    n = len(slots)
    x = np.zeros((n, fx.N_FEATURES))
    if n == 0:
        return x
    authors = posts.author[slots]
    style = posts.style[slots]
    quality = posts.quality[slots].astype(np.float64)
    # Same precision as the kernel: the ideology difference is taken in float32.
    agreement = 1.0 - np.abs(ideology[u] - ideology[authors]).astype(np.float64)
    outrage = (style == OUTRAGE).astype(float)
    idealised = (style == IDEALISED).astype(float)
    supportive = (style == PERSONAL).astype(float)
    log_likes = np.log1p(posts.likes[slots].astype(np.float64))
    pids = posts.post_id[slots]
    # The response model's logit, summed in the same order as behaviour.response.like_logit
    z = rp.like_intercept + rp.like_tie * ties + rp.like_agreement * agreement
    z = z + outrage * (rp.like_outrage * 1.0 + rp.like_outrage_agreement * agreement)
    z = z + (
        rp.like_idealised * idealised + rp.like_quality * quality + rp.like_popularity * (log_likes * counts_visible[u])
    )
    z = z + rp.like_supportive_tie * supportive * ties
    z = z + rp.like_interest * users.interest[u, posts.topic[slots]].astype(np.float64)
    if p.estimation_noise > 0:
        z = z + p.estimation_noise * np.array([normal(keys.ranking_noise, hour, u, pid) for pid in pids])
    p_like = 1.0 / (1.0 + np.array([math.exp(-v) for v in z]))
    x[:, fx.F_P_LIKE] = p_like
    x[:, fx.F_DWELL] = (rp.dwell_base_s + rp.dwell_engagement_s * p_like) / 60.0
    x[:, fx.F_TIE] = ties
    x[:, fx.F_IN_NETWORK] = (ties > 0).astype(float)
    x[:, fx.F_AGREEMENT] = agreement
    x[:, fx.F_OUTRAGE] = outrage
    x[:, fx.F_IDEALISED] = idealised
    x[:, fx.F_SUPPORTIVE] = supportive
    x[:, fx.F_INFORMATIONAL] = (style == INFORMATIONAL).astype(float)
    x[:, fx.F_QUALITY] = quality
    x[:, fx.F_BRIDGING] = fx.BRIDGING_SCALE * posts.bridging[slots].astype(np.float64)
    x[:, fx.F_LOG_LIKES] = log_likes
    x[:, fx.F_AGE_HOURS] = hour - posts.created_hour[slots]
    x[:, fx.F_VIEWER_PROTECTED] = users.protected[u]
    x[:, fx.F_AUTHOR_STATUS] = users.status[authors]
    x[:, fx.F_SEEN] = seen_flags.astype(float)
    x[:, fx.F_NOISE] = [uniform(keys.ranking_noise, hour, u, ~np.int64(pid)) for pid in pids]
    return x


def linear_scores(x: np.ndarray, weights: np.ndarray, protected_factor: float) -> np.ndarray:
    w = np.broadcast_to(weights, x.shape).copy()
    harmful = np.zeros(x.shape[1], bool)
    harmful[[fx.F_OUTRAGE, fx.F_IDEALISED]] = True
    amplify = (x[:, fx.F_VIEWER_PROTECTED] > 0)[:, None] & (w < 0) & harmful[None, :]
    w[amplify] *= protected_factor
    s = np.zeros(x.shape[0])
    for i in range(x.shape[1]):  # feature by feature, as the kernel adds them
        s = s + w[:, i] * x[:, i]
    return s


def top_k(scores: np.ndarray, authors: np.ndarray, k: int, author_cap: int) -> np.ndarray:
    """A stable sort by descending score, then with an author cap pages of ``AUTHOR_CAP_PAGE`` items (k in all),
    each taking the best candidates left whose author has fewer than ``author_cap`` posts on that page; a
    page that runs out of such candidates stays short."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    if author_cap <= 0:
        return np.array(order[:k], np.int64)
    chosen = []
    for page in range(-(-k // AUTHOR_CAP_PAGE)):
        end, count, left = len(chosen) + min(AUTHOR_CAP_PAGE, k - page * AUTHOR_CAP_PAGE), {}, []
        for i in order:
            a = authors[i]
            if len(chosen) < end and count.get(a, 0) < author_cap:
                chosen.append(i)
                count[a] = count.get(a, 0) + 1
            else:
                left.append(i)
        if len(left) == len(order):
            break
        order = left
    return np.array(chosen, np.int64)


def rank_feeds(session_users, hour, p, rp, keys, weights, g, posts, users, pool, score=None):
    """List of (slots in rank order) per session. ``score(x_row, weights)`` replaces the linear rule."""
    feeds = []
    for u in session_users:
        slots, ties, seen_flags = candidates(u, hour, p, keys, g, posts, users, pool)
        x = feature_matrix(u, hour, slots, ties, seen_flags, p, rp, keys, posts, users)
        if score is None:
            s = linear_scores(x, weights, p.protected_factor)
        else:
            s = np.array([score(row, weights) for row in x], np.float64)
        feeds.append(slots[top_k(s, posts.author[slots], p.k, p.author_cap)])
    return feeds
