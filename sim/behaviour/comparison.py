"""Social comparison with idealised content (Festinger 1954; Gerber, Wheeler & Suls 2018).

When a user sees an idealised post, the perceived status gap to its author is

    gap = follower_status_weight * (log(1 + followers_author) - log(1 + followers_viewer))
          + like_status_weight * log(1 + likes of the post)

where both counts only act fully when the platform shows them; with hidden counts the gap shrinks to
``hidden_counts_status_factor`` of its size (residual cues such as production quality). The impact is

    impact = comparison_orientation * tanh(gap / status_scale)

Upward comparison (impact > 0) lowers mood by upward_mood * impact and self-esteem by
upward_self_esteem * impact (contrast; McComb, Vanman & Tobin 2023 meta-analysis: g = -0.24 across
self-evaluations and emotions, -0.19 for subjective wellbeing), divided by 1 + upward_habituation * n
when the user already made n upward comparisons that day (habituation to a repeated stimulus, which
recovers when it is withheld and does not transfer to a novel one; Rankin et al. 2009). Laboratory
exposures are single and novel, a feed repeats them all day: without habituation the laboratory
effect and the small field effects (Beyens et al. 2020; Allcott et al. 2020) cannot both hold.
Downward comparison (impact < 0) gives a small boost, downward_mood * |impact|. Comparison
orientation is zero for a sizeable share of users, so effects are heterogeneous (Beyens et al. 2020).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.checks import Checker, from_sections


class ComparisonParams(NamedTuple):
    upward_mood: float
    upward_self_esteem: float
    downward_mood: float
    status_scale: float
    follower_status_weight: float
    like_status_weight: float
    hidden_counts_status_factor: float
    upward_habituation: float


def params(cfg) -> ComparisonParams:
    return from_sections(ComparisonParams, cfg.behaviour.comparison)


@njit
def status_gap(p, viewer_status, author_status, post_log_likes, counts_visible):
    gap = p.follower_status_weight * (author_status - viewer_status) + p.like_status_weight * post_log_likes
    if counts_visible == 0:
        gap *= p.hidden_counts_status_factor
    return gap


@njit
def impact(p, orientation, gap):
    """Signed comparison impact: > 0 upward (hurts), < 0 downward (small boost)."""
    return orientation * np.tanh(gap / p.status_scale)


@njit
def mood_change(p, imp, upward_earlier):
    """Mood change of a comparison with impact ``imp`` after ``upward_earlier`` upward comparisons that day."""
    if imp > 0:
        return -p.upward_mood * imp / (1.0 + p.upward_habituation * upward_earlier)
    return -p.downward_mood * imp


@njit
def self_esteem_change(p, imp, upward_earlier):
    if imp > 0:
        return -p.upward_self_esteem * imp / (1.0 + p.upward_habituation * upward_earlier)
    return 0.0


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.comparison`` settings (run by ``sim.config.validate``)."""
    cm = "behaviour.comparison"
    c.non_negative(
        f"{cm}.upward_mood",
        f"{cm}.upward_self_esteem",
        f"{cm}.downward_mood",
        f"{cm}.follower_status_weight",
        f"{cm}.like_status_weight",
        f"{cm}.upward_habituation",
    )
    c.positive(f"{cm}.status_scale")
    c.probability(f"{cm}.hidden_counts_status_factor")
