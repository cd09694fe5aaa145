"""The platform's bridging signal: approval on both sides of a divide it learns from likes alone.

Two steps per impression (viewer u saw post p and liked it, y = 1, or not, y = 0):

1. A Community-Notes-style matrix factorisation (Wojcik et al. 2022), y ~ mu + i_u + i_p + f_u * f_p,
   fitted online by stochastic gradient descent with L2 penalties (intercepts penalised five times more
   than factors). The platform never sees ideology; the one-dimensional user factor f_u is its estimate
   of which side of the divide each viewer is on.
2. Per post, likes and impressions are counted separately for viewers with f_u >= 0 and f_u < 0, and
   the bridging score is the smoothed like rate on the less approving side minus the overall rate:

       bridging_p = min_side (likes_side + k * mu) / (impressions_side + k) - mu

   high only if both sides like the post (the bridging criterion of Ovadya & Thorburn 2023).

Community Notes itself ranks by the MF intercept i_p. We use the side-wise minimum instead because
with online fitting the intercept is close to a post's mean approval, which a post very popular on one
side only can exceed (docs/design/decisions.md). Observations are processed serially in a fixed order, so
everything here is deterministic.
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

from sim.checks import Checker, from_sections


class BridgingParams(NamedTuple):
    learning_rate: float
    factor_learning_rate_min: float
    prior_obs: float
    reg_intercept: float
    reg_factor: float
    mean_rate: float


def params(cfg) -> BridgingParams:
    return from_sections(BridgingParams, cfg.platform.bridging_model)


@njit
def observe(p, mu, user_i, user_f, post_i, post_f, u, slot, y, post_obs):
    """Update the matrix factorisation with one impression (the ``post_obs``-th of this post)."""
    pred = mu[0] + user_i[u] + post_i[slot] + user_f[u] * post_f[slot]
    err = y - pred
    mu[0] += p.mean_rate * err
    lr_post = 1.0 / (p.prior_obs + post_obs)
    lr_post_factor = max(lr_post, p.factor_learning_rate_min)
    user_i[u] += p.learning_rate * (err - p.reg_intercept * user_i[u])
    post_i[slot] += lr_post * (err - p.reg_intercept * post_i[slot])
    fu = user_f[u]
    user_f[u] += p.learning_rate * (err * post_f[slot] - p.reg_factor * fu)
    post_f[slot] += lr_post_factor * (err * fu - p.reg_factor * post_f[slot])


@njit
def score(p, mu, likes_a, impressions_a, likes_b, impressions_b):
    m = mu[0]
    rate_a = (likes_a + p.prior_obs * m) / (impressions_a + p.prior_obs)
    rate_b = (likes_b + p.prior_obs * m) / (impressions_b + p.prior_obs)
    return min(rate_a, rate_b) - m


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.bridging_model`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    bm = f"{pl}.bridging_model"
    c.positive(f"{bm}.prior_obs")
    c.probability(f"{bm}.learning_rate", f"{bm}.factor_learning_rate_min", f"{bm}.mean_rate")
    c.non_negative(f"{bm}.reg_intercept", f"{bm}.reg_factor", f"{bm}.initial_factor_sd")
