"""Posting by reward learning: when to post (Lindstrom et al. 2021; Turner et al. 2025) and what to
post (social learning of outrage, Brady et al. 2021).

When. Each user has an expected reward R (likes per post), a habitual delay H (awake hours between
posts), a habit weight w and a cost C. The policy delay is

    P = w * H + (1 - w) * C / R

and the next delay is exponential with mean P, counted only in awake hours. The draw is kept as a unit
exponential E times P, so when P changes before the user posts again the remaining wait is rescaled
(memorylessness). At each post the habit moves towards the delay the policy produces,
H += alpha_habit * (P - H) (design.md says towards the realised delay; see docs/design/decisions.md). When the post's likes are in
(``feedback_delay_hours`` after posting), R += alpha_reward * (likes - R). With w = 0 (pure reward
learning) doubling R halves P: the reward-rate law of Lindstrom et al. (2021).

What. Each user holds a value Q[s] per style s (personal, idealised, outrage, informational) in
log(1 + likes) units and chooses a style with probability proportional to prior[s] * exp(beta * Q[s]);
when the likes are in, Q[s] += style_learning_rate * (log(1 + likes) - Q[s]). A ranking that rewards
outrage or idealisation therefore teaches authors to produce more of it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.checks import Checker, fail, from_sections
from sim.rng import exponential, normal, uniform
from sim.state import CD_OUTRAGE_POSTS, CD_POSTS, N_STYLES, OUTRAGE, TOT_POSTS
from sim.vocabulary import STYLES


class PostingParams(NamedTuple):
    reward_floor: float
    style_learning_rate: float
    style_inverse_temperature: float
    quality_logit_sd: float


def params(cfg) -> PostingParams:
    return from_sections(PostingParams, cfg.behaviour.posting)


def quality_means(cfg) -> np.ndarray:
    return np.array([cfg.behaviour.posting.quality_logit_mean[s] for s in STYLES], np.float64)


class PostKeys(NamedTuple):
    """The counter-based streams of a new post: its clock, style and quality draws."""

    clock: np.uint64
    style: np.uint64
    quality: np.uint64


class Authors(NamedTuple):
    """What posting reads and changes of the users who post (their ``UserState`` arrays)."""

    habit_weight: np.ndarray
    alpha_habit: np.ndarray
    post_cost: np.ndarray
    expected_likes: np.ndarray
    habit_delay_h: np.ndarray
    post_clock_h: np.ndarray
    delay_since_post_h: np.ndarray
    last_post_id: np.ndarray
    style_value: np.ndarray
    notif_pending: np.ndarray
    calendar_day: np.ndarray
    totals: np.ndarray


class PostColumns(NamedTuple):
    """The columns of the post ring that a new post fills (``PostStore`` arrays)."""

    post_id: np.ndarray
    author: np.ndarray
    created_hour: np.ndarray
    style: np.ndarray
    quality: np.ndarray
    prev_by_author: np.ndarray
    likes: np.ndarray
    impressions: np.ndarray
    likes_left: np.ndarray
    likes_right: np.ndarray
    impressions_left: np.ndarray
    impressions_right: np.ndarray
    hostile_replies: np.ndarray
    mf_intercept: np.ndarray
    mf_factor: np.ndarray
    side_likes_a: np.ndarray
    side_likes_b: np.ndarray
    side_impressions_a: np.ndarray
    side_impressions_b: np.ndarray
    bridging: np.ndarray
    removed: np.ndarray
    log_likes: np.ndarray


@njit
def write_post(posts, slot, pid, author, hour, style, quality, prev_by_author):
    """A new post in ring slot ``slot`` (``posts``: PostColumns): who wrote it when, in what style and quality,
    and a clean record (no likes, impressions, replies or scores yet)."""
    posts.post_id[slot] = pid
    posts.author[slot] = author
    posts.created_hour[slot] = hour
    posts.style[slot] = style
    posts.quality[slot] = quality
    posts.prev_by_author[slot] = prev_by_author
    for column in (
        posts.likes,
        posts.impressions,
        posts.likes_left,
        posts.likes_right,
        posts.impressions_left,
        posts.impressions_right,
        posts.hostile_replies,
        posts.side_likes_a,
        posts.side_likes_b,
        posts.side_impressions_a,
        posts.side_impressions_b,
    ):
        column[slot] = 0
    posts.mf_intercept[slot] = 0.0
    posts.mf_factor[slot] = 0.0
    posts.bridging[slot] = 0.0
    posts.removed[slot] = 0
    posts.log_likes[slot] = 0.0


@njit
def policy_delay(w, habit_delay, cost, expected_likes, floor):
    return w * habit_delay + (1.0 - w) * cost / max(expected_likes, floor)


@njit(cache=True)
def tick(awake_min, may_post, clock, delay_since, wants):
    """Run every posting clock for the awake part of this hour; flag users whose clock expired and who
    may post (an active account, not suspended). A clock that expires while the user may not post
    stops at zero: they post once as soon as they may again, then wait a fresh delay. The time they
    were kept from posting does not count towards the delay their habit learns from."""
    for u in range(clock.shape[0]):
        h = awake_min[u] / 60.0
        wants[u] = 0
        if h <= 0:
            continue
        clock[u] -= h
        delay_since[u] += h
        if clock[u] <= 0:
            if may_post[u] == 1:
                wants[u] = 1
            else:
                delay_since[u] += clock[u]
                clock[u] = 0.0


@njit(cache=True)
def create_posts(
    keys, hour, p, posters, slots, first_id, authors, style_prior, quality_mean, close_indptr, close_indices, posts
):
    """Create one post for each user in ``posters`` (ascending ids) in the reserved ring slots."""
    key_clock, key_style, key_quality = keys
    (
        w,
        alpha_habit,
        cost,
        expected_likes,
        habit_delay,
        clock,
        delay_since,
        last_post_id,
        style_value,
        notif_pending,
        calendar_day,
        totals,
    ) = authors
    probs = np.empty(N_STYLES, np.float64)
    for k in range(posters.shape[0]):
        u = posters[k]
        slot = slots[k]
        pid = first_id + k
        # The habit moves towards the delay the policy produces. Learning from each exponential draw
        # instead (the realised delay) would make H a positive martingale whose logarithm drifts down, so
        # that every habit with a large alpha collapses to zero over enough posts (docs/design/decisions.md).
        if last_post_id[u] >= 0:
            intended = policy_delay(w[u], habit_delay[u], cost[u], expected_likes[u], p.reward_floor)
            habit_delay[u] += alpha_habit[u] * (intended - habit_delay[u])
        # Posts appear at the end of the hour in which the clock expired; the next wait starts when this
        # one ended (clock <= 0 here), not at the end of the hour.
        delay_since[u] = -clock[u]
        clock[u] += exponential(key_clock, hour, u, 0) * policy_delay(
            w[u], habit_delay[u], cost[u], expected_likes[u], p.reward_floor
        )

        vmax = style_value[u, 0]
        for s in range(1, N_STYLES):
            vmax = max(vmax, style_value[u, s])
        total = 0.0
        for s in range(N_STYLES):
            probs[s] = style_prior[u, s] * np.exp(p.style_inverse_temperature * (style_value[u, s] - vmax))
            total += probs[s]
        r = uniform(key_style, hour, u, 0) * total
        chosen = N_STYLES - 1
        acc = 0.0
        for s in range(N_STYLES):
            acc += probs[s]
            if r < acc:
                chosen = s
                break
        z = quality_mean[chosen] + p.quality_logit_sd * normal(key_quality, hour, u, 0)

        write_post(posts, slot, pid, u, hour, chosen, 1.0 / (1.0 + np.exp(-z)), last_post_id[u])
        last_post_id[u] = pid

        calendar_day[u, CD_POSTS] += 1
        totals[u, TOT_POSTS] += 1
        if chosen == OUTRAGE:
            calendar_day[u, CD_OUTRAGE_POSTS] += 1
        for e in range(close_indptr[u], close_indptr[u + 1]):
            notif_pending[close_indices[e]] += 1


@njit(cache=True)
def learn_from_feedback(
    p,
    first_id,
    end_id,
    post_id,
    author,
    style,
    likes,
    w,
    alpha_reward,
    cost,
    expected_likes,
    habit_delay,
    clock,
    style_value,
):
    """Reward learning from the posts whose likes are now in (ids first_id .. end_id - 1)."""
    cap = post_id.shape[0]
    for pid in range(first_id, end_id):
        slot = pid % cap
        if post_id[slot] != pid:
            continue
        u = author[slot]
        if u >= w.shape[0]:  # an outside account's post (sim/external.py): nobody in the sample learns from it
            continue
        old = policy_delay(w[u], habit_delay[u], cost[u], expected_likes[u], p.reward_floor)
        expected_likes[u] = max(expected_likes[u] + alpha_reward[u] * (likes[slot] - expected_likes[u]), p.reward_floor)
        new = policy_delay(w[u], habit_delay[u], cost[u], expected_likes[u], p.reward_floor)
        if clock[u] > 0:
            clock[u] *= new / old
        s = style[slot]
        style_value[u, s] += p.style_learning_rate * (np.log1p(likes[slot]) - style_value[u, s])


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.posting`` settings (run by ``sim.config.validate``)."""
    po = "behaviour.posting"
    c.positive(f"{po}.reward_floor")
    c.shares(f"{po}.style_base_shares", STYLES, "post style")
    c.shares(f"{po}.influencer_style_shares", STYLES, "post style")
    c.probability(f"{po}.style_learning_rate")
    c.non_negative(f"{po}.style_inverse_temperature")
    c.per_key(f"{po}.quality_logit_mean", STYLES, "post style", c.finite)
    c.non_negative(f"{po}.quality_logit_sd")
    if c.get(f"{po}.feedback_delay_hours") < 1:
        fail(f"{po}.feedback_delay_hours", c.get(f"{po}.feedback_delay_hours"), "must be at least 1")
