"""A ranking rule written from scratch for the plug-in tutorial (docs/guide/plugins.md).

``friends_first`` puts people before reach: posts from close friends and people one follows, newest
first, personal and informative posts up, outrage down, and nothing from outside the network unless it
is exceptionally liked on both sides of the divide.
"""

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
