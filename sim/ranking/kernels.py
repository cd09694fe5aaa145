"""The ranking core: for every session of the hour, gather candidates, score them, keep the top K.

``rank_feeds`` is one ``parallel=True`` pass over sessions; each session writes only its own row of
the output, and every random number comes from the counter-based generator, so results do not depend
on the thread count. Candidates are

* in network: the newest posts (up to ``per_followee_cap`` each, within ``max_age_hours``) of the
  viewer's followees, visited from a per-(viewer, hour) random starting followee so that truncation
  at ``m`` is unbiased;
* out of network (if the policy has it): ``oon_candidates`` posts from the hour's pool (the most viral,
  bridging or recent posts of the whole platform, shuffled), from a random offset, skipping the
  viewer's own and followees' posts.

Each candidate's feature vector (``features.py``) is scored by the policy's rule; the top K by score
are kept in order (ties keep candidate order), at most ``author_cap`` per author when that is set.
``reference.py`` implements the same ranking in plain NumPy as the test oracle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.behaviour.response import ResponseParams, expected_dwell_s, like_logit, logistic
from sim.ranking import features as fx
from sim.ranking.seen import has_seen
from sim.rng import normal, uniform
from sim.state import IDEALISED, INFORMATIONAL, OUTRAGE, PERSONAL


class PolicyParams(NamedTuple):
    k: int
    m: int
    oon_candidates: int  # 0 when the policy has no out-of-network content
    per_followee_cap: int
    author_cap: int  # 0 = no cap
    max_age_hours: int
    show_seen: bool
    estimation_noise: float
    protected_factor: float


class PostArrays(NamedTuple):
    post_id: np.ndarray
    author: np.ndarray
    created_hour: np.ndarray
    prev_by_author: np.ndarray
    style: np.ndarray
    quality: np.ndarray
    likes: np.ndarray
    bridging: np.ndarray
    removed: np.ndarray


class GraphArrays(NamedTuple):
    indptr: np.ndarray
    indices: np.ndarray
    mutual: np.ndarray


class UserArrays(NamedTuple):
    """What the ranking reads about users, as viewers and as authors."""

    last_post_id: np.ndarray
    seen: np.ndarray
    ideology: np.ndarray
    status: np.ndarray
    protected: np.ndarray  # minors and vulnerable users (the civic rule protects them more)
    counts_visible: np.ndarray  # the viewer sees like counts
    oon_idealised_blocked: np.ndarray  # teen accounts: no idealised posts from outside the network
    active: np.ndarray  # 0 = deactivated account: its posts are not shown


class Keys(NamedTuple):
    followee_offset: np.uint64
    oon_offset: np.uint64
    ranking_noise: np.uint64


class FeedArrays(NamedTuple):
    """The ranked feeds of one hour's sessions (row s = session s)."""

    slot: np.ndarray  # post slots in rank order, -1 beyond feed_len
    length: np.ndarray
    tie: np.ndarray
    seen: np.ndarray
    bad_score: np.ndarray  # index of the first candidate with a non-finite score, else -1


def empty_feeds(n_sessions: int, k: int) -> FeedArrays:
    return FeedArrays(np.empty((n_sessions, k), np.int64), np.zeros(n_sessions, np.int64),
                      np.zeros((n_sessions, k), np.float64), np.zeros((n_sessions, k), np.bool_),
                      np.full(n_sessions, -1, np.int64))


@njit(inline="always")
def follows(g, u, v):
    lo, hi = g.indptr[u], g.indptr[u + 1]
    i = lo + np.searchsorted(g.indices[lo:hi], v)
    return i < hi and g.indices[i] == v


@njit(inline="always")
def gather_candidates(u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen):
    """Fill the candidate arrays for viewer u; return how many were found (<= p.m)."""
    cap = posts.post_id.shape[0]
    n = 0
    m_in = p.m - p.oon_candidates
    lo, hi = g.indptr[u], g.indptr[u + 1]
    deg = hi - lo
    if deg > 0 and m_in > 0:
        start = int(uniform(keys.followee_offset, hour, u, 0) * deg)
        for i in range(deg):
            e = lo + (start + i) % deg
            f = g.indices[e]
            if users.active[f] == 0:
                continue
            tie = 1.0 if g.mutual[e] else 0.5
            pid = users.last_post_id[f]
            taken = 0
            while pid >= 0 and taken < p.per_followee_cap and n < m_in:
                slot = pid % cap
                if posts.post_id[slot] != pid or hour - posts.created_hour[slot] > p.max_age_hours:
                    break
                if posts.removed[slot] == 0:
                    s = has_seen(users.seen, u, pid)
                    if p.show_seen or not s:
                        cand_slot[n] = slot
                        cand_tie[n] = tie
                        cand_seen[n] = s
                        n += 1
                        taken += 1
                pid = posts.prev_by_author[slot]
            if n >= m_in:
                break
    n_pool = pool.shape[0]
    if p.oon_candidates > 0 and n_pool > 0:
        start = int(uniform(keys.oon_offset, hour, u, 0) * n_pool)
        blocked = users.oon_idealised_blocked[u] == 1
        added = 0
        for i in range(n_pool):
            if added >= p.oon_candidates or n >= p.m:
                break
            slot = pool[(start + i) % n_pool]
            a = posts.author[slot]
            if a == u or follows(g, u, a) or (blocked and posts.style[slot] == IDEALISED):
                continue
            s = has_seen(users.seen, u, posts.post_id[slot])
            if p.show_seen or not s:
                cand_slot[n] = slot
                cand_tie[n] = 0.0
                cand_seen[n] = s
                n += 1
                added += 1
    return n


@njit(inline="always")
def fill_features(x, u, slot, tie, seen_flag, hour, p, rp, keys, posts, users):
    a = posts.author[slot]
    style = posts.style[slot]
    agreement = 1.0 - abs(users.ideology[u] - users.ideology[a])
    outrage = 1.0 if style == OUTRAGE else 0.0
    idealised = 1.0 if style == IDEALISED else 0.0
    supportive = 1.0 if style == PERSONAL else 0.0
    log_likes = np.log1p(posts.likes[slot])
    pid = posts.post_id[slot]
    # The platform's engagement model: the response model at average susceptibility, plus error.
    z = like_logit(rp, tie, agreement, outrage, idealised, supportive, posts.quality[slot],
                   log_likes * users.counts_visible[u], 1.0)
    if p.estimation_noise > 0:
        z += p.estimation_noise * normal(keys.ranking_noise, hour, u, pid)
    p_like = logistic(z)
    x[fx.F_P_LIKE] = p_like
    x[fx.F_DWELL] = expected_dwell_s(rp, p_like) / 60.0
    x[fx.F_TIE] = tie
    x[fx.F_IN_NETWORK] = 1.0 if tie > 0 else 0.0
    x[fx.F_AGREEMENT] = agreement
    x[fx.F_OUTRAGE] = outrage
    x[fx.F_IDEALISED] = idealised
    x[fx.F_SUPPORTIVE] = supportive
    x[fx.F_INFORMATIONAL] = 1.0 if style == INFORMATIONAL else 0.0
    x[fx.F_QUALITY] = posts.quality[slot]
    x[fx.F_BRIDGING] = fx.BRIDGING_SCALE * posts.bridging[slot]
    x[fx.F_LOG_LIKES] = log_likes
    x[fx.F_AGE_HOURS] = hour - posts.created_hour[slot]
    x[fx.F_VIEWER_PROTECTED] = users.protected[u]
    x[fx.F_AUTHOR_STATUS] = users.status[a]
    x[fx.F_SEEN] = 1.0 if seen_flag else 0.0
    x[fx.F_NOISE] = uniform(keys.ranking_noise, hour, u, ~pid)


@njit(inline="always")
def linear_score(x, w, protected_factor):
    """Built-in rules: a weighted sum of features; for protected viewers (minors, vulnerable) a negative
    weight on outrage or idealisation is multiplied by protected_factor."""
    s = 0.0
    protected = x[fx.F_VIEWER_PROTECTED] > 0
    for i in range(w.shape[0]):
        wi = w[i]
        if protected and wi < 0 and (i == fx.F_OUTRAGE or i == fx.F_IDEALISED):
            wi *= protected_factor
        s += wi * x[i]
    return s


@njit(inline="always")
def select_top_k(scores, n, cand_slot, author, k, author_cap, chosen):
    """Indices of the top-k candidates (descending score, stable on ties) into ``chosen``; returns
    how many were chosen. With author_cap > 0 an author appears at most author_cap times."""
    order = np.argsort(-scores[:n], kind="mergesort")
    if author_cap <= 0:
        taken = min(k, n)
        chosen[:taken] = order[:taken]
        return taken
    taken = 0
    for i in range(n):
        if taken >= k:
            break
        a = author[cand_slot[order[i]]]
        c = 0
        for j in range(taken):
            if author[cand_slot[chosen[j]]] == a:
                c += 1
        if c < author_cap:
            chosen[taken] = order[i]
            taken += 1
    return taken


@njit(inline="always")
def write_feed(s, taken, chosen, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen):
    for i in range(taken):
        j = chosen[i]
        feed_slot[s, i] = cand_slot[j]
        feed_tie[s, i] = cand_tie[j]
        feed_seen[s, i] = cand_seen[j]
    for i in range(taken, feed_slot.shape[1]):
        feed_slot[s, i] = -1
    feed_len[s] = taken


# Parallel kernels take their output arrays as separate arguments, never inside a NamedTuple: Numba drops
# writes to arrays reached through a NamedTuple in a parallel loop, and even after unpacking the tuple
# before the loop (numba issues #5872 and #7135). Callers pass ``*feeds``.


@njit(inline="always")
def rank_session(s, u, hour, p, rp, keys, weights, g, posts, users, pool, score, feed_slot, feed_len, feed_tie,
                 feed_seen, bad_score):
    """Gather, score and select the feed of session s (viewer u) with ``score(x, w, protected_factor)``.
    A non-finite score ranks last and is reported in ``bad_score``."""
    cand_slot = np.empty(p.m, np.int64)
    cand_tie = np.empty(p.m, np.float64)
    cand_seen = np.empty(p.m, np.bool_)
    n = gather_candidates(u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen)
    scores = np.empty(max(n, 1), np.float64)
    x = np.empty(fx.N_FEATURES, np.float64)
    for i in range(n):
        fill_features(x, u, cand_slot[i], cand_tie[i], cand_seen[i], hour, p, rp, keys, posts, users)
        v = score(x, weights, p.protected_factor)
        if not np.isfinite(v):
            if bad_score[s] < 0:
                bad_score[s] = i
            v = -np.inf
        scores[i] = v
    chosen = np.empty(p.k, np.int64)
    taken = select_top_k(scores, n, cand_slot, posts.author, p.k, p.author_cap, chosen)
    write_feed(s, taken, chosen, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen)


@njit(parallel=True, cache=True)
def rank_feeds(session_users, hour, p, rp, keys, weights, g, posts, users, pool, feed_slot, feed_len, feed_tie,
               feed_seen, bad_score):
    """Rank the feed of every session with the built-in linear rule given by ``weights``."""
    for s in prange(session_users.shape[0]):
        rank_session(s, session_users[s], hour, p, rp, keys, weights, g, posts, users, pool, linear_score,
                     feed_slot, feed_len, feed_tie, feed_seen, bad_score)


def rank_feeds_with(score_fn):
    """A ranking kernel that scores with a jitted plug-in ``score_fn(x, w) -> float``.

    Compiled once per process for each plug-in (a kernel that closes over a function cannot use the
    on-disk cache)."""

    @njit(inline="always")
    def score(x, w, protected_factor):
        return score_fn(x, w)

    @njit(parallel=True)
    def kernel(session_users, hour, p, rp, keys, weights, g, posts, users, pool, feed_slot, feed_len, feed_tie,
               feed_seen, bad_score):
        for s in prange(session_users.shape[0]):
            rank_session(s, session_users[s], hour, p, rp, keys, weights, g, posts, users, pool, score,
                         feed_slot, feed_len, feed_tie, feed_seen, bad_score)

    return kernel


@njit(parallel=True, cache=True)
def candidate_features(session_users, hour, p, rp, keys, g, posts, users, pool, n_cand, cand_slot, cand_tie,
                       cand_seen, x):
    """Every session's candidates and their feature vectors, for rules that run outside Numba."""
    for s in prange(session_users.shape[0]):
        u = session_users[s]
        n = gather_candidates(u, hour, p, keys, g, posts, users, pool, cand_slot[s], cand_tie[s], cand_seen[s])
        n_cand[s] = n
        for i in range(n):
            fill_features(x[s, i], u, cand_slot[s, i], cand_tie[s, i], cand_seen[s, i], hour, p, rp, keys, posts,
                          users)


@njit(parallel=True, cache=True)
def select_feeds(scores, n_cand, cand_slot, cand_tie, cand_seen, author, k, author_cap, feed_slot, feed_len,
                 feed_tie, feed_seen, bad_score):
    """The top K of each session's scored candidates (the second half of ``rank_session``)."""
    for s in prange(scores.shape[0]):
        n = n_cand[s]
        sc = scores[s].copy()
        for i in range(n):
            if not np.isfinite(sc[i]):
                if bad_score[s] < 0:
                    bad_score[s] = i
                sc[i] = -np.inf
        chosen = np.empty(k, np.int64)
        taken = select_top_k(sc, n, cand_slot[s], author, k, author_cap, chosen)
        write_feed(s, taken, chosen, cand_slot[s], cand_tie[s], cand_seen[s], feed_slot, feed_len, feed_tie,
                   feed_seen)


# Virality of a post for the engagement pool: its like rate, smoothed towards 1 in 10 by one like in
# ten prior impressions, times log(2 + likes), so it needs both a high rate and volume.
VIRALITY_PRIOR_LIKES, VIRALITY_PRIOR_IMPRESSIONS = 1.0, 10.0


@njit(cache=True)
def build_pool(key, hour, pool_key, pool_share, min_size, max_age_hours, post_id, created_hour, likes,
               impressions, bridging, removed, author, author_active):
    """The hour's out-of-network pool: the top ``pool_share`` of live posts (at least ``min_size``) by
    the policy's pool key, in shuffled order. A share rather than a count keeps the selection equally
    strict at every population size. Removed posts and posts of deactivated accounts are not live.

    pool_key: 0 = virality, 1 = bridging, 2 = recent."""
    cap = post_id.shape[0]
    live = np.empty(cap, np.int64)
    n = 0
    for slot in range(cap):
        if (post_id[slot] >= 0 and hour - created_hour[slot] <= max_age_hours and removed[slot] == 0
                and author_active[author[slot]] == 1):
            live[n] = slot
            n += 1
    live = live[:n]
    keyv = np.empty(n, np.float64)
    for i in range(n):
        s = live[i]
        if pool_key == 0:
            keyv[i] = ((likes[s] + VIRALITY_PRIOR_LIKES) / (impressions[s] + VIRALITY_PRIOR_IMPRESSIONS)
                       * np.log(2.0 + likes[s]))
        elif pool_key == 1:
            keyv[i] = bridging[s]
        else:
            keyv[i] = created_hour[s]
    # order by key descending, post id ascending on ties, so the pool is deterministic
    ids = np.empty(n, np.int64)
    for i in range(n):
        ids[i] = post_id[live[i]]
    order = np.argsort(ids, kind="mergesort")
    live = live[order]
    keyv = keyv[order]
    order = np.argsort(-keyv, kind="mergesort")
    size = min(max(int(round(pool_share * n)), min_size), n)
    top = live[order[:size]]
    shuffle_key = np.empty(top.shape[0], np.float64)
    for i in range(top.shape[0]):
        shuffle_key[i] = uniform(key, hour, post_id[top[i]], 3)
    return top[np.argsort(shuffle_key, kind="mergesort")]
