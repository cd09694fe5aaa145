"""Responding to an item: the like decision, dwell time and whether to keep scrolling.

    p(like) = logistic(b0 + b_tie*tie + b_agree*agreement
                       + outrage * (b_outrage*susceptibility + b_outrage_agree*agreement)
                       + b_ideal*idealised + b_quality*quality + b_pop*log(1 + visible likes)
                       + b_support_tie*supportive*tie + b_interest*interest[viewer, topic])

Outrage is liked by the in-group and disliked by the out-group (Brady et al. 2017; Rathje, Van Bavel &
van der Linden 2021); visible like counts raise liking (Sherman et al. 2016); ties matter most (Bakshy
et al. 2012); people like posts on subjects they care about (interests.py). Dwell time is log-normal around dwell_base + dwell_engagement * p(like) seconds. After each
item the user continues with probability

    logistic(c0 + c_engagement*recent_engagement + c_habit*habit + c_self_control*sleep_debt
             - fatigue*items_so_far)

where recent_engagement is a moving average of the value of the items seen: the user's own p(like) plus
``continue_arousal * susceptibility`` for outrage, whose arousal holds attention (Rathje, Van Bavel & van der
Linden 2021; Brady et al. 2021), so a feed worth more keeps people scrolling longer. The mean value of a
session also updates the user's ``recent_value`` (weight ``value_memory``), which raises or lowers the
hazard of opening the app again (sessions.py): the variable reward that brings people back. Sleep debt
weakens self-control (an assumption), and a stopping cue ends the
session with an extra probability once it is shown. A re-shown item is liked at
``reshown_like_factor`` times its first-time rate.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.behaviour.comparison import impact as comparison_impact
from sim.behaviour.comparison import mood_change as comparison_mood_change
from sim.behaviour.comparison import self_esteem_change as comparison_self_esteem_change
from sim.behaviour.comparison import status_gap
from sim.checks import Checker, fail, from_sections
from sim.platform.limits import crosses_limit, nudge_due
from sim.ranking.bridging import observe as bridging_observe
from sim.ranking.bridging import score as bridging_score
from sim.ranking.seen import mark_seen
from sim.rng import normal, uniform
from sim.state import (
    BED_SESSION,
    CD_BED_MINUTES,
    CD_BRIDGING,
    CD_CAUGHT_UP,
    CD_HOSTILE,
    CD_IDEALISED,
    CD_ITEMS,
    CD_LIKES_GIVEN,
    CD_LIKES_RECEIVED,
    CD_LIMIT_HITS,
    CD_MINUTES,
    CD_NIGHT_MINUTES,
    CD_NUDGES,
    CD_SESSIONS,
    CD_SUPPORTIVE,
    CD_UPWARD,
    DAY_SESSION,
    IDEALISED,
    LIMIT_DISMISSED,
    LIMIT_LOCKED,
    NIGHT_SESSION,
    OUTRAGE,
    PERSONAL,
    TOT_EXPERIENCES,
    TOT_LIKES_RECEIVED,
    TOT_MINUTES,
    TOT_NEGATIVE,
    TOT_NIGHT_MINUTES,
    TOT_POSITIVE,
    TOT_UPWARD,
    UD_CIVIL_CROSSCUT,
    UD_EXPERIENCES,
    UD_MEANINGFUL,
    UD_MINUTES,
    UD_NEGATIVE,
    UD_OUTGROUP_HOSTILE,
    UD_POSITIVE,
    UD_UPWARD,
    UD_UPWARD_SE,
)


class ResponseParams(NamedTuple):
    like_intercept: float
    like_tie: float
    like_agreement: float
    like_outrage: float
    like_outrage_agreement: float
    like_idealised: float
    like_quality: float
    like_popularity: float
    like_supportive_tie: float
    like_interest: float
    dwell_base_s: float
    dwell_engagement_s: float
    dwell_sd_log: float
    continue_intercept: float
    continue_engagement: float
    continue_habit: float
    self_control_per_debt_h: float
    continue_fatigue_per_item: float
    engagement_memory: float
    continue_arousal: float
    value_memory: float
    reshown_like_factor: float
    hostile_reply_prob: float
    max_session_minutes: float


def params(cfg) -> ResponseParams:
    return from_sections(ResponseParams, cfg.behaviour.response, cfg.behaviour.sessions)


@njit
def like_logit(p, tie, agreement, outrage, idealised, supportive, quality, log_likes_visible, susceptibility, interest):
    z = p.like_intercept + p.like_tie * tie + p.like_agreement * agreement
    z += outrage * (p.like_outrage * susceptibility + p.like_outrage_agreement * agreement)
    z += p.like_idealised * idealised + p.like_quality * quality + p.like_popularity * log_likes_visible
    z += p.like_supportive_tie * supportive * tie
    return z + p.like_interest * interest


@njit
def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


@njit
def expected_dwell_s(p, p_like):
    return p.dwell_base_s + p.dwell_engagement_s * p_like


@njit
def continue_probability(p, recent_engagement, habit, sleep_debt_h, items_so_far):
    return logistic(
        p.continue_intercept
        + p.continue_engagement * recent_engagement
        + p.continue_habit * habit
        + p.self_control_per_debt_h * sleep_debt_h
        - p.continue_fatigue_per_item * items_so_far
    )


# --------------------------------------------------------------------------------------------------
# scrolling a ranked feed


class ScrollParams(NamedTuple):
    session_mood_cap: float
    session_event_threshold: float
    hostile_mood: float
    supportive_mood: float
    like_given_mood: float
    outgroup_distance: float
    arousal_min_per_hostile: float
    fall_back_asleep_min: float
    bridging_min_rate: float
    bridging_min_impressions: int


def scroll_params(cfg) -> ScrollParams:
    w, sl, mt = cfg.behaviour.wellbeing, cfg.behaviour.sleep, cfg.metrics
    return ScrollParams(
        session_mood_cap=float(w.session_mood_cap),
        session_event_threshold=float(w.session_event_threshold),
        hostile_mood=float(w.hostile_mood),
        supportive_mood=float(w.supportive_mood),
        like_given_mood=float(w.like_given_mood),
        outgroup_distance=float(cfg.behaviour.opinion.outgroup_distance),
        arousal_min_per_hostile=float(sl.arousal_latency_min_per_hostile),
        fall_back_asleep_min=float(sl.fall_back_asleep_min),
        bridging_min_rate=float(mt.bridging_min_rate),
        bridging_min_impressions=int(mt.bridging_min_impressions),
    )


class ScrollKeys(NamedTuple):
    dwell: np.uint64
    like: np.uint64
    cont: np.uint64
    reply: np.uint64
    nudge: np.uint64
    reminder: np.uint64


class ShownFeeds(NamedTuple):
    """The hour's ranked feeds, one row per session (the first four arrays of ``kernels.FeedArrays``)."""

    slot: np.ndarray  # post ring slots, in the order shown
    length: np.ndarray
    tie: np.ndarray
    seen: np.ndarray  # the viewer had seen the post before


class Viewers(NamedTuple):
    """What scrolling reads of the users."""

    ideology: np.ndarray
    status: np.ndarray
    comparison: np.ndarray
    outrage_susceptibility: np.ndarray
    habit: np.ndarray
    sleep_debt_h: np.ndarray
    awake_min: np.ndarray
    session_kind: np.ndarray
    counts_visible: np.ndarray
    limit_minutes: np.ndarray
    interest: np.ndarray  # n_users x topics (interests.py)


class ViewerState(NamedTuple):
    """What scrolling changes of the users. Written through this bundle only inside ``scroll_session``, which
    the parallel loop calls: Numba drops writes made through a NamedTuple in a ``prange`` body itself
    (docs/design/decisions.md, tests/unit/test_numba_bundles.py)."""

    limit_state: np.ndarray
    streak_min: np.ndarray
    mood: np.ndarray
    seen: np.ndarray
    user_day: np.ndarray
    calendar_day: np.ndarray
    totals: np.ndarray
    bed_minutes: np.ndarray
    arousal_min: np.ndarray
    night_lost_min: np.ndarray
    recent_value: np.ndarray


# Why a session ended (``SessionOutcome.ended``): the user chose to stop, the ranked feed had no more items
# (a full page of ``policy.k`` or fewer when the candidates ran out), the session's time budget, the
# platform's time limit, a pause nudge taken, or a stopping cue obeyed.
ENDED_CHOICE, ENDED_FEED, ENDED_TIME, ENDED_LIMIT, ENDED_NUDGE, ENDED_CUE, ENDED_PAGE = range(7)
ENDED_NAMES = ("chose_to_stop", "end_of_feed", "time_budget", "time_limit", "pause_nudge", "stopping_cue", "page")


class SessionOutcome(NamedTuple):
    """Per session: items viewed, which of them were liked and replied to, why it ended (``ENDED_*``), and
    each viewed item's dwell in minutes (what the platform observes of attention)."""

    n_viewed: np.ndarray
    liked: np.ndarray
    replied: np.ndarray
    ended: np.ndarray
    dwell: np.ndarray


class FeedPosts(NamedTuple):
    post_id: np.ndarray
    author: np.ndarray
    style: np.ndarray
    topic: np.ndarray
    quality: np.ndarray
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
    log_likes: np.ndarray


@njit
def is_bridging(sp, posts, slot):
    """Ground truth used by the metrics (not by the platform): liked on both sides of the divide."""
    il, ir = posts.impressions_left[slot], posts.impressions_right[slot]
    # a side that has not seen the post cannot have liked it, whatever the minimum of impressions says
    if il < max(sp.bridging_min_impressions, 1) or ir < max(sp.bridging_min_impressions, 1):
        return False
    return min(posts.likes_left[slot] / il, posts.likes_right[slot] / ir) >= sp.bridging_min_rate


@njit
def scroll_session(s, session_users, hour, is_night, today, rp, cp, sp, lp, keys, shown, posts, viewers, state, out):
    """Session s: its user scrolls the ranked feed (see ``scroll_feeds``)."""
    feed, feed_len, feed_tie, feed_seen = shown
    (
        ideology,
        status,
        comparison,
        susceptibility,
        habit,
        sleep_debt_h,
        awake_min,
        session_kind,
        counts_visible,
        limit_minutes,
        interest,
    ) = viewers
    (
        limit_state,
        streak_min,
        mood,
        seen,
        user_day,
        calendar_day,
        totals,
        bed_minutes,
        arousal_min,
        night_lost_min,
        recent_value,
    ) = state
    n_viewed, liked, replied, ended, dwell = out
    why = ENDED_FEED
    u = session_users[s]
    kind = session_kind[u]
    avail = rp.max_session_minutes
    if kind == DAY_SESSION:
        avail = min(avail, awake_min[u])
    ud = user_day[u]
    cd = calendar_day[u]
    tot = totals[u]
    minutes_today = cd[CD_MINUTES]
    streak = streak_min[u]
    took_break = False
    minutes = 0.0
    engagement = 0.0
    value_sum = 0.0
    shock = 0.0
    hostile_seen = 0
    viewed = 0
    for i in range(feed_len[s]):
        slot = feed[s, i]
        a = posts.author[slot]
        st = posts.style[slot]
        tie = feed_tie[s, i]
        distance = abs(ideology[u] - ideology[a])
        outrage = 1.0 if st == OUTRAGE else 0.0
        idealised = 1.0 if st == IDEALISED else 0.0
        supportive = 1.0 if st == PERSONAL else 0.0
        log_likes = posts.log_likes[slot]
        z = like_logit(
            rp,
            tie,
            1.0 - distance,
            outrage,
            idealised,
            supportive,
            posts.quality[slot],
            log_likes * counts_visible[u],
            susceptibility[u],
            interest[u, posts.topic[slot]],
        )
        pl = logistic(z)
        if feed_seen[s, i]:
            pl *= rp.reshown_like_factor
        dwell_min = (
            expected_dwell_s(rp, pl)
            / 60.0
            * np.exp(rp.dwell_sd_log * normal(keys.dwell, hour, u, i) - 0.5 * rp.dwell_sd_log**2)
        )
        if minutes + dwell_min > avail:
            why = ENDED_TIME
            break
        if crosses_limit(limit_minutes[u], limit_state[u], minutes_today + minutes, dwell_min):
            cd[CD_LIMIT_HITS] += 1
            if lp.limit_hard or uniform(keys.reminder, hour, u, i) < lp.reminder_compliance:
                limit_state[u] = LIMIT_LOCKED
                why = ENDED_LIMIT
                break
            limit_state[u] = LIMIT_DISMISSED
        if nudge_due(lp.nudge_after_min, streak + minutes, dwell_min):
            cd[CD_NUDGES] += 1
            if uniform(keys.nudge, hour, u, i) < lp.nudge_compliance:
                took_break = True
                why = ENDED_NUDGE
                break
        minutes += dwell_min
        viewed += 1
        lk = uniform(keys.like, hour, u, i) < pl
        liked[s, i] = lk
        dwell[s, i] = dwell_min
        replied[s, i] = False
        mark_seen(seen, u, today, posts.post_id[slot])

        cd[CD_ITEMS] += 1
        if st == OUTRAGE:
            cd[CD_HOSTILE] += 1
            hostile_seen += 1
            outgroup = distance > sp.outgroup_distance
            if outgroup:
                ud[UD_OUTGROUP_HOSTILE] += 1
                if uniform(keys.reply, hour, u, i) < rp.hostile_reply_prob * susceptibility[u]:
                    replied[s, i] = True
            if outgroup or not lk:
                shock -= sp.hostile_mood
        elif st == IDEALISED:
            cd[CD_IDEALISED] += 1
            gap = status_gap(cp, status[u], status[a], log_likes, counts_visible[u])
            imp = comparison_impact(cp, comparison[u], gap)
            shock += comparison_mood_change(cp, imp, ud[UD_UPWARD])
            ud[UD_UPWARD_SE] += comparison_self_esteem_change(cp, imp, ud[UD_UPWARD])
            if gap > 0:
                cd[CD_UPWARD] += 1
                tot[TOT_UPWARD] += 1
                ud[UD_UPWARD] += 1
        elif st == PERSONAL:
            cd[CD_SUPPORTIVE] += 1
            if tie > 0:
                shock += sp.supportive_mood
                if tie >= 1.0 and lk:
                    ud[UD_MEANINGFUL] += 1
        elif distance > sp.outgroup_distance:
            ud[UD_CIVIL_CROSSCUT] += 1
        if is_bridging(sp, posts, slot):
            cd[CD_BRIDGING] += 1
        if lk:
            shock += sp.like_given_mood
            cd[CD_LIKES_GIVEN] += 1

        # what the item was worth to the user: enjoyment (their own like probability) and the attention pull
        # of outrage (Rathje et al. 2021; Brady et al. 2021)
        value = pl + rp.continue_arousal * outrage * susceptibility[u]
        value_sum += value
        engagement = value if i == 0 else (1.0 - rp.engagement_memory) * engagement + rp.engagement_memory * value
        if i + 1 < feed_len[s]:
            if lp.page_items > 0 and i + 1 == lp.page_items:
                why = ENDED_PAGE
                break
            if (
                lp.stop_cue_items > 0
                and i + 1 == lp.stop_cue_items
                and uniform(keys.cont, hour, u, 1000 + i) < lp.stop_cue_prob
            ):
                why = ENDED_CUE
                break
            if uniform(keys.cont, hour, u, i) >= continue_probability(rp, engagement, habit[u], sleep_debt_h[u], i + 1):
                why = ENDED_CHOICE
                break
    n_viewed[s] = viewed
    ended[s] = why
    if viewed > 0:  # the value of recent sessions draws the user back (sessions.py)
        recent_value[u] += rp.value_memory * (value_sum / viewed - recent_value[u])
    streak_min[u] = 0.0 if took_break else streak + minutes
    felt = sp.session_mood_cap * np.tanh(shock / sp.session_mood_cap)
    mood[u] += felt
    if viewed > 0:
        # A session is one experience, negative or positive when its net effect on mood is
        # (people report episodes, not feed items; Primack et al. 2018)
        ud[UD_EXPERIENCES] += 1
        tot[TOT_EXPERIENCES] += 1
        if felt < -sp.session_event_threshold:
            ud[UD_NEGATIVE] += 1
            tot[TOT_NEGATIVE] += 1
        elif felt > sp.session_event_threshold:
            ud[UD_POSITIVE] += 1
            tot[TOT_POSITIVE] += 1
    cd[CD_MINUTES] += minutes
    cd[CD_SESSIONS] += 1
    if viewed == feed_len[s] and feed_len[s] < feed.shape[1]:  # saw every post ranked, fewer than a full feed
        cd[CD_CAUGHT_UP] += 1
    ud[UD_MINUTES] += minutes
    tot[TOT_MINUTES] += minutes
    if is_night:
        cd[CD_NIGHT_MINUTES] += minutes
        tot[TOT_NIGHT_MINUTES] += minutes
    if kind == BED_SESSION:
        bed_minutes[u] = minutes
        arousal_min[u] = hostile_seen * sp.arousal_min_per_hostile
        cd[CD_BED_MINUTES] += minutes
    elif kind == NIGHT_SESSION:
        night_lost_min[u] += minutes + sp.fall_back_asleep_min
        cd[CD_BED_MINUTES] += minutes


@njit(parallel=True, cache=True)
def scroll_feeds(session_users, hour, is_night, today, rp, cp, sp, lp, keys, shown, posts, viewers, state, out):
    """Let every session's user scroll its ranked feed; apply the effects of each item seen. Before each
    item the platform's stopping features (``platform/limits.py``) may end the session. (The loop body is
    a function of its own so that Numba compiles it once rather than inlining it into the parallel loop.)"""
    for s in prange(session_users.shape[0]):
        scroll_session(s, session_users, hour, is_night, today, rp, cp, sp, lp, keys, shown, posts, viewers, state, out)


@njit(cache=True)
def record_impressions(
    bp,
    session_users,
    feed,
    n_viewed,
    liked,
    replied,
    ideology,
    posts,
    likes_this_hour,
    replies_this_hour,
    calendar_day,
    totals,
    mu,
    user_i,
    user_f,
):
    """Serial bookkeeping of the hour's impressions: counts on posts and authors, and the platform's
    bridging model. Serial, so counts and the model fit do not depend on the thread count."""
    n_users = likes_this_hour.shape[0]
    for s in range(session_users.shape[0]):
        u = session_users[s]
        left = ideology[u] < 0
        for i in range(n_viewed[s]):
            slot = feed[s, i]
            a = posts.author[slot]
            posts.impressions[slot] += 1
            if left:
                posts.impressions_left[slot] += 1
            else:
                posts.impressions_right[slot] += 1
            y = 0.0
            in_sample = a < n_users  # an outside account (sim/external.py) has no notifications or counters
            if liked[s, i]:
                y = 1.0
                posts.likes[slot] += 1
                posts.log_likes[slot] = np.log1p(posts.likes[slot])
                if left:
                    posts.likes_left[slot] += 1
                else:
                    posts.likes_right[slot] += 1
                if in_sample:
                    likes_this_hour[a] += 1
                    calendar_day[a, CD_LIKES_RECEIVED] += 1
                    totals[a, TOT_LIKES_RECEIVED] += 1
            if replied[s, i]:
                posts.hostile_replies[slot] += 1
                if in_sample:
                    replies_this_hour[a] += 1
            bridging_observe(
                bp, mu, user_i, user_f, posts.mf_intercept, posts.mf_factor, u, slot, y, posts.impressions[slot]
            )
            if user_f[u] >= 0:
                posts.side_impressions_a[slot] += 1
                posts.side_likes_a[slot] += liked[s, i]
            else:
                posts.side_impressions_b[slot] += 1
                posts.side_likes_b[slot] += liked[s, i]
            posts.bridging[slot] = bridging_score(
                bp,
                mu,
                posts.side_likes_a[slot],
                posts.side_impressions_a[slot],
                posts.side_likes_b[slot],
                posts.side_impressions_b[slot],
            )


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.response`` settings (run by ``sim.config.validate``)."""
    r = "behaviour.response"
    for key in (
        "like_intercept",
        "like_tie",
        "like_agreement",
        "like_outrage",
        "like_outrage_agreement",
        "like_idealised",
        "like_quality",
        "like_popularity",
        "like_supportive_tie",
        "continue_intercept",
        "continue_engagement",
        "continue_habit",
    ):
        c.finite(f"{r}.{key}")
    c.positive(f"{r}.dwell_base_s", f"{r}.max_session_minutes")
    c.non_negative(f"{r}.dwell_engagement_s", f"{r}.dwell_sd_log", f"{r}.continue_fatigue_per_item")
    c.non_negative(f"{r}.continue_arousal")
    c.probability(f"{r}.hostile_reply_prob", f"{r}.engagement_memory", f"{r}.reshown_like_factor")
    if c.get(f"{r}.max_session_minutes") > 60:
        fail(f"{r}.max_session_minutes", c.get(f"{r}.max_session_minutes"), "must be at most 60 (a step is one hour)")
