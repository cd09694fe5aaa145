"""Wellbeing state: mood (hours), self-esteem (days to weeks), symptoms (weeks), loneliness (days).

Mood relaxes each hour towards a baseline set by the slower states and last night's sleep deficit, and
moves with everyday events unrelated to the platform,

    baseline = mood_trait + a_se*(SE - SE_trait) - a_sym*(Sym - Sym_trait)
               - a_lonely*(L - L_trait) - sleep_deficit_mood * deficit_h
    mood <- baseline + (mood - baseline) * 2^(-1 h / mood_half_life) + mood_noise_sd * N

(emotional inertia, Kuppens, Allen & Sheeber 2010; momentary affect varies much within a person,
Kuppens, Oravecz & Tuerlinckx 2010; sleep loss lowers positive affect, Tomaso et al. 2021), and
jumps with what happens on the platform: hostile content and hostile replies lower it, supportive
content from ties and giving likes raise it a little, upward comparison lowers it (comparison.py).
Feedback on one's own posts moves it by feedback_mood * sensitivity * d, with d = log(1 + likes) -
log(1 + expected likes), negative d weighted by the negativity bias (Baumeister et al. 2001), strongest
for feedback-sensitive (vulnerable) users (Fassi et al. 2025).

Once a day, at wake-up:

    SE  += relax_se * (SE_trait - SE) + sum of upward-comparison hits + se_feedback * feedback
    Sym += (target - Sym) / tau_sym,   target = Sym_trait + k_neg * negative_share - k_pos * positive_share
           + k_debt * sleep_debt - k_se * (SE - SE_trait) + k_lonely * (L - L_trait)
           - k_mood * (mean mood yesterday - mood_trait)
    L   += relax_l * (L_trait + displacement * max(0, hours on platform - free hours)
                      - meaningful * log(1 + meaningful interactions) - L)

negative_share and positive_share are the shares of the day's experiences (items seen, feedback,
replies) that were negative or positive (Primack et al. 2018); meaningful interactions are liked personal
posts of close ties (Verduyn et al. 2017 on passive vs active use); displacement of offline time beyond
a free allowance is an assumption (Twenge, Spitzberg & Campbell 2019 find it at cohort level only).
The traits are the no-platform baseline, so a state's drift from its trait is the platform's effect.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.checks import Checker, from_sections
from sim.rng import normal
from sim.state import (
    CD_MOOD_N,
    CD_MOOD_SUM,
    CD_WOKE,
    TOT_EXPERIENCES,
    TOT_NEGATIVE,
    TOT_POSITIVE,
    UD_EXPERIENCES,
    UD_FEEDBACK,
    UD_MEANINGFUL,
    UD_MINUTES,
    UD_MOOD_N,
    UD_MOOD_SUM,
    UD_NEGATIVE,
    UD_POSITIVE,
    UD_UPWARD_SE,
)


class WellbeingParams(NamedTuple):
    mood_decay: float
    mood_noise_sd: float
    negativity_bias: float
    feedback_mood: float
    feedback_event_threshold: float
    hostile_reply_mood: float
    sleep_deficit_mood: float
    mood_self_esteem: float
    mood_symptoms: float
    mood_loneliness: float
    self_esteem_relax_per_day: float
    self_esteem_feedback: float
    sym_rate: float
    symptoms_negative_share: float
    symptoms_positive_share: float
    symptoms_sleep_debt: float
    symptoms_loneliness: float
    symptoms_self_esteem: float
    symptoms_mood: float
    loneliness_relax_per_day: float
    loneliness_displacement_per_h: float
    loneliness_displacement_free_h: float
    loneliness_meaningful: float


def params(cfg) -> WellbeingParams:
    w = cfg.behaviour.wellbeing
    return from_sections(
        WellbeingParams,
        w,
        mood_decay=float(0.5 ** (1.0 / w.mood_half_life_h)),
        sym_rate=float(1.0 / w.symptoms_time_constant_days),
    )


class Moods(NamedTuple):
    """What the hourly mood update reads and changes of the users (``UserState`` arrays of the same names)."""

    awake_min: np.ndarray
    hostile_replies_this_hour: np.ndarray
    mood: np.ndarray
    mood_trait: np.ndarray
    self_esteem: np.ndarray
    self_esteem_trait: np.ndarray
    symptoms: np.ndarray
    symptoms_trait: np.ndarray
    loneliness: np.ndarray
    loneliness_trait: np.ndarray
    last_deficit_h: np.ndarray
    feedback_sensitivity: np.ndarray
    user_day: np.ndarray
    calendar_day: np.ndarray
    totals: np.ndarray


@njit(cache=True)
def feedback_mood(p, first_id, end_id, post_id, author, likes, expected_likes, sensitivity, mood, user_day, totals):
    """Mood response of authors to the likes of their posts with ids first_id .. end_id - 1."""
    cap = post_id.shape[0]
    for pid in range(first_id, end_id):
        slot = pid % cap
        if post_id[slot] != pid:
            continue
        u = author[slot]
        if u >= mood.shape[0]:  # an outside account's post (sim/external.py)
            continue
        d = np.log1p(likes[slot]) - np.log1p(expected_likes[u])
        weight = p.negativity_bias if d < 0 else 1.0
        mood[u] += p.feedback_mood * sensitivity[u] * weight * d
        user_day[u, UD_FEEDBACK] += sensitivity[u] * weight * d
        user_day[u, UD_EXPERIENCES] += 1
        totals[u, TOT_EXPERIENCES] += 1
        if d < -p.feedback_event_threshold:
            user_day[u, UD_NEGATIVE] += 1
            totals[u, TOT_NEGATIVE] += 1
        elif d > p.feedback_event_threshold:
            user_day[u, UD_POSITIVE] += 1
            totals[u, TOT_POSITIVE] += 1


@njit(parallel=True, cache=True)
def hourly(p, key, hour, moods):
    """Hostile replies received, mood relaxation and everyday events, and the mood record of awake hours."""
    for u in prange(moods.mood.shape[0]):
        _hourly_user(u, p, key, hour, moods)


@njit
def _hourly_user(u, p, key, hour, moods):
    """User u's hour (``hourly``); the parallel loop calls it rather than writing through ``moods`` itself."""
    (
        awake_min,
        hostile_replies,
        mood,
        mood_trait,
        self_esteem,
        self_esteem_trait,
        symptoms,
        symptoms_trait,
        loneliness,
        loneliness_trait,
        last_deficit_h,
        sensitivity,
        user_day,
        calendar_day,
        totals,
    ) = moods
    r = hostile_replies[u]
    if r > 0:
        mood[u] -= p.hostile_reply_mood * p.negativity_bias * sensitivity[u] * r
        user_day[u, UD_NEGATIVE] += r
        user_day[u, UD_EXPERIENCES] += r
        totals[u, TOT_NEGATIVE] += r
        totals[u, TOT_EXPERIENCES] += r
        hostile_replies[u] = 0
    base = (
        mood_trait[u]
        + p.mood_self_esteem * (self_esteem[u] - self_esteem_trait[u])
        - p.mood_symptoms * (symptoms[u] - symptoms_trait[u])
        - p.mood_loneliness * (loneliness[u] - loneliness_trait[u])
        - p.sleep_deficit_mood * last_deficit_h[u]
    )
    mood[u] = base + (mood[u] - base) * p.mood_decay
    if p.mood_noise_sd > 0:
        mood[u] += p.mood_noise_sd * normal(key, hour, u, 0)
    if awake_min[u] > 0:
        calendar_day[u, CD_MOOD_SUM] += mood[u]
        calendar_day[u, CD_MOOD_N] += 1
        user_day[u, UD_MOOD_SUM] += mood[u]
        user_day[u, UD_MOOD_N] += 1


@njit(cache=True)
def daily_update(
    p,
    woke,
    mood,
    mood_trait,
    self_esteem,
    self_esteem_trait,
    symptoms,
    symptoms_trait,
    loneliness,
    loneliness_trait,
    sleep_debt_h,
    user_day,
    calendar_day,
):
    """The slow update of self-esteem, symptoms and loneliness for users who woke up this hour."""
    for u in range(mood.shape[0]):
        if woke[u] == 0:
            continue
        calendar_day[u, CD_WOKE] = 1
        ud = user_day[u]
        self_esteem[u] += (
            p.self_esteem_relax_per_day * (self_esteem_trait[u] - self_esteem[u])
            + ud[UD_UPWARD_SE]
            + p.self_esteem_feedback * ud[UD_FEEDBACK]
        )
        n_exp = ud[UD_EXPERIENCES]
        neg_share = ud[UD_NEGATIVE] / n_exp if n_exp > 0 else 0.0
        pos_share = ud[UD_POSITIVE] / n_exp if n_exp > 0 else 0.0
        mood_mean = ud[UD_MOOD_SUM] / ud[UD_MOOD_N] if ud[UD_MOOD_N] > 0 else mood[u]
        target = (
            symptoms_trait[u]
            + p.symptoms_negative_share * neg_share
            - p.symptoms_positive_share * pos_share
            + p.symptoms_sleep_debt * sleep_debt_h[u]
            - p.symptoms_self_esteem * (self_esteem[u] - self_esteem_trait[u])
            + p.symptoms_loneliness * (loneliness[u] - loneliness_trait[u])
            - p.symptoms_mood * (mood_mean - mood_trait[u])
        )
        symptoms[u] += p.sym_rate * (target - symptoms[u])
        hours = ud[UD_MINUTES] / 60.0
        lonely_target = (
            loneliness_trait[u]
            + p.loneliness_displacement_per_h * max(0.0, hours - p.loneliness_displacement_free_h)
            - p.loneliness_meaningful * np.log1p(ud[UD_MEANINGFUL])
        )
        loneliness[u] += p.loneliness_relax_per_day * (lonely_target - loneliness[u])


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.wellbeing`` settings (run by ``sim.config.validate``)."""
    w = "behaviour.wellbeing"
    c.positive(f"{w}.mood_half_life_h", f"{w}.symptoms_time_constant_days", f"{w}.session_mood_cap")
    c.non_negative(f"{w}.mood_noise_sd", f"{w}.session_event_threshold")
    for key in (
        "hostile_mood",
        "negativity_bias",
        "feedback_event_threshold",
        "symptoms_positive_share",
        "supportive_mood",
        "like_given_mood",
        "feedback_mood",
        "hostile_reply_mood",
        "sleep_deficit_mood",
        "self_esteem_feedback",
        "symptoms_negative_share",
        "symptoms_sleep_debt",
        "symptoms_loneliness",
        "symptoms_self_esteem",
        "symptoms_mood",
        "loneliness_displacement_per_h",
        "loneliness_displacement_free_h",
        "loneliness_meaningful",
        "mood_self_esteem",
        "mood_symptoms",
        "mood_loneliness",
    ):
        c.non_negative(f"{w}.{key}")
    c.probability(f"{w}.self_esteem_relax_per_day", f"{w}.loneliness_relax_per_day")
    comps = ("mood", "self_esteem", "symptoms", "loneliness")
    c.shares(f"{w}.composite_weights", comps, "wellbeing component")
