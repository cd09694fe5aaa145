"""Slate rules: a researcher's rule that sees a session's whole candidate slate at once.

A per-candidate rule (``score(x, w)``, ``plugins.py``) cannot diversify a feed, cap an author, interleave
sources or re-rank a slate, as published re-ranking experiments do; a slate rule can. It is a function of
three arguments,

    rank(X, authors, w)

``X`` the candidates' feature matrix (one row per candidate, the columns of ``features.py``), ``authors``
each candidate's author (an integer id: equal ids, same author) and ``w`` the policy's weights. It returns
either

- an **order**: a 1-D integer array of distinct candidate indices (rows of ``X``); the feed shows them in
  that order, up to ``policy.k`` items, and candidates left out are not shown; or
- **scores**: a 1-D float array with one finite number per candidate; the feed is the top ``policy.k`` by
  score, with ``policy.author_cap`` applied as for the built-in rules.

The viewer's own features are in every row (``viewer_protected``). A compiled slate rule runs inside a
parallel kernel of its own (``slate_kernel``); one Numba cannot compile runs in Python with a warning.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.ranking import features as fx
from sim.ranking.kernels import (
    CHUNK,
    all_candidate_features,
    fill_features,
    gather_candidates,
    select_feeds,
    select_top_k,
    set_size,
    write_feed,
)

# A slate rule takes (X, authors, w); a per-candidate rule (x, w).
SLATE_ARGUMENTS = 3
ORDER, SCORES = "order", "scores"


def test_slates(inputs: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Slates for the pre-check, from the per-candidate test inputs: all of them (authors repeating, so that
    a cap matters), the first three, and a slate of one."""
    X = np.ascontiguousarray(np.stack([x for x, _ in inputs]))
    w = inputs[0][1]
    authors = np.arange(X.shape[0], dtype=np.int64) % 7
    return [(X, authors, w), (X[:3].copy(), authors[:3].copy(), w), (X[:1].copy(), authors[:1].copy(), w)]


def kind_of(out) -> str | None:
    """ORDER or SCORES for an array a slate rule may return, None for anything else."""
    if not isinstance(out, np.ndarray) or out.ndim != 1:
        return None
    if np.issubdtype(out.dtype, np.integer):
        return ORDER
    if np.issubdtype(out.dtype, np.floating):
        return SCORES
    return None


def problem(out, n: int, kind: str) -> str | None:
    """What is wrong with a slate rule's output for a slate of n candidates, in words; None if nothing."""
    found = kind_of(out)
    if found is None:
        shape = f" of shape {out.shape} and dtype {out.dtype}" if isinstance(out, np.ndarray) else ""
        return (
            f"it returned {type(out).__name__}{shape}; a slate rule returns a 1-D integer array (the candidates' "
            "indices in the order to show them) or a 1-D float array (one score per candidate)"
        )
    if found != kind:
        return f"it returned {'an order' if found == ORDER else 'scores'} here but {kind} elsewhere; return one kind"
    if kind == SCORES:
        if out.shape[0] != n:
            return f"it returned {out.shape[0]} scores for {n} candidates; return one score per candidate"
        bad = np.flatnonzero(~np.isfinite(out))
        if bad.size:
            return f"it returned the score {out[bad[0]]} for candidate {bad[0]}; every score must be a finite number"
        return None
    seen: set[int] = set()
    for j, c in enumerate(out.tolist()):
        if not 0 <= c < n:
            return f"its order holds {c} at position {j}, which is not a candidate index (0 to {n - 1})"
        if c in seen:
            return f"its order holds candidate {c} twice (again at position {j}); show each candidate once"
        seen.add(c)
    return None


@njit
def finish_order(s, order, n, k, author_cap, cand_slot, author, chosen, used, bad):
    """Take a valid order's first k candidates into ``chosen``; flag the first invalid position in
    ``bad[s]``. The author cap is the rule's own business here."""
    for i in range(n):
        used[i] = False
    for j in range(order.shape[0]):
        c = order[j]
        if c < 0 or c >= n or used[c]:
            bad[s] = j
            return 0
        used[c] = True
        if j < k:
            chosen[j] = c
    return min(order.shape[0], k)


@njit
def finish_scores(s, scores, n, k, author_cap, cand_slot, author, chosen, used, bad):
    """The top k by score, as the built-in rules select them; flag a wrong length or a non-finite score."""
    if scores.shape[0] != n:
        bad[s] = n
        return 0
    for i in range(n):
        if not np.isfinite(scores[i]):
            bad[s] = i
            return 0
    return select_top_k(scores, n, cand_slot, author, k, author_cap, chosen)


def slate_kernel(rule_fn, kind: str):
    """A parallel ranking kernel around a jitted slate rule: gather, features, the rule, the feed. It takes
    the arguments of ``kernels.rank_feeds``; ``bad_score[s]`` flags a session whose output was invalid."""
    finish = finish_order if kind == ORDER else finish_scores

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
        n_s = session_users.shape[0]
        for c in prange((n_s + CHUNK - 1) // CHUNK):
            X = np.zeros((p.m, fx.N_FEATURES), np.float64)
            authors = np.empty(p.m, np.int64)
            cand_slot = np.empty(p.m, np.int64)
            cand_tie = np.empty(p.m, np.float64)
            cand_seen = np.empty(p.m, np.bool_)
            chosen = np.empty(max(p.k, 1), np.int64)
            used = np.empty(p.m, np.bool_)
            for s in range(c * CHUNK, min((c + 1) * CHUNK, n_s)):
                u = session_users[s]
                followee_set = np.full(set_size(g.indptr[u + 1] - g.indptr[u]), -1, np.int64)
                n = gather_candidates(
                    u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen, followee_set
                )
                for i in range(n):
                    fill_features(
                        X[i], u, cand_slot[i], cand_tie[i], cand_seen[i], hour, p, rp, keys, posts, users, need
                    )
                    authors[i] = posts.author[cand_slot[i]]
                bad_score[s] = -1
                taken = 0
                if n > 0:
                    out = rule_fn(X[:n], authors[:n], weights)
                    taken = finish(s, out, n, p.k, p.author_cap, cand_slot, posts.author, chosen, used, bad_score)
                write_feed(s, taken, chosen, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen)

    return kernel


@njit(parallel=True, cache=True)
def write_orders(orders, lengths, cand_slot, cand_tie, cand_seen, feed_slot, feed_len, feed_tie, feed_seen):
    """Feeds from orders checked in Python (row s: the first ``lengths[s]`` entries of ``orders[s]``)."""
    for s in prange(orders.shape[0]):
        write_feed(
            s, lengths[s], orders[s], cand_slot[s], cand_tie[s], cand_seen[s], feed_slot, feed_len, feed_tie, feed_seen
        )


class SlateError(ValueError):
    """A slate rule's output was invalid during a run: the message names the viewer and the hour."""


def slates_of(posts, n_cand, cand_slot, x):
    """Each session's slate as a rule sees it, (session, X, authors, n), from its gathered candidates."""
    for s in range(n_cand.shape[0]):
        n = n_cand[s]
        yield s, x[s, :n], posts.author[cand_slot[s, :n]].astype(np.int64), n


def slates(args: tuple):
    """Each session's slate, (session, X, authors, n), from the hour's ranking arguments."""
    n_cand, cand_slot, _, _, x = all_candidate_features(*args)
    return slates_of(args[7], n_cand, cand_slot, x)


def where(session_users, s: int, hour: int, n: int) -> str:
    return f"for viewer {int(session_users[s])} at hour {hour} ({n} candidates)"


def first_problem(function, kind: str, args: tuple) -> str:
    """Rerun a slate rule in Python on the hour's slates and describe the first invalid output, naming the
    viewer and the hour (after the kernel flagged one)."""
    session_users, hour, weights = args[0], args[1], args[5]
    w = weights.copy()
    w.flags.writeable = False
    for s, X, authors, n in slates(args):
        if n == 0:
            continue
        why = problem(function(X, authors, w), n, kind)
        if why is not None:
            return f"{where(session_users, s, hour, n)}: {why}"
    return f"it returned an invalid {kind} while ranking the feeds of hour {hour}"


def python_slate_ranker(function, kind: str):
    """Rank with a slate rule Numba cannot compile: candidates and features in the kernel, the rule in
    Python, each output checked before it is used."""

    def rank(session_users, hour, p, rp, keys, weights, g, posts, users, pool, *feeds):
        args = (session_users, hour, p, rp, keys, weights, g, posts, users, pool)
        n_s = session_users.shape[0]
        n_cand, cand_slot, cand_tie, cand_seen, x = all_candidate_features(*args)
        w = weights.view()
        w.flags.writeable = False
        outputs = np.full((n_s, max(p.m, 1)), -np.inf if kind == SCORES else -1)
        lengths = np.zeros(n_s, np.int64)
        for s, X, authors, n in slates_of(posts, n_cand, cand_slot, x):
            if n == 0:
                continue
            out = function(X, authors, w)
            why = problem(out, n, kind)
            if why is not None:
                raise SlateError(f"{where(session_users, s, hour, n)}: {why}")
            lengths[s] = min(out.shape[0], p.k)
            outputs[s, : out.shape[0]] = out
        if kind == SCORES:
            select_feeds(outputs, n_cand, cand_slot, cand_tie, cand_seen, posts.author, p.k, p.author_cap, *feeds)
        else:
            write_orders(outputs.astype(np.int64), lengths, cand_slot, cand_tie, cand_seen, *feeds[:4])
            feeds[4][:] = -1

    return rank
