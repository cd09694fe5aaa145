"""A per-agent, pure-Python version of the simulated hour: the correctness oracle and the baseline of the
benchmark (issue 6).

``Oracle(model)`` copies the state of a built ``FeedModel`` (users, follow graph, live posts) into one
``User`` object per user and ``Post`` objects, and ``Oracle.step()`` then advances one hour the
straightforward way: a loop over ``User`` objects calling ``user.step(hour)`` (sleep, notifications,
opening the app, ranking the user's feed, scrolling it, bedtime, the posting clock) and, after the
hour's shared bookkeeping (impressions, new posts, feedback), ``user.end_hour(hour)`` (mood, the daily
slow updates). It reads no engine kernel: the counter-based random numbers, the two-process sleep model,
the candidate gathering and scoring, the Bloom filter of seen posts, the response model and the
wellbeing updates are written again here with Python floats and integers. What it takes from the engine
is its input: the configuration's parameter tuples, the circadian table and the state at the start.

The engine stores most real-valued state as float32; so that the two agree to the bit, the oracle rounds
a value to float32 wherever the engine writes it to a float32 array (``_f32``), and computes in float32
the few expressions whose operands are all float32 (there Numba computes in float32). Everything else is
float64 in both.

Scope: the default platform (no deactivation, no moderation: their hooks raise NotImplementedError) and
the built-in linear ranking rules (``tests/oracle`` checks engagement and civic); plug-in rules
(``policy.score``) are not supported. Slow by design: it is the "one ``step()`` per agent" baseline the
benchmark compares the array engine with (``benchmarks/run.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import struct

import numpy as np

from sim.behaviour import sleep as sleep_model
from sim.ranking import features as fx
from sim.ranking import kernels
from sim.state import (
    ASLEEP,
    AWAKE,
    BED_SESSION,
    CALENDAR_DAY,
    DAY_SESSION,
    IDEALISED,
    IN_BED,
    INFORMATIONAL,
    LIMIT_DISMISSED,
    LIMIT_LOCKED,
    N_STYLES,
    NIGHT_SESSION,
    NO_SESSION,
    OUTRAGE,
    PERSONAL,
    POST_FIELDS,
    SEEN_WORDS,
    TOTALS,
    UNDER_LIMIT,
    USER_DAY,
    USER_FIELDS,
)
from sim.vocabulary import AGE_GROUPS

# --------------------------------------------------------------------------------------------------
# numbers

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV53 = 1.0 / 9007199254740992.0
_PACK = struct.Struct("f")


def _f32(x: float) -> float:
    """x rounded to the nearest float32, as a store into a float32 array does."""
    return _PACK.unpack(_PACK.pack(x))[0]


_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.log1pf.restype = ctypes.c_float
_libm.log1pf.argtypes = (ctypes.c_float,)


def _log1p_f32(x: float) -> float:
    """np.log1p of a float32 value as compiled code computes it: the C library's single-precision
    log1pf, which is not always the correctly rounded double result."""
    return _libm.log1pf(x)


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _M64
    z = ((z ^ (z >> 27)) * _M2) & _M64
    return z ^ (z >> 31)


def _hash3(key: int, a: int, b: int, c: int) -> int:
    h = _mix64((key + (a & _M64) * _GOLDEN) & _M64)
    h = _mix64(h ^ (((b & _M64) + _GOLDEN) & _M64))
    return _mix64(h ^ ((((c & _M64) * _M1) + _GOLDEN) & _M64))


def uniform(key: int, a: int, b: int, c: int) -> float:
    """The counter-based uniform draw (SplitMix64 finaliser per counter word; see sim/rng.py)."""
    return float(_hash3(key, a, b, c) >> 11) * _INV53


def normal(key: int, a: int, b: int, c: int) -> float:
    u1 = uniform(key, a, b, 2 * c)
    u2 = uniform(key, a, b, 2 * c + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def exponential(key: int, a: int, b: int, c: int) -> float:
    return -math.log(1.0 - uniform(key, a, b, c))


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


_F32_USER = {name for name, t in USER_FIELDS.items() if t == np.float32}
_INT_USER = {name for name, t in USER_FIELDS.items() if np.issubdtype(t, np.integer)}
UD = {name: i for i, name in enumerate(USER_DAY)}
CD = {name: i for i, name in enumerate(CALENDAR_DAY)}
TOT = {name: i for i, name in enumerate(TOTALS)}
_SEEN_BITS = SEEN_WORDS * 64


def _seen_bits(post_id: int) -> int:
    """The two bits of the seen filter that mark a post (a Bloom filter with two hash positions)."""
    h = _mix64((post_id + 0x632BE59BD9B4E019) & _M64)
    return (1 << (h % _SEEN_BITS)) | (1 << ((h >> 16) % _SEEN_BITS))


# --------------------------------------------------------------------------------------------------
# agents


class Post:
    __slots__ = tuple(POST_FIELDS)

    def __init__(self, **values):
        for k, v in values.items():
            setattr(self, k, v)


class User:
    """One user: every attribute of the engine's ``UserState`` as a Python number, plus the daily
    counters as lists and the seen memory as one integer bit set per remembered day."""

    def __init__(self, oracle: Oracle, uid: int, values: dict):
        self.o = oracle
        self.uid = uid
        for k, v in values.items():
            setattr(self, k, v)

    # ---- sleep (the two-process model, sim/behaviour/sleep.py) -----------------------------------

    def _wake(self, slept_min: float, sp) -> None:
        self.sleep_state = AWAKE
        self.woke = 1
        slept = max(slept_min, 0.0) / 60.0
        self.last_sleep_h = _f32(slept)
        self.last_onset_hod = _f32(self.onset_h % 24.0)
        gap = self.sleep_need_h - slept
        self.last_deficit_h = _f32(max(gap, 0.0))
        self.sleep_debt_h = _f32(max(self.sleep_debt_h * sp.debt_carryover + gap, 0.0))

    def _run_sleep(self, j_start: int, stop_at_bed: bool, hour: int, alarm_sub: int) -> None:
        o = self.o
        sp, ctable = o.sleep_p, o.ctable
        nsub = sp.substeps
        dt = 1.0 / nsub
        dt_min = 60.0 / nsub
        nt = len(ctable)
        day_sub0 = (hour % 24) * nsub
        s = self.sleep_pressure
        for j in range(j_start, nsub):
            t = hour + j * dt
            sub = day_sub0 + j
            c = ctable[(sub - self.circadian_shift) % nt]
            st = self.sleep_state
            if st == IN_BED:
                if alarm_sub >= 0 and sub == alarm_sub:
                    self.onset_h = t
                    self._wake(0.0, sp)
                    self.awake_until_h = t + sp.stay_up_after_alarm_h
                    st = AWAKE
                elif t >= self.awake_until_h:
                    self.sleep_state = ASLEEP
                    self.onset_h = t
                    self.night_sleep_min = 0.0
                    self.night_lost_min = 0.0
                    st = ASLEEP
                else:
                    s = 1.0 - (1.0 - s) * sp.k_rise
                    self.awake_min = _f32(self.awake_min + dt_min)
                    continue
            if st == AWAKE:
                s = 1.0 - (1.0 - s) * sp.k_rise
                self.awake_min = _f32(self.awake_min + dt_min)
                if s >= sp.upper + float(self.sleep_threshold_offset) + sp.amplitude * c and t >= self.awake_until_h:
                    self.sleep_state = IN_BED
                    self.ready_at_h = t + dt
                    self.awake_until_h = t + dt + sp.latency_h
                    if stop_at_bed:
                        self.pending_substep = j + 1
                        break
                continue
            s = s * sp.k_fall
            self.night_sleep_min = _f32(self.night_sleep_min + dt_min)
            alarm = alarm_sub >= 0 and sub == alarm_sub
            if alarm or s <= sp.lower + float(self.sleep_threshold_offset) + sp.amplitude * c:
                self._wake(_f32(self.night_sleep_min - self.night_lost_min), sp)
                if alarm:
                    self.awake_until_h = t + sp.stay_up_after_alarm_h
        self.sleep_pressure = s

    # ---- the first part of the hour: up to the posting clock ------------------------------------

    def step(self, hour: int) -> None:
        o = self.o
        u = self.uid
        alarm_sub = o.alarms[self.age_group]
        # sleep, to bedtime
        self.awake_min = 0.0
        self.woke = 0
        self.pending_substep = -1
        self._run_sleep(0, True, hour, alarm_sub)
        # notifications
        if o.notif_drop_all or not o.active[u]:
            self.notif_pending = 0.0
            self.notif_delivered = 0.0
        elif o.notif_release and not (o.teen[u] and o.teen_quiet_now):
            self.notif_delivered = self.notif_pending
            self.notif_pending = 0.0
        else:
            self.notif_delivered = 0.0
        # opening the app
        self._draw_session(hour)
        if self.session_kind != NO_SESSION:
            feed = self._rank(hour)
            self._scroll(hour, feed)
        # bedtime, now that phone use in bed is known
        if self.pending_substep >= 0:
            j = self.pending_substep
            self.awake_until_h = (
                self.ready_at_h + o.sleep_p.latency_h + _f32(self.bed_minutes + self.arousal_min) / 60.0
            )  # a float32 sum
            self._run_sleep(j, False, hour, alarm_sub)
            self.pending_substep = -1
        # the posting clock
        h = self.awake_min / 60.0
        self.wants_post = False
        if h > 0:
            self.post_clock_h = _f32(self.post_clock_h - h)
            self.delay_since_post_h = _f32(self.delay_since_post_h + h)
            if self.post_clock_h <= 0:
                if o.may_post[u]:
                    self.wants_post = True
                else:
                    self.delay_since_post_h = _f32(self.delay_since_post_h + self.post_clock_h)
                    self.post_clock_h = 0.0

    def _draw_session(self, hour: int) -> None:
        o, u, p = self.o, self.uid, self.o.session_p
        kind = NO_SESSION
        self.bed_minutes = 0.0
        self.arousal_min = 0.0
        nt = min(self.notif_delivered, p.notification_cap)
        if o.may_open[u]:
            if self.pending_substep >= 0:
                z = p.bed_logit + p.bed_habit * self.habit + p.bed_notification * nt
                if uniform(o.k_bed, hour, u, 0) < 1.0 / (1.0 + math.exp(-z)):
                    kind = BED_SESSION
            elif self.sleep_state == ASLEEP:
                if nt > 0 and uniform(o.k_night, hour, u, 0) < 1.0 - (1.0 - p.night_wake_prob) ** nt:
                    kind = NIGHT_SESSION
            elif self.sleep_state == AWAKE and self.awake_min > 0:
                h = (
                    o.hazard_by_age[self.age_group]
                    * self.use_propensity
                    * o.activity_now
                    * (1.0 + p.habit_effect * self.habit)
                    * (1.0 + p.notification_boost * nt)
                )
                if uniform(o.k_open, hour, u, 0) < 1.0 - math.exp(-h * self.awake_min / 60.0):
                    kind = DAY_SESSION
        self.session_kind = kind
        if kind == NO_SESSION:
            self.streak_min = 0.0

    # ---- ranking -------------------------------------------------------------------------------

    def _has_seen(self, post_id: int) -> bool:
        bits = _seen_bits(post_id)
        return any(day & bits == bits for day in self.seen)

    def _candidates(self, hour: int) -> list[tuple[Post, float, bool]]:
        o, u, p = self.o, self.uid, self.o.policy_p
        out: list[tuple[Post, float, bool]] = []
        m_in = p.m - p.oon_candidates
        followees = self.followees
        deg = len(followees)
        if deg and m_in > 0:
            start = int(uniform(o.k_followee, hour, u, 0) * deg)
            for f, mutual in followees[start:] + followees[:start]:
                if not o.active[f]:
                    continue
                pid = o.users[f].last_post_id
                taken = 0
                while pid >= 0 and (p.per_followee_cap == 0 or taken < p.per_followee_cap) and len(out) < m_in:
                    post = o.posts.get(pid)
                    if post is None or hour - post.created_hour > p.max_age_hours:
                        break
                    if not post.removed:
                        s = self._has_seen(pid)
                        if p.show_seen or not s:
                            out.append((post, 1.0 if mutual else 0.5, s))
                            taken += 1
                    pid = post.prev_by_author
                if len(out) >= m_in:
                    break
        pool = o.pool
        if p.oon_candidates > 0 and pool:
            start = int(uniform(o.k_oon, hour, u, 0) * len(pool))
            blocked = o.oon_idealised_blocked[u]
            followed = self.followee_set
            added = 0
            for post in pool[start:] + pool[:start]:
                if added >= p.oon_candidates or len(out) >= p.m:
                    break
                a = post.author
                if a == u or (blocked and post.style == IDEALISED) or a in followed:
                    continue
                s = self._has_seen(post.post_id)
                if p.show_seen or not s:
                    out.append((post, 0.0, s))
                    added += 1
        return out

    def _like_logit(
        self, tie, agreement, outrage, idealised, supportive, quality, log_likes_visible, susceptibility
    ) -> float:
        rp = self.o.response_p
        z = rp.b0 + rp.b_tie * tie + rp.b_agree * agreement
        z += outrage * (rp.b_outrage * susceptibility + rp.b_outrage_agree * agreement)
        z += rp.b_ideal * idealised + rp.b_quality * quality + rp.b_pop * log_likes_visible
        z += rp.b_support_tie * supportive * tie
        return z

    def _rank(self, hour: int) -> list[tuple[Post, float, bool]]:
        o, u, p, rp = self.o, self.uid, self.o.policy_p, self.o.response_p
        w = o.weights
        protected = o.protected[u] > 0
        scored = []
        for idx, (post, tie, seen) in enumerate(self._candidates(hour)):
            style = post.style
            agreement = 1.0 - _f32(abs(_f32(self.ideology - o.users[post.author].ideology)))
            x = [0.0] * fx.N_FEATURES
            if w[fx.F_P_LIKE] != 0 or w[fx.F_DWELL] != 0:
                z = self._like_logit(
                    tie,
                    agreement,
                    1.0 if style == OUTRAGE else 0.0,
                    1.0 if style == IDEALISED else 0.0,
                    1.0 if style == PERSONAL else 0.0,
                    post.quality,
                    post.log_likes * o.counts_visible[u],
                    1.0,
                )
                if p.estimation_noise > 0:
                    z += p.estimation_noise * normal(o.k_noise, hour, u, post.post_id)
                pl = logistic(z)
                x[fx.F_P_LIKE] = pl
                x[fx.F_DWELL] = (rp.dwell_base_s + rp.dwell_engagement_s * pl) / 60.0
            x[fx.F_TIE] = tie
            x[fx.F_IN_NETWORK] = 1.0 if tie > 0 else 0.0
            x[fx.F_AGREEMENT] = agreement
            x[fx.F_OUTRAGE] = 1.0 if style == OUTRAGE else 0.0
            x[fx.F_IDEALISED] = 1.0 if style == IDEALISED else 0.0
            x[fx.F_SUPPORTIVE] = 1.0 if style == PERSONAL else 0.0
            x[fx.F_INFORMATIONAL] = 1.0 if style == INFORMATIONAL else 0.0
            x[fx.F_QUALITY] = post.quality
            x[fx.F_BRIDGING] = fx.BRIDGING_SCALE * post.bridging
            x[fx.F_LOG_LIKES] = post.log_likes
            x[fx.F_AGE_HOURS] = hour - post.created_hour
            x[fx.F_VIEWER_PROTECTED] = o.protected[u]
            x[fx.F_AUTHOR_STATUS] = o.users[post.author].status
            x[fx.F_SEEN] = 1.0 if seen else 0.0
            if w[fx.F_NOISE] != 0:
                x[fx.F_NOISE] = uniform(o.k_noise, hour, u, ~post.post_id)
            score = 0.0
            for i in range(fx.N_FEATURES):
                wi = w[i]
                if wi == 0:
                    continue
                if protected and wi < 0 and (i == fx.F_OUTRAGE or i == fx.F_IDEALISED):
                    wi *= p.protected_factor
                score += wi * x[i]
            if not math.isfinite(score):
                score = -math.inf
            scored.append((-score, idx, post, tie, seen))
        scored.sort(key=lambda t: (t[0], t[1]))
        feed, per_author = [], {}
        for _, _, post, tie, seen in scored:
            if len(feed) == p.k:
                break
            if p.author_cap > 0:
                if per_author.get(post.author, 0) >= p.author_cap:
                    continue
                per_author[post.author] = per_author.get(post.author, 0) + 1
            feed.append((post, tie, seen))
        return feed

    # ---- scrolling -----------------------------------------------------------------------------

    def _scroll(self, hour: int, feed) -> None:
        o, u = self.o, self.uid
        rp, cp, sp, lp = o.response_p, o.comparison_p, o.scroll_p, o.limits
        kind = self.session_kind
        avail = rp.max_session_min
        if kind == DAY_SESSION:
            avail = min(avail, self.awake_min)
        ud, cd, tot = self.user_day, self.calendar_day, self.totals
        minutes_today = cd[CD["minutes"]]
        streak = self.streak_min
        limit_min = o.limit_minutes[u]
        cv = o.counts_visible[u]
        took_break = False
        minutes = engagement = shock = 0.0
        hostile_seen = viewed = 0
        views = []
        n = len(feed)
        for i, (post, tie, seen) in enumerate(feed):
            a = post.author
            st = post.style
            distance = _f32(abs(_f32(self.ideology - o.users[a].ideology)))
            z = self._like_logit(
                tie,
                1.0 - distance,
                1.0 if st == OUTRAGE else 0.0,
                1.0 if st == IDEALISED else 0.0,
                1.0 if st == PERSONAL else 0.0,
                post.quality,
                post.log_likes * cv,
                self.outrage_susceptibility,
            )
            pl = logistic(z)
            if seen:
                pl *= rp.reshown_like_factor
            dwell_min = (
                (rp.dwell_base_s + rp.dwell_engagement_s * pl)
                / 60.0
                * math.exp(rp.dwell_sd_log * normal(o.k_dwell, hour, u, i) - 0.5 * rp.dwell_sd_log**2)
            )
            if minutes + dwell_min > avail:
                break
            if limit_min > 0 and self.limit_state == UNDER_LIMIT and minutes_today + minutes + dwell_min > limit_min:
                cd[CD["limit_hits"]] += 1
                if lp.limit_hard or uniform(o.k_reminder, hour, u, i) < lp.reminder_compliance:
                    self.limit_state = LIMIT_LOCKED
                    break
                self.limit_state = LIMIT_DISMISSED
            if lp.nudge_after_min > 0 and (
                math.floor((streak + minutes + dwell_min) / lp.nudge_after_min)
                > math.floor((streak + minutes) / lp.nudge_after_min)
            ):
                cd[CD["nudges"]] += 1
                if uniform(o.k_nudge, hour, u, i) < lp.nudge_compliance:
                    took_break = True
                    break
            minutes += dwell_min
            viewed += 1
            liked = uniform(o.k_like, hour, u, i) < pl
            replied = False
            bits = _seen_bits(post.post_id)
            self.seen[o.today] |= bits
            cd[CD["items"]] += 1
            if st == OUTRAGE:
                cd[CD["hostile"]] += 1
                hostile_seen += 1
                outgroup = distance > sp.outgroup_distance
                if outgroup:
                    ud[UD["outgroup_hostile"]] += 1
                    if uniform(o.k_reply, hour, u, i) < rp.hostile_reply_prob * self.outrage_susceptibility:
                        replied = True
                if outgroup or not liked:
                    shock -= sp.hostile_mood
            elif st == IDEALISED:
                cd[CD["idealised"]] += 1
                gap = cp.follower_weight * _f32(o.users[a].status - self.status) + cp.like_weight * post.log_likes
                if cv == 0:
                    gap *= cp.hidden_factor
                imp = self.comparison * math.tanh(gap / cp.status_scale)
                damping = 1.0 + cp.habituation * ud[UD["upward"]]
                shock += -cp.upward_mood * imp / damping if imp > 0 else -cp.downward_mood * imp
                ud[UD["upward_self_esteem"]] += -cp.upward_self_esteem * imp / damping if imp > 0 else 0.0
                if gap > 0:
                    cd[CD["upward"]] += 1
                    tot[TOT["upward"]] += 1
                    ud[UD["upward"]] += 1
            elif st == PERSONAL:
                cd[CD["supportive"]] += 1
                if tie > 0:
                    shock += sp.supportive_mood
                    if tie >= 1.0 and liked:
                        ud[UD["meaningful"]] += 1
            elif distance > sp.outgroup_distance:
                ud[UD["civil_crosscut"]] += 1
            il, ir = post.impressions_left, post.impressions_right
            if (
                il >= sp.bridging_min_impressions
                and ir >= sp.bridging_min_impressions
                and min(post.likes_left / il, post.likes_right / ir) >= sp.bridging_min_rate
            ):
                cd[CD["bridging"]] += 1
            if liked:
                shock += sp.like_given_mood
                cd[CD["likes_given"]] += 1
            views.append((post, liked, replied))
            engagement = pl if i == 0 else (1.0 - rp.engagement_memory) * engagement + rp.engagement_memory * pl
            if i + 1 < n:
                if (
                    lp.stop_cue_items > 0
                    and i + 1 == lp.stop_cue_items
                    and uniform(o.k_cont, hour, u, 1000 + i) < lp.stop_cue_prob
                ):
                    break
                cont = logistic(
                    rp.c0
                    + rp.c_engagement * engagement
                    + rp.c_habit * self.habit
                    + rp.c_self_control * self.sleep_debt_h
                    - rp.fatigue * (i + 1)
                )
                if uniform(o.k_cont, hour, u, i) >= cont:
                    break
        self.streak_min = 0.0 if took_break else _f32(streak + minutes)
        felt = sp.session_mood_cap * math.tanh(shock / sp.session_mood_cap)
        self.mood = _f32(self.mood + felt)
        if viewed > 0:
            ud[UD["experiences"]] += 1
            tot[TOT["experiences"]] += 1
            if felt < -sp.session_event_threshold:
                ud[UD["negative"]] += 1
                tot[TOT["negative"]] += 1
            elif felt > sp.session_event_threshold:
                ud[UD["positive"]] += 1
                tot[TOT["positive"]] += 1
        cd[CD["minutes"]] += minutes
        cd[CD["sessions"]] += 1
        ud[UD["minutes"]] += minutes
        tot[TOT["minutes"]] += minutes
        if o.is_night:
            cd[CD["night_minutes"]] += minutes
            tot[TOT["night_minutes"]] += minutes
        if kind == BED_SESSION:
            self.bed_minutes = _f32(minutes)
            self.arousal_min = _f32(hostile_seen * sp.arousal_min_per_hostile)
            cd[CD["bed_minutes"]] += minutes
        elif kind == NIGHT_SESSION:
            self.night_lost_min = _f32(self.night_lost_min + (minutes + sp.fall_back_asleep_min))
            cd[CD["bed_minutes"]] += minutes
        o.views.append((u, views))

    # ---- the end of the hour: mood and the daily updates ----------------------------------------

    def end_hour(self, hour: int) -> None:
        o, u, p = self.o, self.uid, self.o.wellbeing_p
        ud, cd, tot = self.user_day, self.calendar_day, self.totals
        r = self.hostile_replies_this_hour
        if r > 0:
            self.mood = _f32(self.mood - p.hostile_reply_mood * p.negativity_bias * self.feedback_sensitivity * r)
            ud[UD["negative"]] += r
            ud[UD["experiences"]] += r
            tot[TOT["negative"]] += r
            tot[TOT["experiences"]] += r
            self.hostile_replies_this_hour = 0
        # (float32 - float32 is a float32 operation in the engine)
        base = (
            self.mood_trait
            + p.mood_self_esteem * _f32(self.self_esteem - self.self_esteem_trait)
            - p.mood_symptoms * _f32(self.symptoms - self.symptoms_trait)
            - p.mood_loneliness * _f32(self.loneliness - self.loneliness_trait)
            - p.sleep_deficit_mood * self.last_deficit_h
        )
        self.mood = _f32(base + (self.mood - base) * p.mood_decay)
        if p.mood_noise_sd > 0:
            self.mood = _f32(self.mood + p.mood_noise_sd * normal(o.k_mood, hour + 24 * 10_000, u, 0))
        if self.awake_min > 0:
            cd[CD["mood_sum"]] += self.mood
            cd[CD["mood_n"]] += 1
            ud[UD["mood_sum"]] += self.mood
            ud[UD["mood_n"]] += 1
        if self.woke:
            self._daily_update()
        # notifications of this hour: one per user whose posts received likes
        if self.likes_this_hour > 0:
            self.notif_pending = _f32(self.notif_pending + 1.0)
        self.likes_this_hour = 0

    def _daily_update(self) -> None:
        o, p = self.o, self.o.wellbeing_p
        ud, cd = self.user_day, self.calendar_day
        cd[CD["woke"]] = 1
        self.self_esteem = _f32(
            self.self_esteem
            + (
                p.se_relax * _f32(self.self_esteem_trait - self.self_esteem)
                + ud[UD["upward_self_esteem"]]
                + p.se_feedback * ud[UD["feedback"]]
            )
        )
        n_exp = ud[UD["experiences"]]
        neg_share = ud[UD["negative"]] / n_exp if n_exp > 0 else 0.0
        pos_share = ud[UD["positive"]] / n_exp if n_exp > 0 else 0.0
        mood_mean = ud[UD["mood_sum"]] / ud[UD["mood_n"]] if ud[UD["mood_n"]] > 0 else self.mood
        target = (
            self.symptoms_trait
            + p.sym_negative_share * neg_share
            - p.sym_positive_share * pos_share
            + p.sym_sleep_debt * self.sleep_debt_h
            - p.sym_self_esteem * _f32(self.self_esteem - self.self_esteem_trait)
            + p.sym_loneliness * _f32(self.loneliness - self.loneliness_trait)
            - p.sym_mood * (mood_mean - self.mood_trait)
        )
        self.symptoms = _f32(self.symptoms + p.sym_rate * (target - self.symptoms))
        hours = ud[UD["minutes"]] / 60.0
        lonely_target = (
            self.loneliness_trait
            + p.lonely_displacement * max(0.0, hours - p.lonely_free_h)
            - p.lonely_meaningful * math.log1p(ud[UD["meaningful"]])
        )
        self.loneliness = _f32(self.loneliness + p.lonely_relax * (lonely_target - self.loneliness))
        # habit of use, from yesterday's minutes
        self.habit = _f32(self.habit + o.habit_rate * (min(1.0, ud[UD["minutes"]] / o.habit_target) - self.habit))
        # affective polarisation
        op = o.opinion_p
        a = self.polarization
        a += (
            op.hostile_rate * ud[UD["outgroup_hostile"]] * (1.0 - a)
            - op.civil_rate * ud[UD["civil_crosscut"]] * a
            + op.relax * (self.polarization_trait - a)
        )
        self.polarization = _f32(min(max(a, 0.0), 1.0))
        self.user_day = [0.0] * len(USER_DAY)


# --------------------------------------------------------------------------------------------------
# the model


class Oracle:
    """The per-agent version of ``FeedModel.step``, started from a copy of ``model``'s state."""

    def __init__(self, model):
        cfg = model.cfg
        pl = model.platform

        if pl.hooks:
            raise NotImplementedError("the oracle covers the default platform (no deactivation or moderation)")
        if model.ranker is not kernels.rank_feeds:
            raise NotImplementedError("the oracle covers the built-in linear ranking rules only")
        self.cfg = cfg
        self.hour = model.hour
        k = model.keys
        self.k_open, self.k_bed, self.k_night = int(k["session_open"]), int(k["in_bed_use"]), int(k["night_wake"])
        self.k_followee, self.k_oon, self.k_noise = (
            int(k["followee_offset"]),
            int(k["oon_offset"]),
            int(k["ranking_noise"]),
        )
        self.k_dwell, self.k_like, self.k_cont = int(k["dwell"]), int(k["like"]), int(k["continue"])
        self.k_reply, self.k_nudge, self.k_reminder = (
            int(k["hostile_reply"]),
            int(k["nudge"]),
            int(k["limit_reminder"]),
        )
        self.k_clock, self.k_style, self.k_quality = int(k["post_clock"]), int(k["post_style"]), int(k["post_quality"])
        self.k_mood = int(k["mood_noise"])
        # parameters (inputs, derived from the configuration)
        self.sleep_p, self.session_p, self.posting_p = model.sleep_p, model.session_p, model.posting_p
        self.response_p, self.scroll_p, self.comparison_p = model.response_p, model.scroll_p, model.comparison_p
        self.wellbeing_p, self.opinion_p, self.bridging_p = model.wellbeing_p, model.opinion_p, model.bridging_p
        self.policy_p = model.policy_p
        self.weights = [float(w) for w in model.weights]
        self.pool_key = int(model.pool_key)
        self.limits = pl.limits
        self.ctable = [float(c) for c in model.ctable]
        self.hazard_by_age = [float(h) for h in model.hazard_by_age]
        self.activity = [float(a) for a in model.activity]
        self.quality_mean = [float(q) for q in model.quality_mean]
        self.feedback_delay = model.feedback_delay
        sc = cfg.behaviour.sessions
        self.habit_rate, self.habit_target = float(sc.habit_learning_rate), float(sc.habit_target_minutes)
        self.bridging_mean = float(model.bridging_mean[0])
        # platform state (constant under the default platform)
        tolist = lambda a: a.tolist()  # noqa: E731
        self.active, self.may_open, self.may_post = tolist(pl.active), tolist(pl.may_open), tolist(pl.may_post)
        self.protected, self.counts_visible = tolist(pl.protected), tolist(pl.counts_visible)
        self.oon_idealised_blocked, self.teen = tolist(pl.oon_idealised_blocked), tolist(pl.notifications.teen)
        self.limit_minutes = tolist(pl.limit_minutes)
        nc = pl.notifications
        self.notif_mode, self.notif_batch_hours, self.teen_window = nc.mode, nc.batch_hours, nc.teen_quiet
        self.quiet_window = nc.quiet
        # users
        us = model.users
        g = model.graph
        self.users: list[User] = []
        cols = {name: getattr(us, name).tolist() for name in USER_FIELDS}
        for u in range(us.n):
            values = {name: cols[name][u] for name in USER_FIELDS}
            values["style_value"] = us.style_value[u].tolist()
            values["style_prior"] = model.style_prior[u].tolist()
            values["seen"] = [int.from_bytes(us.seen[u, d].tobytes(), "little") for d in range(us.seen.shape[1])]
            values["user_day"] = us.user_day[u].tolist()
            values["calendar_day"] = us.calendar_day[u].tolist()
            values["totals"] = us.totals[u].tolist()
            lo, hi = g.indptr[u], g.indptr[u + 1]
            values["followees"] = list(zip(g.indices[lo:hi].tolist(), g.mutual[lo:hi].astype(bool).tolist()))
            values["followee_set"] = set(g.indices[lo:hi].tolist())
            values["close_ties"] = g.close_indices[g.close_indptr[u] : g.close_indptr[u + 1]].tolist()
            values["wants_post"] = False
            self.users.append(User(self, u, values))
        self._check_seen_layout(us)
        # posts
        p = model.posts
        self.posts: dict[int, Post] = {}
        for slot in np.flatnonzero(p.post_id >= 0):
            self.posts[int(p.post_id[slot])] = Post(**{name: getattr(p, name)[slot].item() for name in POST_FIELDS})
        self.next_post_id = int(p.next_id)
        self.hour_first_post = {h: int(model.hour_first_post[h]) for h in range(max(model.hour, 0) + 1)}
        self.views: list = []
        self.pool: list[Post] = []
        self.day_snapshots: list[list[list[float]]] = []  # calendar_day of every user at 23:00, per day

    @staticmethod
    def _check_seen_layout(us) -> None:
        """The oracle keeps a day's seen filter as one integer whose bit i is bit (i % 64) of word i // 64."""
        assert us.seen.dtype == np.uint64 and us.seen.shape[2] == SEEN_WORDS and np.little_endian

    # ---- the hour ------------------------------------------------------------------------------

    def _build_pool(self, hour: int) -> None:
        p = self.policy_p
        if p.oon_candidates <= 0:
            self.pool = []
            return
        live = [
            q
            for q in self.posts.values()
            if hour - q.created_hour <= p.max_age_hours and not q.removed and self.active[q.author]
        ]

        def key(q):
            if self.pool_key == 0:
                return (q.likes + 1.0) / (q.impressions + 10.0) * math.log(2.0 + q.likes)
            return q.bridging if self.pool_key == 1 else float(q.created_hour)

        keyed = sorted(((key(q), q) for q in live), key=lambda t: (-t[0], t[1].post_id))
        size = min(max(int(round(float(self.cfg.policy.pool_share) * len(live))), p.oon_candidates), len(live))
        top = keyed[:size]
        self.pool = [
            q for _, q in sorted(top, key=lambda t: (uniform(self.k_oon, hour, t[1].post_id, 3), -t[0], t[1].post_id))
        ]

    def step(self) -> None:
        hour = self.hour
        hod, day = hour % 24, hour // 24
        users = self.users
        self.today = day % len(users[0].seen) if users else 0
        if hod == 0:
            for user in users:
                user.seen[self.today] = 0
        self.alarms = [int(a) for a in sleep_model.alarm_substeps(self.cfg, day % 7, AGE_GROUPS)]
        for u, user in enumerate(users):  # permissions (default platform: the time limit only)
            self.may_open[u] = 1 if self.active[u] and user.limit_state != LIMIT_LOCKED else 0
            self.may_post[u] = 1 if self.active[u] and user.suspended_until_h <= hour else 0
        self.notif_drop_all = self.notif_mode == "off"
        self.notif_release = self.notif_mode != "batched" or hour % self.notif_batch_hours == 0
        self.notif_release = self.notif_release and not _in_window(hod, *self.quiet_window)
        self.teen_quiet_now = _in_window(hod, *self.teen_window)
        self.activity_now = self.activity[hod]
        m = self.cfg.metrics
        self.is_night = _in_window(hod, int(m.night_start_hour), int(m.night_end_hour))
        self._build_pool(hour)
        self.views = []
        for user in users:
            user.step(hour)
        self._record_impressions()
        self._create_posts(hour)
        self._feedback(hour)
        for user in users:
            user.end_hour(hour)
        if hod == 23:
            self.day_snapshots.append([list(user.calendar_day) for user in users])
            late_hour = float(self.cfg.metrics.late_onset_hour)
            for user in users:  # the night that ended today, booked into the totals
                if user.calendar_day[CD["woke"]] > 0:
                    user.totals[TOT["sleep_h"]] += user.last_sleep_h
                    user.totals[TOT["nights"]] += 1
                    if late_hour <= user.last_onset_hod < 12.0:
                        user.totals[TOT["late_onsets"]] += 1
            for user in users:
                user.calendar_day = [0.0] * len(CALENDAR_DAY)
                user.limit_state = UNDER_LIMIT
        self.hour += 1

    def _record_impressions(self) -> None:
        bp = self.bridging_p
        users = self.users
        for u, views in self.views:  # sessions in ascending user order, as the engine records them
            viewer = users[u]
            left = viewer.ideology < 0
            for post, liked, replied in views:
                author = users[post.author]
                post.impressions += 1
                if left:
                    post.impressions_left += 1
                else:
                    post.impressions_right += 1
                y = 0.0
                if liked:
                    y = 1.0
                    post.likes += 1
                    post.log_likes = math.log1p(post.likes)
                    if left:
                        post.likes_left += 1
                    else:
                        post.likes_right += 1
                    author.likes_this_hour += 1
                    author.calendar_day[CD["likes_received"]] += 1
                    author.totals[TOT["likes_received"]] += 1
                if replied:
                    post.hostile_replies += 1
                    author.hostile_replies_this_hour += 1
                # the platform's matrix factorisation of likes (sim/ranking/bridging.py)
                pred = (
                    self.bridging_mean
                    + viewer.mf_intercept
                    + post.mf_intercept
                    + _f32(viewer.mf_factor * post.mf_factor)
                )
                err = y - pred
                self.bridging_mean += bp.mean_rate * err
                lr_post = 1.0 / (bp.prior_obs + post.impressions)
                lr_post_factor = max(lr_post, bp.factor_learning_rate_min)
                viewer.mf_intercept = _f32(
                    viewer.mf_intercept + bp.learning_rate * (err - bp.reg_intercept * viewer.mf_intercept)
                )
                post.mf_intercept = _f32(post.mf_intercept + lr_post * (err - bp.reg_intercept * post.mf_intercept))
                fu = viewer.mf_factor
                viewer.mf_factor = _f32(fu + bp.learning_rate * (err * post.mf_factor - bp.reg_factor * fu))
                post.mf_factor = _f32(post.mf_factor + lr_post_factor * (err * fu - bp.reg_factor * post.mf_factor))
                if viewer.mf_factor >= 0:
                    post.side_impressions_a += 1
                    post.side_likes_a += int(liked)
                else:
                    post.side_impressions_b += 1
                    post.side_likes_b += int(liked)
                m = self.bridging_mean
                rate_a = (post.side_likes_a + bp.prior_obs * m) / (post.side_impressions_a + bp.prior_obs)
                rate_b = (post.side_likes_b + bp.prior_obs * m) / (post.side_impressions_b + bp.prior_obs)
                post.bridging = _f32(min(rate_a, rate_b) - m)

    def _delay(self, user: User) -> float:
        return (
            _f32(user.habit_weight * user.habit_delay_h)  # float32 * float32
            + (1.0 - user.habit_weight) * user.post_cost / max(user.expected_likes, self.posting_p.reward_floor)
        )

    def _create_posts(self, hour: int) -> None:
        p = self.posting_p
        self.hour_first_post[hour] = self.next_post_id
        for u, user in enumerate(self.users):
            if not user.wants_post:
                continue
            pid = self.next_post_id
            self.next_post_id += 1
            if user.last_post_id >= 0:
                intended = self._delay(user)
                user.habit_delay_h = _f32(user.habit_delay_h + user.alpha_habit * (intended - user.habit_delay_h))
            user.delay_since_post_h = _f32(-user.post_clock_h)
            user.post_clock_h = _f32(user.post_clock_h + exponential(self.k_clock, hour, u, 0) * self._delay(user))
            vmax = max(user.style_value)
            probs = [
                user.style_prior[s] * math.exp(p.style_beta * _f32(user.style_value[s] - vmax)) for s in range(N_STYLES)
            ]
            r = uniform(self.k_style, hour, u, 0) * sum_in_order(probs)
            chosen, acc = N_STYLES - 1, 0.0
            for s in range(N_STYLES):
                acc += probs[s]
                if r < acc:
                    chosen = s
                    break
            z = self.quality_mean[chosen] + p.quality_sd * normal(self.k_quality, hour, u, 0)
            values = dict.fromkeys(POST_FIELDS, 0)
            values.update(
                post_id=pid,
                author=u,
                created_hour=hour,
                style=chosen,
                quality=_f32(1.0 / (1.0 + math.exp(-z))),
                prev_by_author=user.last_post_id,
                mf_intercept=0.0,
                mf_factor=0.0,
                bridging=0.0,
                log_likes=0.0,
            )
            self.posts[pid] = Post(**values)
            user.last_post_id = pid
            user.calendar_day[CD["posts"]] += 1
            user.totals[TOT["posts"]] += 1
            if chosen == OUTRAGE:
                user.calendar_day[CD["outrage_posts"]] += 1
            for v in user.close_ties:
                friend = self.users[v]
                friend.notif_pending = _f32(friend.notif_pending + 1)
        self.hour_first_post[hour + 1] = self.next_post_id

    def _feedback(self, hour: int) -> None:
        h = hour - self.feedback_delay
        if h < 0 or h not in self.hour_first_post:
            return
        wp, pp = self.wellbeing_p, self.posting_p
        for pid in range(self.hour_first_post[h], self.hour_first_post[h + 1]):
            post = self.posts.get(pid)
            if post is None:
                continue
            user = self.users[post.author]
            # np.log1p of a float32 is a float32 function in the engine
            d = math.log1p(post.likes) - _log1p_f32(user.expected_likes)
            weight = wp.negativity_bias if d < 0 else 1.0
            user.mood = _f32(user.mood + wp.feedback_mood * user.feedback_sensitivity * weight * d)
            user.user_day[UD["feedback"]] += user.feedback_sensitivity * weight * d
            user.user_day[UD["experiences"]] += 1
            user.totals[TOT["experiences"]] += 1
            if d < -wp.feedback_event_threshold:
                user.user_day[UD["negative"]] += 1
                user.totals[TOT["negative"]] += 1
            elif d > wp.feedback_event_threshold:
                user.user_day[UD["positive"]] += 1
                user.totals[TOT["positive"]] += 1
        for pid in range(self.hour_first_post[h], self.hour_first_post[h + 1]):
            post = self.posts.get(pid)
            if post is None:
                continue
            user = self.users[post.author]
            old = self._delay(user)
            user.expected_likes = _f32(
                max(user.expected_likes + user.alpha_reward * (post.likes - user.expected_likes), pp.reward_floor)
            )
            new = self._delay(user)
            if user.post_clock_h > 0:
                user.post_clock_h = _f32(user.post_clock_h * (new / old))
            s = post.style
            user.style_value[s] = _f32(
                user.style_value[s] + pp.style_learning_rate * (math.log1p(post.likes) - user.style_value[s])
            )

    # ---- the state as arrays, for comparison with the engine ------------------------------------

    def user_array(self, name: str) -> np.ndarray:
        if name in ("user_day", "calendar_day", "totals", "style_value"):
            return np.array([getattr(u, name) for u in self.users], np.float64)
        if name == "seen":
            return np.array(
                [[np.frombuffer(d.to_bytes(SEEN_WORDS * 8, "little"), np.uint64) for d in u.seen] for u in self.users]
            )
        return np.array([getattr(u, name) for u in self.users], USER_FIELDS[name])

    def post_array(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(post ids, values) of the posts of the last ``max_age`` window, by post id."""
        ids = sorted(self.posts)
        return np.array(ids, np.int64), np.array([getattr(self.posts[i], name) for i in ids], POST_FIELDS[name])


def sum_in_order(values) -> float:
    total = 0.0
    for v in values:
        total += v
    return total


def _in_window(hod: int, start: int, end: int) -> bool:
    if start < 0 and end < 0:
        return False
    if start < end:
        return start <= hod < end
    return hod >= start or hod < end
