"""The ranking core: for every session of the hour, gather candidates, score them, keep the top K.

``rank_feeds`` is one ``parallel=True`` pass over sessions; each session writes only its own row of
the output, and every random number comes from the counter-based generator, so results do not depend
on the thread count. Candidates are

* in network: the posts within ``max_age_hours`` (newest first; at most ``per_followee_cap`` each when set) of the
  viewer's followees, visited from a per-(viewer, hour) random starting followee so that truncation
  at ``m`` is unbiased;
* out of network (if the policy has it): ``oon_candidates`` posts from the hour's pool (the most viral,
  bridging or recent posts of the whole platform, shuffled), from a random offset, skipping the
  viewer's own and followees' posts.

Each candidate's feature vector (``features.py``) is scored by the policy's rule; the top K by score
are kept in order (ties keep candidate order), at most ``author_cap`` per author when that is set.
``reference.py`` implements the same ranking in plain NumPy as the test oracle.

Speed (docs/design/decisions.md, "State, randomness, speed"): sessions are ranked in chunks, each with its
own scratch buffers, so nothing is allocated per session, and the chunk body is inlined into the
parallel loop; a candidate's post and author are read from packed records (one cache line each)
rather than from ten arrays; a built-in rule computes only the features its non-zero weights read (a
zero weight adds nothing to the sum); the top K is selected (the K-th best score first) rather than
sorted, or, with an author cap, kept in a sorted buffer of K + 1 entries as candidates are scored;
``log(1 + likes)`` is kept per post.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.behaviour.response import expected_dwell_s, like_logit, logistic
from sim.ranking import engagement_model as em_model
from sim.ranking import features as fx
from sim.ranking.seen import has_seen
from sim.rng import hash3, normal, uniform
from sim.sorting import kth_largest, radix_argsort
from sim.state import IDEALISED, INFORMATIONAL, OUTRAGE, PERSONAL


class PolicyParams(NamedTuple):
    k: int
    m: int
    oon_candidates: int  # 0 when the policy has no out-of-network content
    per_followee_cap: int  # 0 = no cap
    author_cap: int  # 0 = no cap
    max_age_hours: int
    show_seen: bool
    estimation_noise: float
    protected_factor: float
    learned_engagement: bool  # p_like and dwell from the learned engagement model (engagement_model.py)


# What ranking reads of a post, packed into one 64-byte record (one cache line), and of an author into a
# 32-byte one. A candidate then costs one or two cache lines instead of a read from each of ten arrays;
# at a million users those arrays are far larger than the cache and every read is a miss. The records
# are copies, refreshed from the columns before each hour's ranking (``packed``).
POST_RECORD = np.dtype(
    {
        "names": [
            "post_id",
            "prev_by_author",
            "log_likes",
            "created_hour",
            "author",
            "quality",
            "bridging",
            "style",
            "removed",
            "topic",
        ],
        "formats": [
            np.int64,
            np.int64,
            np.float64,
            np.int32,
            np.int32,
            np.float32,
            np.float32,
            np.int8,
            np.uint8,
            np.int8,
        ],
        "offsets": [0, 8, 16, 24, 28, 32, 36, 40, 41, 42],
        "itemsize": 64,
    },
    align=True,
)
AUTHOR_RECORD = np.dtype(
    {
        "names": ["last_post_id", "ideology", "status", "active"],
        "formats": [np.int64, np.float32, np.float32, np.uint8],
        "offsets": [0, 8, 12, 16],
        "itemsize": 32,
    },
    align=True,
)


class PostArrays(NamedTuple):
    """The post columns ranking reads, and ``rec``: the same as ``POST_RECORD`` records, which is what
    the kernels read (``packed`` fills it; None until then)."""

    post_id: np.ndarray
    author: np.ndarray
    created_hour: np.ndarray
    prev_by_author: np.ndarray
    style: np.ndarray
    quality: np.ndarray
    likes: np.ndarray
    bridging: np.ndarray
    removed: np.ndarray
    log_likes: np.ndarray  # log(1 + likes), kept up to date with likes (PostStore.log_likes)
    topic: np.ndarray
    rec: np.ndarray | None = None


class GraphArrays(NamedTuple):
    indptr: np.ndarray
    indices: np.ndarray
    mutual: np.ndarray


class UserArrays(NamedTuple):
    """What the ranking reads about users, as viewers and as authors. The kernels read the author fields
    (last_post_id, ideology, status, active) from ``rec``, ``AUTHOR_RECORD`` records filled by ``packed``."""

    last_post_id: np.ndarray
    seen: np.ndarray
    ideology: np.ndarray
    status: np.ndarray
    protected: np.ndarray  # minors and vulnerable users (the civic rule protects them more)
    counts_visible: np.ndarray  # the viewer sees like counts
    oon_idealised_blocked: np.ndarray  # teen accounts: no idealised posts from outside the network
    active: np.ndarray  # 0 = deactivated account: its posts are not shown
    interest: np.ndarray  # viewers' interest in each topic (read by the "oracle" engagement model only)
    # the platform's learned engagement model (engagement_model.EngagementArrays; used when p.learned_engagement)
    em_weights: np.ndarray
    em_dwell: np.ndarray
    em_user_bias: np.ndarray
    em_user_style: np.ndarray
    em_user_topic: np.ndarray
    em_user_factor: np.ndarray
    em_post_factor: np.ndarray
    rec: np.ndarray | None = None


def aligned_records(n: int, dtype: np.dtype) -> np.ndarray:
    """n zeroed records starting on a 64-byte boundary, so that no 64-byte record straddles two cache lines."""
    buf = np.zeros(n * dtype.itemsize + 64, np.uint8)
    start = -buf.ctypes.data % 64
    return buf[start : start + n * dtype.itemsize].view(dtype)


@njit(parallel=True, cache=True)
def pack_posts(post_id, prev_by_author, log_likes, created_hour, author, quality, bridging, style, removed, topic, rec):
    for i in prange(post_id.shape[0]):
        r = rec[i]
        r.post_id = post_id[i]
        r.prev_by_author = prev_by_author[i]
        r.log_likes = log_likes[i]
        r.created_hour = created_hour[i]
        r.author = author[i]
        r.quality = quality[i]
        r.bridging = bridging[i]
        r.style = style[i]
        r.removed = removed[i]
        r.topic = topic[i]


@njit(parallel=True, cache=True)
def pack_authors(last_post_id, ideology, status, active, rec):
    for i in prange(last_post_id.shape[0]):
        r = rec[i]
        r.last_post_id = last_post_id[i]
        r.ideology = ideology[i]
        r.status = status[i]
        r.active = active[i]


def packed(arrays, out: np.ndarray | None = None):
    """``arrays`` (PostArrays or UserArrays) with ``rec`` filled from its columns, in ``out`` when that
    has the right length (the model reuses one buffer), else in a new array. A record's fields are named
    after the columns they copy, and each pack kernel takes the columns in the record's field order."""
    pack, dtype = (pack_posts, POST_RECORD) if isinstance(arrays, PostArrays) else (pack_authors, AUTHOR_RECORD)
    columns = [getattr(arrays, name) for name in dtype.names]
    n = columns[0].shape[0]
    rec = out if out is not None and out.shape[0] == n and out.dtype == dtype else aligned_records(n, dtype)
    pack(*columns, rec)
    return arrays._replace(rec=rec)


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
    """Feed arrays for n_sessions sessions. Slots are int32 and ties float32 (0, 0.5 and 1 are exact)."""
    return FeedArrays(
        np.empty((n_sessions, k), np.int32),
        np.zeros(n_sessions, np.int64),
        np.zeros((n_sessions, k), np.float32),
        np.zeros((n_sessions, k), np.bool_),
        np.full(n_sessions, -1, np.int64),
    )


class FeedBuffers:
    """Feed arrays reused from hour to hour (grown when an hour has more sessions than any before), so
    that no hour allocates arrays of its sessions' size."""

    def __init__(self, k: int):
        self.k = k
        self._cap = 0
        self._grow(1024)

    def _grow(self, n: int) -> None:
        self._cap = n
        self._feeds = empty_feeds(n, self.k)
        self._n_viewed = np.zeros(n, np.int64)
        self._liked = np.zeros((n, self.k), np.bool_)
        self._replied = np.zeros((n, self.k), np.bool_)
        self._ended = np.zeros(n, np.int8)
        self._dwell = np.zeros((n, self.k), np.float32)

    def take(self, n_sessions: int):
        """(feeds, n_viewed, liked, replied, ended, dwell) for this hour's sessions: views of the first rows."""
        if n_sessions > self._cap:
            self._grow(max(n_sessions, int(self._cap * 1.25)))
        n = n_sessions
        feeds = FeedArrays(*(a[:n] for a in self._feeds))
        return feeds, self._n_viewed[:n], self._liked[:n], self._replied[:n], self._ended[:n], self._dwell[:n]

    @property
    def nbytes(self) -> int:
        scroll = (self._n_viewed, self._liked, self._replied, self._ended, self._dwell)
        return sum(a.nbytes for a in self._feeds) + sum(a.nbytes for a in scroll)


# Out-of-network candidates must not be by a followee. The viewer's followees go into a small
# open-addressing hash set (``followee_set``, scratch of at least ``set_size(degree)`` entries, all -1
# between uses), which answers each test in a probe or two instead of a binary search.
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
_HASH_SHIFT = np.uint64(32)


@njit
def set_size(degree):
    size = 16
    while size < 2 * degree:
        size *= 2
    return size


@njit
def _set_home(v, mask):
    return np.int64((np.uint64(v) * _HASH_MUL) >> _HASH_SHIFT) & mask


@njit
def set_add(table, mask, v):
    h = _set_home(v, mask)
    while table[h] >= 0:
        if table[h] == v:
            return
        h = (h + 1) & mask
    table[h] = v


@njit
def set_has(table, mask, v):
    h = _set_home(v, mask)
    while table[h] >= 0:
        if table[h] == v:
            return True
        h = (h + 1) & mask
    return False


@njit
def ring_slot(pid, cap):
    """The ring-buffer slot of post ``pid`` (a mask when the capacity is a power of two)."""
    if cap & (cap - 1) == 0:
        return pid & (cap - 1)
    return pid % cap


@njit
def gather_candidates(u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen, followee_set):
    """Fill the candidate arrays for viewer u; return how many were found (<= p.m)."""
    cap = posts.rec.shape[0]
    n = 0
    m_in = p.m - p.oon_candidates
    lo, hi = g.indptr[u], g.indptr[u + 1]
    deg = hi - lo
    if deg > 0 and m_in > 0:
        e = lo + int(uniform(keys.followee_offset, hour, u, 0) * deg)  # a random first followee, then in order
        for _ in range(deg):
            f = g.indices[e]
            tie = 1.0 if g.mutual[e] else 0.5
            e += 1
            if e == hi:
                e = lo
            author = users.rec[f]
            if author.active == 0:
                continue
            pid = author.last_post_id
            taken = 0
            while pid >= 0 and (p.per_followee_cap == 0 or taken < p.per_followee_cap) and n < m_in:
                slot = ring_slot(pid, cap)
                post = posts.rec[slot]
                if post.post_id != pid or hour - post.created_hour > p.max_age_hours:
                    break
                if post.removed == 0:
                    s = has_seen(users.seen, u, pid)
                    if p.show_seen or not s:
                        cand_slot[n] = slot
                        cand_tie[n] = tie
                        cand_seen[n] = s
                        n += 1
                        taken += 1
                pid = post.prev_by_author
            if n >= m_in:
                break
    n_pool = pool.shape[0]
    if p.oon_candidates > 0 and n_pool > 0:
        j = int(uniform(keys.oon_offset, hour, u, 0) * n_pool)
        blocked = users.oon_idealised_blocked[u] == 1
        size = set_size(deg)
        mask = size - 1
        for e in range(lo, hi):
            set_add(followee_set, mask, g.indices[e])
        added = 0
        for _ in range(n_pool):
            if added >= p.oon_candidates or n >= p.m:
                break
            slot = pool[j]
            j += 1
            if j == n_pool:
                j = 0
            post = posts.rec[slot]
            a = post.author
            if a == u or (blocked and post.style == IDEALISED) or set_has(followee_set, mask, a):
                continue
            s = has_seen(users.seen, u, post.post_id)
            if p.show_seen or not s:
                cand_slot[n] = slot
                cand_tie[n] = 0.0
                cand_seen[n] = s
                n += 1
                added += 1
        followee_set[:size] = -1
    return n


# Which features a rule reads: all for plug-in rules; for a built-in (linear) rule, those with a
# non-zero weight (``needed_features``). The costly ones are p_like and dwell (the engagement model with
# its estimation error), noise, and the author's status and the post's bridging score (memory reads).
@njit(inline="always")
def fill_features(x, u, slot, tie, seen_flag, hour, p, rp, keys, posts, users, need):
    post = posts.rec[slot]
    a = post.author
    author = users.rec[a]
    style = post.style
    agreement = 1.0 - abs(users.ideology[u] - author.ideology)
    outrage = 1.0 if style == OUTRAGE else 0.0
    idealised = 1.0 if style == IDEALISED else 0.0
    supportive = 1.0 if style == PERSONAL else 0.0
    log_likes = post.log_likes
    pid = post.post_id
    if need[fx.F_P_LIKE] or need[fx.F_DWELL]:
        # The platform's engagement model (engagement_model.py): learned from what it observes, or the
        # "oracle", the users' response model at average susceptibility; either plus error.
        visible = log_likes * users.counts_visible[u]
        if p.learned_engagement:
            z = em_model.like_logit(users, u, style, post.topic, tie, post.quality, visible, author.status, slot)
        else:
            interest = users.interest[u, post.topic]
            z = like_logit(rp, tie, agreement, outrage, idealised, supportive, post.quality, visible, 1.0, interest)
        if p.estimation_noise > 0:
            z += p.estimation_noise * normal(keys.ranking_noise, hour, u, pid)
        p_like = logistic(z)
        x[fx.F_P_LIKE] = p_like
        if p.learned_engagement:
            x[fx.F_DWELL] = em_model.dwell_minutes(users, p_like)
        else:
            x[fx.F_DWELL] = expected_dwell_s(rp, p_like) / 60.0
    x[fx.F_TIE] = tie
    x[fx.F_IN_NETWORK] = 1.0 if tie > 0 else 0.0
    x[fx.F_AGREEMENT] = agreement
    x[fx.F_OUTRAGE] = outrage
    x[fx.F_IDEALISED] = idealised
    x[fx.F_SUPPORTIVE] = supportive
    x[fx.F_INFORMATIONAL] = 1.0 if style == INFORMATIONAL else 0.0
    x[fx.F_QUALITY] = post.quality
    if need[fx.F_BRIDGING]:
        x[fx.F_BRIDGING] = fx.BRIDGING_SCALE * post.bridging
    x[fx.F_LOG_LIKES] = log_likes
    x[fx.F_AGE_HOURS] = hour - post.created_hour
    x[fx.F_VIEWER_PROTECTED] = users.protected[u]
    if need[fx.F_AUTHOR_STATUS]:
        x[fx.F_AUTHOR_STATUS] = author.status
    x[fx.F_SEEN] = 1.0 if seen_flag else 0.0
    if need[fx.F_NOISE]:
        x[fx.F_NOISE] = uniform(keys.ranking_noise, hour, u, ~pid)


@njit
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


@njit
def viewer_weights(w, protected, protected_factor, w_viewer):
    """The weights ``linear_score`` applies for a viewer who is (or is not) protected."""
    for i in range(w.shape[0]):
        wi = w[i]
        if protected and wi < 0 and (i == fx.F_OUTRAGE or i == fx.F_IDEALISED):
            wi *= protected_factor
        w_viewer[i] = wi


@njit
def sparse_score(x, w_viewer, nz, n_nz):
    """``linear_score`` over the non-zero weights only: the terms left out are 0 * finite feature = 0,
    which cannot change the sum (at most the sign of a zero sum, which ranks the same)."""
    s = 0.0
    for j in range(n_nz):
        i = nz[j]
        s += w_viewer[i] * x[i]
    return s


# A diversity cap limits an author's posts within a page of this many consecutive feed items, as a feed's
# diversity rules work on what is on screen together, not on everything a user may scroll to: over a whole
# infinite feed a cap of two posts per author would leave the feed short and the session caught up
# (docs/reference/model.md section 12.3). 30 is the page of the page lever (platform.page_items); assumed.
AUTHOR_CAP_PAGE = 30


@njit
def select_top_k(scores, n, cand_slot, author, k, author_cap, chosen):
    """Indices of the top-k candidates (descending score, stable on ties) into ``chosen``; returns
    how many were chosen. With author_cap > 0 an author appears at most author_cap times per page: the k
    items are pages of AUTHOR_CAP_PAGE (the last one shorter), filled in turn, each taking the best
    candidates left whose author has fewer than author_cap posts on that page; a page that runs out of
    such candidates stays short (for k <= AUTHOR_CAP_PAGE: the cap over the whole feed)."""
    order = np.argsort(-scores[:n], kind="mergesort")
    if author_cap <= 0:
        taken = min(k, n)
        chosen[:taken] = order[:taken]
        return taken
    used = np.zeros(n, np.bool_)
    taken = 0
    for page in range((k + AUTHOR_CAP_PAGE - 1) // AUTHOR_CAP_PAGE):
        page_start = taken
        page_end = taken + min(AUTHOR_CAP_PAGE, k - page * AUTHOR_CAP_PAGE)
        for i in range(n):
            if taken >= page_end:
                break
            if used[i]:
                continue
            a = author[cand_slot[order[i]]]
            c = 0
            for j in range(page_start, taken):
                if author[cand_slot[chosen[j]]] == a:
                    c += 1
            if c < author_cap:
                chosen[taken] = order[i]
                used[i] = True
                taken += 1
        if taken == page_start:
            break
    return taken


@njit(inline="always")
def top_k_insert(score, i, a, k, author_cap, best_score, best_i, best_author, taken):
    """Offer candidate i (score, author a) to the running top k; returns the new count.

    ``best_*`` (room for k + 1) hold the chosen candidates in rank order: descending score, and among
    equal scores in the order offered, as a stable sort would give. With author_cap > 0 the buffer is
    always the first k of the candidates that are among their author's author_cap best so far, which is
    what ``select_top_k`` picks from the fully sorted list: a newcomer is refused if author_cap of its
    author's entries rank above it, and otherwise pushes out its author's entry that falls to rank
    author_cap + 1. Candidates that fall below rank k never come back, because the buffer never
    shrinks below the k it had."""
    if taken == k and not score > best_score[k - 1]:
        return taken
    pos = taken
    while pos > 0 and best_score[pos - 1] < score:
        pos -= 1
    if author_cap > 0:
        c = 0
        for j in range(pos):
            if best_author[j] == a:
                c += 1
        if c >= author_cap:
            return taken
    for j in range(taken, pos, -1):
        best_score[j] = best_score[j - 1]
        best_i[j] = best_i[j - 1]
        best_author[j] = best_author[j - 1]
    best_score[pos] = score
    best_i[pos] = i
    best_author[pos] = a
    taken += 1
    if author_cap > 0:
        c = 0
        for j in range(taken):
            if best_author[j] == a:
                c += 1
                if c > author_cap:
                    for q in range(j, taken - 1):
                        best_score[q] = best_score[q + 1]
                        best_i[q] = best_i[q + 1]
                        best_author[q] = best_author[q + 1]
                    taken -= 1
                    break
    return min(taken, k)


@njit
def top_k_select(scores, n, k, work, chosen):
    """The top k of scores[:n] without an author cap, in rank order (descending score, ties in index
    order: what a stable sort gives) into ``chosen``; returns how many. Selects the k-th largest score
    first, so only the chosen are sorted."""
    taken = 0
    if n <= k:
        for i in range(n):
            chosen[i] = i
        taken = n
    else:
        t = kth_largest(scores, n, k, work)
        for i in range(n):
            if scores[i] > t:
                chosen[taken] = i
                taken += 1
        for i in range(n):
            if taken == k:
                break
            if scores[i] == t:
                chosen[taken] = i
                taken += 1
    # insertion sort by descending score; stable, and the input is in index order within equal scores
    for i in range(1, taken):
        c = chosen[i]
        v = scores[c]
        j = i
        while j > 0 and scores[chosen[j - 1]] < v:
            chosen[j] = chosen[j - 1]
            j -= 1
        chosen[j] = c
    return taken


@njit
def write_feed(s, taken, chosen, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen):
    for i in range(taken):
        j = chosen[i]
        feed_slot[s, i] = cand_slot[j]
        feed_tie[s, i] = cand_tie[j]
        feed_seen[s, i] = cand_seen[j]
    for i in range(taken, feed_slot.shape[1]):
        feed_slot[s, i] = -1
    feed_len[s] = taken


# Sessions per chunk: each chunk of the parallel loop allocates its scratch buffers once.
CHUNK = 64


# Parallel kernels take their output arrays as separate arguments, never inside a NamedTuple: Numba drops
# writes to arrays reached through a NamedTuple in a parallel loop, and even after unpacking the tuple
# before the loop (numba issues #5872 and #7135). Callers pass ``*feeds``.


def chunk_ranker(score, sparse):
    """The function that ranks the sessions of one chunk with ``score(x, w, protected_factor)``, or, when
    ``sparse``, with the built-in linear rule over the non-zero weights only.

    It is inlined into the parallel loop (Numba IR inlining): compiled as a function of its own and
    called once per chunk it ranked a third slower (0.77 s against 0.51 s for one midday hour of 100,000
    users), for about the same compilation time. Its helpers stay separate functions, so the kernel
    still compiles in seconds. ``score`` is bound here rather than passed as an argument, which would
    stop the kernel from being cached."""

    @njit(inline="always")
    def rank_chunk(
        c,
        session_users,
        hour,
        p,
        rp,
        keys,
        weights,
        g,
        posts,
        users,
        pool,
        need,
        feed_slot,
        feed_len,
        feed_tie,
        feed_seen,
        bad_score,
    ):
        """Gather, score and select the feeds of the sessions of chunk c. A non-finite score ranks last and
        is reported in ``bad_score`` (-1 when every score was finite)."""
        n_s = session_users.shape[0]
        cand_slot = np.empty(p.m, np.int64)
        cand_tie = np.empty(p.m, np.float64)
        cand_seen = np.empty(p.m, np.bool_)
        x = np.zeros(fx.N_FEATURES, np.float64)
        cand_score = np.empty(p.m, np.float64)
        work = np.empty(p.m, np.float64)
        best_score = np.empty(p.k + 1, np.float64)
        best_i = np.empty(p.k + 1, np.int64)
        best_author = np.empty(p.k + 1, np.int64)
        w_viewer = np.empty(fx.N_FEATURES, np.float64)
        nz = np.empty(fx.N_FEATURES, np.int64)
        n_nz = 0
        for i in range(fx.N_FEATURES):
            if weights[i] != 0:
                nz[n_nz] = i
                n_nz += 1
        lo, hi = c * CHUNK, min((c + 1) * CHUNK, n_s)
        max_degree = 0
        for s in range(lo, hi):
            u = session_users[s]
            max_degree = max(max_degree, g.indptr[u + 1] - g.indptr[u])
        followee_set = np.full(set_size(max_degree), -1, np.int64)
        for s in range(lo, hi):
            u = session_users[s]
            bad_score[s] = -1
            n = gather_candidates(u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen, followee_set)
            if sparse:
                viewer_weights(weights, users.protected[u] > 0, p.protected_factor, w_viewer)
            taken = 0
            for i in range(n):
                slot = cand_slot[i]
                fill_features(x, u, slot, cand_tie[i], cand_seen[i], hour, p, rp, keys, posts, users, need)
                if sparse:
                    v = sparse_score(x, w_viewer, nz, n_nz)
                else:
                    v = score(x, weights, p.protected_factor)
                if not np.isfinite(v):
                    if bad_score[s] < 0:
                        bad_score[s] = i
                    v = -np.inf
                if p.author_cap > 0 and p.k <= AUTHOR_CAP_PAGE:  # one page: a running top k
                    taken = top_k_insert(
                        v, i, posts.rec[slot].author, p.k, p.author_cap, best_score, best_i, best_author, taken
                    )
                else:
                    cand_score[i] = v
            if p.author_cap <= 0:
                taken = top_k_select(cand_score, n, p.k, work, best_i)
            elif p.k > AUTHOR_CAP_PAGE:
                taken = select_top_k(cand_score, n, cand_slot, posts.author, p.k, p.author_cap, best_i)
            write_feed(s, taken, best_i, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen)

    return rank_chunk


_rank_chunk_linear = chunk_ranker(linear_score, True)


@njit(parallel=True, cache=True)
def rank_feeds(
    session_users,
    hour,
    p,
    rp,
    keys,
    weights,
    g,
    posts,
    users,
    pool,
    feed_slot,
    feed_len,
    feed_tie,
    feed_seen,
    bad_score,
):
    """Rank the feed of every session with the built-in linear rule given by ``weights``."""
    need = np.zeros(fx.N_FEATURES, np.uint8)
    for i in range(fx.N_FEATURES):
        need[i] = weights[i] != 0
    for c in prange((session_users.shape[0] + CHUNK - 1) // CHUNK):
        _rank_chunk_linear(
            c,
            session_users,
            hour,
            p,
            rp,
            keys,
            weights,
            g,
            posts,
            users,
            pool,
            need,
            feed_slot,
            feed_len,
            feed_tie,
            feed_seen,
            bad_score,
        )


def rank_feeds_with(score_fn):
    """A ranking kernel that scores with a jitted plug-in ``score_fn(x, w) -> float``.

    Compiled once per process for each plug-in (a kernel that closes over a function cannot use the
    on-disk cache)."""

    @njit
    def score(x, w, protected_factor):
        return score_fn(x, w)

    rank_chunk = chunk_ranker(score, False)

    @njit(parallel=True)
    def kernel(
        session_users,
        hour,
        p,
        rp,
        keys,
        weights,
        g,
        posts,
        users,
        pool,
        feed_slot,
        feed_len,
        feed_tie,
        feed_seen,
        bad_score,
    ):
        need = np.ones(fx.N_FEATURES, np.uint8)
        for c in prange((session_users.shape[0] + CHUNK - 1) // CHUNK):
            rank_chunk(
                c,
                session_users,
                hour,
                p,
                rp,
                keys,
                weights,
                g,
                posts,
                users,
                pool,
                need,
                feed_slot,
                feed_len,
                feed_tie,
                feed_seen,
                bad_score,
            )

    return kernel


@njit(parallel=True, cache=True)
def candidate_features(
    session_users, hour, p, rp, keys, g, posts, users, pool, n_cand, cand_slot, cand_tie, cand_seen, x
):
    """Every session's candidates and their feature vectors, for rules that run outside Numba."""
    need = np.ones(fx.N_FEATURES, np.uint8)
    for s in prange(session_users.shape[0]):
        u = session_users[s]
        followee_set = np.full(set_size(g.indptr[u + 1] - g.indptr[u]), -1, np.int64)
        n = gather_candidates(
            u, hour, p, keys, g, posts, users, pool, cand_slot[s], cand_tie[s], cand_seen[s], followee_set
        )
        n_cand[s] = n
        for i in range(n):
            fill_features(
                x[s, i], u, cand_slot[s, i], cand_tie[s, i], cand_seen[s, i], hour, p, rp, keys, posts, users, need
            )


def all_candidate_features(session_users, hour, p, rp, keys, weights, g, posts, users, pool):
    """Every session's candidates and their features, as the ranking kernel gathers them (for rules scored
    in Python, and for finding the candidate a rule failed on)."""
    n_s = session_users.shape[0]
    n_cand = np.zeros(n_s, np.int64)
    cand_slot = np.empty((n_s, p.m), np.int64)
    cand_tie = np.empty((n_s, p.m), np.float64)
    cand_seen = np.empty((n_s, p.m), np.bool_)
    x = np.empty((n_s, p.m, fx.N_FEATURES), np.float64)
    candidate_features(
        session_users, hour, p, rp, keys, g, posts, users, pool, n_cand, cand_slot, cand_tie, cand_seen, x
    )
    return n_cand, cand_slot, cand_tie, cand_seen, x


@njit(parallel=True, cache=True)
def select_feeds(
    scores,
    n_cand,
    cand_slot,
    cand_tie,
    cand_seen,
    author,
    k,
    author_cap,
    feed_slot,
    feed_len,
    feed_tie,
    feed_seen,
    bad_score,
):
    """The top K of each session's scored candidates (the second half of ``rank_chunk``)."""
    for s in prange(scores.shape[0]):
        n = n_cand[s]
        bad_score[s] = -1
        sc = scores[s].copy()
        for i in range(n):
            if not np.isfinite(sc[i]):
                if bad_score[s] < 0:
                    bad_score[s] = i
                sc[i] = -np.inf
        chosen = np.empty(k, np.int64)
        taken = select_top_k(sc, n, cand_slot[s], author, k, author_cap, chosen)
        write_feed(s, taken, chosen, cand_slot[s], cand_tie[s], cand_seen[s], feed_slot, feed_len, feed_tie, feed_seen)


# Virality of a post for the engagement pool: its like rate, smoothed towards 1 in 10 by one like in
# ten prior impressions, times log(2 + likes), so it needs both a high rate and volume.
VIRALITY_PRIOR_LIKES, VIRALITY_PRIOR_IMPRESSIONS = 1.0, 10.0


@njit(cache=True)
def build_pool(
    key,
    hour,
    pool_key,
    pool_share,
    min_size,
    max_age_hours,
    post_id,
    created_hour,
    likes,
    impressions,
    bridging,
    removed,
    author,
    author_active,
):
    """The hour's out-of-network pool: the top ``pool_share`` of live posts (at least ``min_size``) by
    the policy's pool key, in shuffled order. A share rather than a count keeps the selection equally
    strict at every population size. Removed posts and posts of deactivated accounts are not live.

    pool_key: 0 = virality, 1 = bridging, 2 = recent.

    The pool is the ``size`` largest keys, ties broken by ascending post id, ordered by a per-(hour, post)
    random number; equal random numbers keep key order. It is found by selecting the size-th largest key
    rather than sorting all live posts."""
    cap = post_id.shape[0]
    n = 0
    for slot in range(cap):
        if (
            post_id[slot] >= 0
            and hour - created_hour[slot] <= max_age_hours
            and removed[slot] == 0
            and author_active[author[slot]] == 1
        ):
            n += 1
    live = np.empty(n, np.int64)
    keyv = np.empty(n, np.float64)
    n = 0
    for slot in range(cap):
        if (
            post_id[slot] >= 0
            and hour - created_hour[slot] <= max_age_hours
            and removed[slot] == 0
            and author_active[author[slot]] == 1
        ):
            live[n] = slot
            if pool_key == 0:
                keyv[n] = (
                    (likes[slot] + VIRALITY_PRIOR_LIKES)
                    / (impressions[slot] + VIRALITY_PRIOR_IMPRESSIONS)
                    * np.log(2.0 + likes[slot])
                )
            elif pool_key == 1:
                keyv[n] = bridging[slot]
            else:
                keyv[n] = created_hour[slot]
            n += 1
    size = min(max(int(round(pool_share * n)), min_size), n)
    top = np.empty(size, np.int64)
    top_key = np.empty(size, np.float64)
    if size == 0:
        return top
    threshold = kth_largest(keyv, n, size, np.empty(n, np.float64))
    m = 0
    n_tied = 0
    for i in range(n):
        if keyv[i] > threshold:
            top[m] = live[i]
            top_key[m] = keyv[i]
            m += 1
        elif keyv[i] == threshold:
            n_tied += 1
    if m < size:  # posts with the threshold key, by ascending post id
        tied_pid = np.empty(n_tied, np.uint64)
        tied_slot = np.empty(n_tied, np.int64)
        j = 0
        for i in range(n):
            if keyv[i] == threshold:
                tied_pid[j] = post_id[live[i]]
                tied_slot[j] = live[i]
                j += 1
        order = radix_argsort(tied_pid, n_tied)
        for j in range(size - m):
            top[m] = tied_slot[order[j]]
            top_key[m] = threshold
            m += 1
    shuffle = np.empty(size, np.uint64)
    for i in range(size):
        shuffle[i] = hash3(key, hour, post_id[top[i]], 3) >> np.uint64(11)  # uniform(key, hour, pid, 3) * 2**53
    order = radix_argsort(shuffle, size)
    # equal random numbers (a 53-bit collision; practically never): key descending, then post id
    i = 0
    while i < size:
        j = i + 1
        while j < size and shuffle[order[j]] == shuffle[order[i]]:
            j += 1
        for a in range(i + 1, j):
            o = order[a]
            b = a
            while b > i and (
                top_key[o] > top_key[order[b - 1]]
                or (top_key[o] == top_key[order[b - 1]] and post_id[top[o]] < post_id[top[order[b - 1]]])
            ):
                order[b] = order[b - 1]
                b -= 1
            order[b] = o
        i = j
    pool = np.empty(size, np.int64)
    for i in range(size):
        pool[i] = top[order[i]]
    return pool
