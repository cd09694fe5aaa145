"""The platform's engagement model: where the ``p_like`` and ``dwell`` features of every rule come from.

Two kinds (``platform.engagement_model.kind``):

* ``oracle`` (a contrast for tests; ``learned`` is the default): the users' own response
  model (``behaviour/response.py``) at average outrage susceptibility, with the viewer's and author's true
  ideology, plus an estimation error. It reads latent traits and learns nothing, so it cannot produce the
  feedback loops of engagement ranking.
* ``learned``: what a platform can actually do. An online logistic regression predicts whether the viewer
  likes a candidate from what the platform observes, and a linear regression predicts dwell from that
  prediction; both learn from every impression (viewed item, liked or not, and its dwell), in the fixed
  order of ``response.record_impressions``, so they are deterministic and independent of the thread count.

The learned like model is a logistic regression with per-user terms, trained by stochastic gradient descent
with L2 shrinkage (the online learners of production feed ranking: McMahan et al. 2013 for logistic
regression at scale; He et al. 2014 for its use in Facebook's ads ranking)::

    logit p_like(u, post) = w . x(u, post) + b_u + a_u[style of post] + t_u[topic of post]
    x = (1, tie, in_network, outrage, idealised, supportive, informational, quality,
         log(1 + visible likes), author_status, side agreement)

``side agreement`` is the product of the viewer's and the post's factors in the platform's matrix
factorisation of likes (``bridging.py``): the platform's own estimate of whether the two are on the same
side, never their ideology. ``a_u`` are per-user affinities for each style: a user who likes outrage more
than others gets a higher predicted like rate on outrage, so engagement ranking shows them more of it.
``t_u`` are per-user affinities for each topic (``behaviour/interests.py``; a post's topic is observable, as
a content classifier would give it), learned the same way. The regression never reads a user's traits
(outrage susceptibility, comparison orientation, ideology, interests, mood).
The rules' ``estimation_noise`` is added to the learned logit too, as exploration: without it a
greedy ranker never shows a style whose estimate is low and never learns it was wrong.

Dwell: ``dwell_minutes = d0 + d1 * p_like``, fitted by least-mean-squares to the observed dwell of every
impression. The learning rates and the shrinkage are numerical choices (tests check the model learns what
users like and personalises); the model starts from the overall like rate and knows nothing else.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.checks import Checker, fail, from_sections
from sim.vocabulary import IDEALISED, INFORMATIONAL, N_STYLES, OUTRAGE, PERSONAL

KINDS = ("oracle", "learned")
INPUTS = (
    "intercept",
    "tie",
    "in_network",
    "outrage",
    "idealised",
    "supportive",
    "informational",
    "quality",
    "log_likes",
    "author_status",
    "side_agreement",
)
N_INPUTS = len(INPUTS)
X_INTERCEPT, X_TIE, X_IN_NETWORK, X_OUTRAGE, X_IDEALISED, X_SUPPORTIVE, X_INFORMATIONAL = range(7)
X_QUALITY, X_LOG_LIKES, X_AUTHOR_STATUS, X_SIDE = range(7, N_INPUTS)


class EngagementParams(NamedTuple):
    learning_rate: float  # the shared weights w
    user_learning_rate: float  # each user's b_u and a_u
    shrinkage: float  # L2 penalty on everything but the intercept
    dwell_learning_rate: float
    initial_like_rate: float


def params(cfg) -> EngagementParams:
    return from_sections(EngagementParams, cfg.platform.engagement_model)


class EngagementArrays(NamedTuple):
    """The learned model's state: shared weights, per-user terms, the dwell regression, and the matrix
    factorisation's factors it reads (users' and posts', from ``bridging.py``). Length 0 per user when the
    kind is ``oracle``. Ranking reads the same fields from ``kernels.UserArrays`` (a parallel kernel cannot
    take a tuple of arrays nested in another), so the functions below take either."""

    em_weights: np.ndarray  # N_INPUTS
    em_dwell: np.ndarray  # (d0, d1)
    em_user_bias: np.ndarray  # n_users
    em_user_style: np.ndarray  # n_users x N_STYLES
    em_user_topic: np.ndarray  # n_users x topics
    em_user_factor: np.ndarray  # the users' mf_factor
    em_post_factor: np.ndarray  # the posts' mf_factor


class EngagementModel:
    """The learned model's state, kept by the model from hour to hour (empty per-user terms for ``oracle``)."""

    def __init__(self, cfg, n_users: int, n_topics: int = 1):
        self.p = params(cfg)
        self.learned = str(cfg.platform.engagement_model.kind) == "learned"
        n = n_users if self.learned else 0
        self.weights = np.zeros(N_INPUTS, np.float64)
        self.weights[X_INTERCEPT] = np.log(self.p.initial_like_rate / (1.0 - self.p.initial_like_rate))
        self.dwell = np.zeros(2, np.float64)  # knows nothing of dwell yet
        self.user_bias = np.zeros(n, np.float64)
        self.user_style = np.zeros((n, N_STYLES), np.float64)
        self.user_topic = np.zeros((n, n_topics), np.float64)

    def arrays(self, user_factor: np.ndarray, post_factor: np.ndarray) -> EngagementArrays:
        return EngagementArrays(
            self.weights, self.dwell, self.user_bias, self.user_style, self.user_topic, user_factor, post_factor
        )

    def learn_from_hour(self, h, users, posts, counts_visible, author_status) -> None:
        """Learn from the hour ``h``'s impressions (a ``model.Hour`` after scrolling)."""
        if not self.learned:
            return
        learn_from_impressions(
            self.p,
            self.arrays(users.mf_factor, posts.mf_factor),
            h.session_users,
            h.feeds.slot,
            h.feeds.tie,
            h.n_viewed,
            h.liked,
            h.dwell,
            posts.style,
            posts.topic,
            posts.quality,
            posts.log_likes,
            posts.author,
            counts_visible,
            author_status,
        )

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.weights, self.dwell, self.user_bias, self.user_style, self.user_topic))


@njit(inline="always")
def fill_inputs(xe, tie, style, quality, log_likes_visible, author_status, side):
    xe[X_INTERCEPT] = 1.0
    xe[X_TIE] = tie
    xe[X_IN_NETWORK] = 1.0 if tie > 0 else 0.0
    xe[X_OUTRAGE] = 1.0 if style == OUTRAGE else 0.0
    xe[X_IDEALISED] = 1.0 if style == IDEALISED else 0.0
    xe[X_SUPPORTIVE] = 1.0 if style == PERSONAL else 0.0
    xe[X_INFORMATIONAL] = 1.0 if style == INFORMATIONAL else 0.0
    xe[X_QUALITY] = quality
    xe[X_LOG_LIKES] = log_likes_visible
    xe[X_AUTHOR_STATUS] = author_status
    xe[X_SIDE] = side


@njit
def like_logit(em, u, style, topic, tie, quality, log_likes_visible, author_status, post_slot):
    """The learned logit of p_like for viewer u and a post (inputs as ``fill_inputs``)."""
    w = em.em_weights
    z = w[X_INTERCEPT] + w[X_TIE] * tie + (w[X_IN_NETWORK] if tie > 0 else 0.0)
    if style == OUTRAGE:
        z += w[X_OUTRAGE]
    elif style == IDEALISED:
        z += w[X_IDEALISED]
    elif style == PERSONAL:
        z += w[X_SUPPORTIVE]
    else:
        z += w[X_INFORMATIONAL]
    z += w[X_QUALITY] * quality + w[X_LOG_LIKES] * log_likes_visible + w[X_AUTHOR_STATUS] * author_status
    z += w[X_SIDE] * em.em_user_factor[u] * em.em_post_factor[post_slot]
    return z + em.em_user_bias[u] + em.em_user_style[u, style] + em.em_user_topic[u, topic]


@njit
def dwell_minutes(em, p_like):
    return max(em.em_dwell[0] + em.em_dwell[1] * p_like, 0.0)


@njit
def learn(p, em, xe, u, style, topic, liked, dwell_min):
    """One impression: viewer u saw the post (inputs ``xe``, filled by ``fill_inputs``) for ``dwell_min``
    minutes and liked it or not. The prediction is recomputed from the current state."""
    w = em.em_weights
    z = 0.0
    for k in range(N_INPUTS):
        z += w[k] * xe[k]
    z += em.em_user_bias[u] + em.em_user_style[u, style] + em.em_user_topic[u, topic]
    p_hat = 1.0 / (1.0 + np.exp(-z))
    err = (1.0 if liked else 0.0) - p_hat
    w[X_INTERCEPT] += p.learning_rate * err
    for k in range(1, N_INPUTS):
        w[k] += p.learning_rate * (err * xe[k] - p.shrinkage * w[k])
    em.em_user_bias[u] += p.user_learning_rate * (err - p.shrinkage * em.em_user_bias[u])
    em.em_user_style[u, style] += p.user_learning_rate * (err - p.shrinkage * em.em_user_style[u, style])
    em.em_user_topic[u, topic] += p.user_learning_rate * (err - p.shrinkage * em.em_user_topic[u, topic])
    e = dwell_min - (em.em_dwell[0] + em.em_dwell[1] * p_hat)
    em.em_dwell[0] += p.dwell_learning_rate * e
    em.em_dwell[1] += p.dwell_learning_rate * e * p_hat


def check_settings(c: Checker) -> None:
    """Range checks of ``platform.engagement_model`` (run by ``sim.config.validate``)."""
    e = "platform.engagement_model"
    c.choice(f"{e}.kind", KINDS)
    c.probability(f"{e}.learning_rate", f"{e}.user_learning_rate", f"{e}.dwell_learning_rate")
    c.non_negative(f"{e}.shrinkage")
    v = c.get(f"{e}.initial_like_rate")
    if not 0 < v < 1:
        fail(f"{e}.initial_like_rate", v, "must be a probability strictly between 0 and 1")


@njit(cache=True)
def learn_from_impressions(
    p,
    em,
    session_users,
    feed_slot,
    feed_tie,
    n_viewed,
    liked,
    dwell,
    style,
    topic,
    quality,
    log_likes,
    author,
    counts_visible,
    author_status,
):
    """The hour's impressions in session order, before their likes are counted (what ranking saw)."""
    xe = np.empty(N_INPUTS, np.float64)
    for s in range(session_users.shape[0]):
        u = session_users[s]
        for i in range(n_viewed[s]):
            slot = feed_slot[s, i]
            st = style[slot]
            side = em.em_user_factor[u] * em.em_post_factor[slot]
            visible = log_likes[slot] * counts_visible[u]
            fill_inputs(xe, feed_tie[s, i], st, quality[slot], visible, author_status[author[slot]], side)
            learn(p, em, xe, u, st, topic[slot], liked[s, i], dwell[s, i])
