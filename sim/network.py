"""The directed follow graph: homophily by ideology and age, heavy-tailed in-degree, reciprocity.

Each user u draws an out-degree k_u (log-normal) and then k_u accounts to follow with probability

    P(u follows v)  ~  fitness_v * exp(-homophily_ideology * |ideology_u - ideology_v|)
                                 * (homophily_same_age if same age group else 1)

where fitness is Pareto distributed (a few accounts attract most followers, as in preferential
attachment; Barabasi & Albert 1999; Kwak et al. 2010). The ideology term is evaluated on bins of
ideology so that the draw costs O(k log n) per user instead of O(n). A share of one-way edges to
non-influencers is then reciprocated, which creates mutual (close) ties. The top ``influencer_share``
of accounts by fitness are influencers: they post often and mostly idealised, commercial content.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.checks import Checker, fail
from sim.external import stratified_pareto
from sim.rng import Streams, uniform
from sim.sorting import sort_inplace
from sim.state import FollowGraph, UserState


class Blocks(NamedTuple):
    """The population cut into blocks of age group and ideology bin, with each block's members by cumulative
    fitness (and a coarse table of it) for drawing follows."""

    block_of: np.ndarray
    block_age: np.ndarray
    block_centre: np.ndarray
    start: np.ndarray
    members: np.ndarray
    cum: np.ndarray
    total: np.ndarray
    cstart: np.ndarray
    coarse: np.ndarray


@njit(cache=True)
def _block_tables(block_of, fitness, n_blocks):
    """Members of each block in id order with the cumulative fitness within the block."""
    n = block_of.shape[0]
    counts = np.zeros(n_blocks + 1, np.int64)
    for u in range(n):
        counts[block_of[u] + 1] += 1
    start = np.cumsum(counts)
    members = np.empty(n, np.int64)
    cum = np.empty(n, np.float64)
    fill = start[:-1].copy()
    for u in range(n):
        b = block_of[u]
        members[fill[b]] = u
        fill[b] += 1
    total = np.zeros(n_blocks, np.float64)
    for b in range(n_blocks):
        acc = 0.0
        for i in range(start[b], start[b + 1]):
            acc += fitness[members[i]]
            cum[i] = acc
        total[b] = acc
    return start, members, cum, total


# Cumulative fitness within a block is searched through a coarse table of every COARSE-th value first,
# so that a draw touches a few cache lines instead of a binary search over the whole block.
COARSE = 64


@njit(cache=True)
def _coarse_table(start, cum):
    n_blocks = start.shape[0] - 1
    cstart = np.zeros(n_blocks + 1, np.int64)
    for b in range(n_blocks):
        cstart[b + 1] = cstart[b] + (start[b + 1] - start[b] + COARSE - 1) // COARSE
    coarse = np.empty(cstart[n_blocks], np.float64)
    for b in range(n_blocks):
        for j in range(cstart[b + 1] - cstart[b]):
            coarse[cstart[b] + j] = cum[start[b] + j * COARSE]
    return cstart, coarse


@njit
def _search_right(a, lo, hi, x):
    """First index i in [lo, hi) with a[i] > x (hi if none), as np.searchsorted(a[lo:hi], x, 'right') + lo."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(parallel=True, cache=True)
def _draw_edges(key, out_degree, blocks, ideology, age, homophily_ideology, homophily_age, offsets, targets):
    """Each user's follows: blocks by ideology and age weighted by homophily, then members by fitness."""
    for u in prange(out_degree.shape[0]):
        _draw_user_edges(u, key, out_degree, blocks, ideology, age, homophily_ideology, homophily_age, offsets, targets)


@njit
def _draw_user_edges(u, key, out_degree, blocks, ideology, age, homophily_ideology, homophily_age, offsets, targets):
    block_of, block_age, block_centre, start, members, cum, total, cstart, coarse = blocks
    n_blocks = total.shape[0]
    w = np.empty(n_blocks, np.float64)
    acc = 0.0
    for b in range(n_blocks):
        wb = total[b] * np.exp(-homophily_ideology * abs(ideology[u] - block_centre[b]))
        if block_age[b] == age[u]:
            wb *= homophily_age
        acc += wb
        w[b] = acc
    k = out_degree[u]
    base = offsets[u]
    # open-addressing set of the targets drawn so far (duplicate test in O(1))
    size = 16
    while size < 2 * k:
        size *= 2
    taken = np.full(size, -1, np.int64)
    got = 0
    attempt = 0
    while got < k and attempt < 20 * k + 20:
        r = uniform(key, u, attempt, 0) * acc
        b = _search_right(w, 0, n_blocks, r)
        if b >= n_blocks:
            b = n_blocks - 1
        lo, hi = start[b], start[b + 1]
        attempt += 1
        if hi <= lo:
            continue
        r2 = uniform(key, u, attempt, 1) * total[b]
        # the coarse table narrows [lo, hi) to one segment of COARSE entries
        c = _search_right(coarse, cstart[b], cstart[b + 1], r2) - cstart[b]
        seg_lo = lo + max(c - 1, 0) * COARSE
        seg_hi = min(lo + c * COARSE, hi) if c > 0 else lo
        i = _search_right(cum, seg_lo, seg_hi, r2) if c > 0 else lo
        if i >= hi:
            i = hi - 1
        v = members[i]
        if v == u:
            continue
        h = (v * 0x9E3779B1) & (size - 1)
        dup = False
        while taken[h] >= 0:
            if taken[h] == v:
                dup = True
                break
            h = (h + 1) & (size - 1)
        if dup:
            continue
        taken[h] = v
        targets[base + got] = v
        got += 1
    for j in range(base + got, base + k):
        targets[j] = -1


@njit(cache=True)
def _sorted_rows(out_degree, targets):
    """CSR of the drawn edges: each user's targets sorted, failed draws (-1) dropped, compacted in place
    in ``targets`` (whose first indptr[-1] entries are then the indices)."""
    n = out_degree.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    lo = 0
    for u in range(n):
        hi = lo + out_degree[u]
        sort_inplace(targets, lo, hi)
        start = indptr[u]
        m = 0
        for i in range(lo, hi):
            v = targets[i]
            if v >= 0:
                targets[start + m] = v  # start + m <= i: never ahead of the entries still to be read
                m += 1
        indptr[u + 1] = start + m
        lo = hi
    return indptr


@njit(cache=True)
def _transpose(indptr, indices, in_degree):
    """Followers of each user (the transposed CSR); rows sorted because sources are visited in order."""
    n = indptr.shape[0] - 1
    tptr = np.zeros(n + 1, np.int64)
    for v in range(n):
        tptr[v + 1] = tptr[v] + in_degree[v]
    out = np.empty(tptr[n], np.int32)
    fill = tptr[:n].copy()
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            out[fill[v]] = u
            fill[v] += 1
    return tptr, out


@njit(parallel=True, cache=True)
def _mutual_flags(indptr, indices, tptr, followers_of):
    """1 for u -> v when v -> u too: a merge of u's sorted followees with u's sorted followers."""
    n = indptr.shape[0] - 1
    mutual = np.zeros(indices.shape[0], np.uint8)
    for u in prange(n):
        j, j_end = tptr[u], tptr[u + 1]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            while j < j_end and followers_of[j] < v:
                j += 1
            if j < j_end and followers_of[j] == v:
                mutual[e] = 1
    return mutual


@njit(cache=True)
def _reciprocated(key, indptr, indices, influencer, reciprocity):
    """The follow-backs: v follows u back when u follows v, v is no influencer and the (u, v) coin says
    so. Returned as a CSR by follower v; each row is sorted because u is visited in ascending order."""
    n = indptr.shape[0] - 1
    back = np.zeros(indices.shape[0], np.uint8)
    counts = np.zeros(n + 1, np.int64)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if influencer[v] == 0 and uniform(key, u, v, 7) < reciprocity:
                back[e] = 1
                counts[v + 1] += 1
    eptr = np.cumsum(counts)
    extra = np.empty(eptr[n], np.int32)
    fill = eptr[:n].copy()
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            if back[e]:
                v = indices[e]
                extra[fill[v]] = u
                fill[v] += 1
    return eptr, extra


@njit(cache=True)
def _union_rows(indptr, indices, eptr, extra):
    """Row-wise union of two CSRs with sorted rows: a CSR with sorted, de-duplicated rows."""
    n = indptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        i, i_end, j, j_end = indptr[u], indptr[u + 1], eptr[u], eptr[u + 1]
        m = 0
        while i < i_end or j < j_end:
            if j == j_end or (i < i_end and indices[i] < extra[j]):
                i += 1
            elif i == i_end or extra[j] < indices[i]:
                j += 1
            else:
                i += 1
                j += 1
            m += 1
        out_ptr[u + 1] = out_ptr[u] + m
    out = np.empty(out_ptr[n], np.int32)
    for u in range(n):
        i, i_end, j, j_end = indptr[u], indptr[u + 1], eptr[u], eptr[u + 1]
        m = out_ptr[u]
        while i < i_end or j < j_end:
            if j == j_end or (i < i_end and indices[i] < extra[j]):
                out[m] = indices[i]
                i += 1
            elif i == i_end or extra[j] < indices[i]:
                out[m] = extra[j]
                j += 1
            else:
                out[m] = indices[i]
                i += 1
                j += 1
            m += 1
    return out_ptr, out


@njit(cache=True)
def _in_degree(indices, n):
    counts = np.zeros(n, np.int64)
    for e in range(indices.shape[0]):
        counts[indices[e]] += 1
    return counts


@njit(cache=True)
def _close_ties(indptr, indices, mutual):
    """The CSR of each user's mutual follows (rows stay sorted)."""
    n = indptr.shape[0] - 1
    cptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        m = 0
        for e in range(indptr[u], indptr[u + 1]):
            m += mutual[e]
        cptr[u + 1] = cptr[u] + m
    out = np.empty(cptr[n], np.int32)
    for u in range(n):
        m = cptr[u]
        for e in range(indptr[u], indptr[u + 1]):
            if mutual[e]:
                out[m] = indices[e]
                m += 1
    return cptr, out


def generate(cfg, users: UserState, streams: Streams, accounts=None) -> FollowGraph:
    """The follow graph of the simulated users, with follows to the outside ``accounts`` (sim/external.py) when
    there are any."""
    nc = cfg.network
    n = users.n
    rng = streams.generator("network")
    key = streams.key("network")
    # by strata, as for outside accounts (sim/external.py): the top accounts' share of the fitness, and so of
    # the follows, is then the same in a sample of any size
    fitness = stratified_pareto(n, float(nc.fitness_pareto_alpha), rng)
    n_infl = max(1, int(round(nc.influencer_share * n))) if nc.influencer_share > 0 else 0
    infl_fitness_share = 0.0
    if n_infl:
        top = np.argsort(-fitness, kind="stable")[:n_infl]
        users.influencer[top] = 1
        infl_fitness_share = float(fitness[top].sum() / fitness.sum())

    # Reciprocation adds `reciprocity` edges per drawn edge to an ordinary account (influencers do not
    # follow back; draws land on them in proportion to their fitness); draw fewer so the mean matches.
    # A share follow_share of each user's follows goes to accounts outside the sample (sim/external.py).
    share = float(nc.external.follow_share) if accounts is not None and accounts.n > 0 else 0.0
    inside_mean = nc.mean_out_degree * (1.0 - share)
    target_mean = inside_mean / (1.0 + nc.reciprocity * (1.0 - infl_fitness_share))
    sd = nc.out_degree_sd_log
    k = np.exp(np.log(max(target_mean, 1e-9)) - 0.5 * sd**2 + sd * rng.normal(size=n))
    out_degree = np.clip(np.round(k), 1, min(n - 1, 20 * nc.mean_out_degree)).astype(np.int64)

    n_bins = nc.ideology_bins
    ibin = np.minimum(((users.ideology + 1.0) / 2.0 * n_bins).astype(np.int64), n_bins - 1)
    block_of = users.age_group.astype(np.int64) * n_bins + ibin
    n_blocks = 3 * n_bins
    block_age = np.repeat(np.arange(3), n_bins).astype(np.int64)
    block_centre = np.tile(-1.0 + (np.arange(n_bins) + 0.5) * 2.0 / n_bins, 3)
    start, members, cum, total = _block_tables(block_of, fitness, n_blocks)
    cstart, coarse = _coarse_table(start, cum)

    offsets = np.concatenate([[0], np.cumsum(out_degree)[:-1]]).astype(np.int64)
    # Built without global sorts or edge-list copies, so that a million users with 150 follows each
    # fit in a few GB: rows are sorted in place, follow-backs are merged row by row.
    targets = np.empty(int(out_degree.sum()), np.int32)
    _draw_edges(
        key,
        out_degree,
        Blocks(block_of, block_age, block_centre, start, members, cum, total, cstart, coarse),
        users.ideology.astype(np.float64),
        users.age_group.astype(np.int64),
        float(nc.homophily_ideology),
        float(nc.homophily_same_age),
        offsets,
        targets,
    )
    indptr = _sorted_rows(out_degree, targets)
    indices = targets[: indptr[-1]]
    if nc.reciprocity > 0:
        eptr, extra = _reciprocated(key, indptr, indices, users.influencer, float(nc.reciprocity))
        indptr, indices = _union_rows(indptr, indices, eptr, extra)
        del eptr, extra
    else:
        indices = indices.copy()
    del targets
    in_degree = _in_degree(indices, n)
    tptr, followers_of = _transpose(indptr, indices, in_degree)
    mutual = _mutual_flags(indptr, indices, tptr, followers_of)
    del tptr, followers_of

    followers = in_degree.astype(np.int32)
    users.followers[:] = followers
    users.status[:] = np.log1p(followers)
    close_indptr, close_indices = _close_ties(indptr, indices, mutual)
    if share > 0:
        indptr, indices, mutual = _follow_outside(cfg, users, accounts, streams, indptr, indices, mutual)
    return FollowGraph(
        indptr=indptr,
        indices=indices,
        mutual=mutual,
        close_indptr=close_indptr,
        close_indices=close_indices,
        followers=followers,
    )


@njit(cache=True)
def _append_rows(indptr, indices, mutual, eptr, extra):
    """Each row of ``extra`` (ids above every id in ``indices``, sorted) appended to the same row: a CSR
    with sorted rows, the appended edges not mutual."""
    n = indptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        out_ptr[u + 1] = out_ptr[u] + (indptr[u + 1] - indptr[u]) + (eptr[u + 1] - eptr[u])
    out = np.empty(out_ptr[n], np.int32)
    out_mutual = np.zeros(out_ptr[n], np.uint8)
    for u in range(n):
        m = out_ptr[u]
        for e in range(indptr[u], indptr[u + 1]):
            out[m] = indices[e]
            out_mutual[m] = mutual[e]
            m += 1
        for e in range(eptr[u], eptr[u + 1]):
            out[m] = extra[e]
            m += 1
    return out_ptr, out, out_mutual


def _follow_outside(cfg, users: UserState, accounts, streams: Streams, indptr, indices, mutual):
    """Follows of outside accounts, drawn as follows of users are (Pareto fitness, homophily by ideology; the
    accounts have no age group), and appended to the graph. Sets the accounts' followers and status. Outside
    accounts do not follow back: they are not in the sample."""
    nc = cfg.network
    n = users.n
    rng = streams.generator("external_follows")
    fitness = stratified_pareto(accounts.n, float(nc.fitness_pareto_alpha), rng)
    sd = nc.out_degree_sd_log
    mean = nc.mean_out_degree * float(nc.external.follow_share)
    k = np.exp(np.log(mean) - 0.5 * sd**2 + sd * rng.normal(size=n))
    out_degree = np.clip(np.round(k), 0, accounts.n).astype(np.int64)
    n_bins = nc.ideology_bins
    block_of = np.minimum(((accounts.ideology + 1.0) / 2.0 * n_bins).astype(np.int64), n_bins - 1)
    start, members, cum, total = _block_tables(block_of, fitness, n_bins)
    members += n  # author ids of the accounts
    cstart, coarse = _coarse_table(start, cum)
    blocks = Blocks(
        block_of,
        np.full(n_bins, -1, np.int64),  # no age group: the same-age term never applies
        -1.0 + (np.arange(n_bins) + 0.5) * 2.0 / n_bins,
        start,
        members,
        cum,
        total,
        cstart,
        coarse,
    )
    offsets = np.concatenate([[0], np.cumsum(out_degree)[:-1]]).astype(np.int64)
    targets = np.empty(int(out_degree.sum()), np.int32)
    _draw_edges(
        streams.key("external_follows"),
        out_degree,
        blocks,
        users.ideology.astype(np.float64),
        users.age_group.astype(np.int64),
        float(nc.homophily_ideology),
        1.0,
        offsets,
        targets,
    )
    eptr = _sorted_rows(out_degree, targets)
    extra = targets[: eptr[-1]]
    followers = np.bincount(extra - n, minlength=accounts.n).astype(np.int32)
    accounts.followers[:] = followers
    accounts.status[:] = np.log1p(followers)
    return _append_rows(indptr, indices, mutual, eptr, extra)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``network`` settings (run by ``sim.config.validate``)."""
    n = "network"
    c.positive(f"{n}.mean_out_degree", f"{n}.fitness_pareto_alpha")
    c.non_negative(f"{n}.out_degree_sd_log", f"{n}.homophily_ideology", f"{n}.homophily_same_age")
    c.probability(f"{n}.reciprocity", f"{n}.influencer_share")
    # the follows inside the sample: all of them, or those left by follows of outside accounts
    inside = c.get(f"{n}.mean_out_degree")
    c.non_negative(f"{n}.external.accounts_per_user")
    c.probability(f"{n}.external.follow_share")  # checked here first: the share enters the check below
    if c.get(f"{n}.external.accounts_per_user") > 0:
        inside *= 1.0 - c.get(f"{n}.external.follow_share")
    if inside >= c.get("n_users"):
        fail(
            f"{n}.mean_out_degree",
            c.get(f"{n}.mean_out_degree"),
            f"must be below n_users ({c.get('n_users')}); for a small population set a smaller degree, "
            f"e.g. network.mean_out_degree={max(1, c.get('n_users') // 5)}",
        )
    if c.get(f"{n}.ideology_bins") < 1:
        fail(f"{n}.ideology_bins", c.get(f"{n}.ideology_bins"), "must be a positive integer")
