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

import numpy as np
from numba import njit, prange

from sim.rng import Streams, uniform
from sim.state import FollowGraph, UserState


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


@njit(parallel=True, cache=True)
def _draw_edges(key, out_degree, block_of, block_age, block_centre, ideology, age, start, members, cum,
                total, homophily_ideology, homophily_age, offsets, targets):
    n = out_degree.shape[0]
    n_blocks = total.shape[0]
    for u in prange(n):
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
        got = 0
        attempt = 0
        while got < k and attempt < 20 * k + 20:
            r = uniform(key, u, attempt, 0) * acc
            b = np.searchsorted(w, r, side="right")
            if b >= n_blocks:
                b = n_blocks - 1
            lo, hi = start[b], start[b + 1]
            attempt += 1
            if hi <= lo:
                continue
            r2 = uniform(key, u, attempt, 1) * total[b]
            i = lo + np.searchsorted(cum[lo:hi], r2, side="right")
            if i >= hi:
                i = hi - 1
            v = members[i]
            if v == u:
                continue
            dup = False
            for j in range(base, base + got):
                if targets[j] == v:
                    dup = True
                    break
            if dup:
                continue
            targets[base + got] = v
            got += 1
        for j in range(base + got, base + k):
            targets[j] = -1


@njit(cache=True)
def _csr(src, dst, n):
    """CSR with sorted, de-duplicated neighbour lists."""
    order = np.argsort(src * np.int64(n) + dst)
    indptr = np.zeros(n + 1, np.int64)
    out = np.empty(src.shape[0], np.int32)
    m = 0
    prev_s, prev_d = -1, -1
    for idx in order:
        s, d = src[idx], dst[idx]
        if s == prev_s and d == prev_d:
            continue
        out[m] = d
        indptr[s + 1] += 1
        m += 1
        prev_s, prev_d = s, d
    for u in range(n):
        indptr[u + 1] += indptr[u]
    return indptr, out[:m].copy()


@njit(cache=True)
def _has_edge(indptr, indices, u, v):
    lo, hi = indptr[u], indptr[u + 1]
    i = lo + np.searchsorted(indices[lo:hi], v)
    return i < hi and indices[i] == v


@njit(parallel=True, cache=True)
def _mutual_flags(indptr, indices):
    n = indptr.shape[0] - 1
    mutual = np.zeros(indices.shape[0], np.uint8)
    for u in prange(n):
        for e in range(indptr[u], indptr[u + 1]):
            if _has_edge(indptr, indices, indices[e], u):
                mutual[e] = 1
    return mutual


@njit(cache=True)
def _reciprocate(key, indptr, indices, influencer, reciprocity):
    n = indptr.shape[0] - 1
    extra_src = np.empty(indices.shape[0], np.int64)
    extra_dst = np.empty(indices.shape[0], np.int64)
    m = 0
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if influencer[v] == 0 and uniform(key, u, v, 7) < reciprocity:
                extra_src[m] = v
                extra_dst[m] = u
                m += 1
    return extra_src[:m], extra_dst[:m]


def generate(cfg, users: UserState, streams: Streams) -> FollowGraph:
    nc = cfg.network
    n = users.n
    rng = streams.generator("network")
    key = streams.key("network")
    fitness = (1.0 - rng.random(n)) ** (-1.0 / nc.fitness_pareto_alpha)
    n_infl = max(1, int(round(nc.influencer_share * n))) if nc.influencer_share > 0 else 0
    infl_fitness_share = 0.0
    if n_infl:
        top = np.argsort(-fitness, kind="stable")[:n_infl]
        users.influencer[top] = 1
        infl_fitness_share = float(fitness[top].sum() / fitness.sum())

    # Reciprocation adds `reciprocity` edges per drawn edge to an ordinary account (influencers do not
    # follow back; draws land on them in proportion to their fitness); draw fewer so the mean matches.
    target_mean = nc.mean_out_degree / (1.0 + nc.reciprocity * (1.0 - infl_fitness_share))
    sd = nc.out_degree_sd_log
    k = np.exp(np.log(target_mean) - 0.5 * sd**2 + sd * rng.normal(size=n))
    out_degree = np.clip(np.round(k), 1, min(n - 1, 20 * nc.mean_out_degree)).astype(np.int64)

    n_bins = nc.ideology_bins
    ibin = np.minimum(((users.ideology + 1.0) / 2.0 * n_bins).astype(np.int64), n_bins - 1)
    block_of = users.age_group.astype(np.int64) * n_bins + ibin
    n_blocks = 3 * n_bins
    block_age = np.repeat(np.arange(3), n_bins).astype(np.int64)
    block_centre = np.tile(-1.0 + (np.arange(n_bins) + 0.5) * 2.0 / n_bins, 3)
    start, members, cum, total = _block_tables(block_of, fitness, n_blocks)

    offsets = np.concatenate([[0], np.cumsum(out_degree)[:-1]]).astype(np.int64)
    targets = np.empty(int(out_degree.sum()), np.int64)
    _draw_edges(key, out_degree, block_of, block_age, block_centre, users.ideology.astype(np.float64),
                users.age_group.astype(np.int64), start, members, cum, total,
                float(nc.homophily_ideology), float(nc.homophily_same_age), offsets, targets)
    src = np.repeat(np.arange(n, dtype=np.int64), out_degree)
    keep = targets >= 0
    src, dst = src[keep], targets[keep]
    indptr, indices = _csr(src, dst, n)

    if nc.reciprocity > 0:
        es, ed = _reciprocate(key, indptr, indices, users.influencer, float(nc.reciprocity))
        indptr, indices = _csr(np.concatenate([src, es]), np.concatenate([dst, ed]), n)
    mutual = _mutual_flags(indptr, indices)

    followers = np.bincount(indices, minlength=n).astype(np.int32)
    users.followers[:] = followers
    users.status[:] = np.log1p(followers)
    close = mutual.astype(bool)
    c_src = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))[close]
    close_indptr, close_indices = _csr(c_src, indices[close].astype(np.int64), n)
    return FollowGraph(indptr=indptr, indices=indices, mutual=mutual, close_indptr=close_indptr,
                       close_indices=close_indices, followers=followers)
