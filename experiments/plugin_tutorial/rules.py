"""A ranking rule written from scratch for the plug-in tutorial (docs/guide/plugins.md).

``friends_first`` puts people before reach: posts from close friends and people one follows, newest
first, personal and informative posts up, outrage down, and nothing from outside the network unless it
is exceptionally liked on both sides of the divide. ``two_per_author_bridging_third`` is a rule of the
whole slate: it re-ranks the candidates together, which a score per candidate cannot do.
"""

import numpy as np

from sim.ranking.features import (
    F_AGE_HOURS,
    F_BRIDGING,
    F_IN_NETWORK,
    F_INFORMATIONAL,
    F_OUTRAGE,
    F_P_LIKE,
    F_SUPPORTIVE,
    F_TIE,
)


def friends_first(x, w):
    """Score one candidate: x holds its features, w the policy's weights (unused here)."""
    score = 3.0 * x[F_TIE] + 0.5 * x[F_SUPPORTIVE] + 0.3 * x[F_INFORMATIONAL] - 1.0 * x[F_OUTRAGE]
    score += 2.0 * x[F_P_LIKE]  # relevance still counts a little
    score -= 0.02 * x[F_AGE_HOURS]  # fresher first
    if x[F_IN_NETWORK] == 0.0 and x[F_BRIDGING] < 1.0:
        score -= 10.0  # strangers only when they bridge the divide
    return score


def two_per_author_bridging_third(X, authors, w):
    """Order a whole slate: X holds one row of features per candidate, authors their authors. By the
    platform's predicted like probability, at most two posts per author, and every third item the most
    bridging post not yet shown."""
    n = X.shape[0]
    by_engagement = np.argsort(-X[:, F_P_LIKE], kind="mergesort")
    by_bridging = np.argsort(-X[:, F_BRIDGING], kind="mergesort")
    distinct = np.unique(authors)
    author_of = np.searchsorted(distinct, authors)
    posts_by = np.zeros(distinct.shape[0], np.int64)
    shown = np.zeros(n, np.bool_)
    order = np.empty(n, np.int64)
    taken = 0
    while taken < n:
        ranking = by_bridging if taken % 3 == 2 else by_engagement
        found = False
        for c in ranking:
            if not shown[c] and posts_by[author_of[c]] < 2:
                order[taken] = c
                shown[c] = True
                posts_by[author_of[c]] += 1
                taken += 1
                found = True
                break
        if not found:  # every author left has had two posts
            break
    return order[:taken]
