"""The oracle's agents: one ``Post`` and one ``User`` object each, stepping the hour the straightforward way
(``sim/testing/oracle.py``)."""

from __future__ import annotations

import math

import numpy as np

from sim.ranking import features as fx
from sim.state import (
    ASLEEP,
    AWAKE,
    BED_SESSION,
    DAY_SESSION,
    IDEALISED,
    IN_BED,
    INFORMATIONAL,
    LIMIT_DISMISSED,
    LIMIT_LOCKED,
    NIGHT_SESSION,
    NO_SESSION,
    OUTRAGE,
    PERSONAL,
    POST_FIELDS,
    UNDER_LIMIT,
    USER_DAY,
)
from sim.testing import ranking_reference
from sim.testing.oracle_numbers import CD, TOT, UD, _f32, _seen_bits, logistic, normal, uniform


class Post:
    __slots__ = tuple(POST_FIELDS)

    def __init__(self, **values):
        for k, v in values.items():
            setattr(self, k, v)


class User:
    """One user: every attribute of the engine's ``UserState`` as a Python number, plus the daily
    counters as lists and the seen memory as one integer bit set per remembered day."""

    def __init__(self, oracle, uid: int, values: dict):
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
        nsub = sp.substeps_per_hour
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
                if (
                    s >= sp.upper_threshold + float(self.sleep_threshold_offset) + sp.circadian_amplitude * c
                    and t >= self.awake_until_h
                ):
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
            if alarm or s <= sp.lower_threshold + float(self.sleep_threshold_offset) + sp.circadian_amplitude * c:
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
                z = p.in_bed_use_logit + p.in_bed_use_habit * self.habit + p.in_bed_use_notification * nt
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
                    * math.exp(p.return_value_effect * (self.recent_value - p.value_reference))
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
                if not o.author_active[f]:
                    continue
                pid = o.authors[f].last_post_id
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
        self, tie, agreement, outrage, idealised, supportive, quality, log_likes_visible, susceptibility, topic
    ) -> float:
        rp = self.o.response_p
        z = rp.like_intercept + rp.like_tie * tie + rp.like_agreement * agreement
        z += outrage * (rp.like_outrage * susceptibility + rp.like_outrage_agreement * agreement)
        z += rp.like_idealised * idealised + rp.like_quality * quality + rp.like_popularity * log_likes_visible
        z += rp.like_supportive_tie * supportive * tie
        return z + rp.like_interest * self.interest[topic]

    def _rank(self, hour: int) -> list[tuple[Post, float, bool]]:
        o, u, p, rp = self.o, self.uid, self.o.policy_p, self.o.response_p
        w = o.weights
        protected = o.protected[u] > 0
        scored = []
        for idx, (post, tie, seen) in enumerate(self._candidates(hour)):
            style = post.style
            agreement = 1.0 - _f32(abs(_f32(self.ideology - o.authors[post.author].ideology)))
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
                    post.topic,
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
            x[fx.F_AUTHOR_STATUS] = o.authors[post.author].status
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
        scores = np.array([-t[0] for t in scored], np.float64)
        authors = np.array([t[2].author for t in scored], np.int64)
        return [scored[i][2:] for i in ranking_reference.top_k(scores, authors, p.k, p.author_cap)]

    # ---- scrolling -----------------------------------------------------------------------------

    def _scroll(self, hour: int, feed) -> None:
        o, u = self.o, self.uid
        rp, cp, sp, lp = o.response_p, o.comparison_p, o.scroll_p, o.limits
        kind = self.session_kind
        avail = rp.max_session_minutes
        if kind == DAY_SESSION:
            avail = min(avail, self.awake_min)
        ud, cd, tot = self.user_day, self.calendar_day, self.totals
        minutes_today = cd[CD["minutes"]]
        streak = self.streak_min
        limit_min = o.limit_minutes[u]
        cv = o.counts_visible[u]
        took_break = False
        minutes = engagement = shock = value_sum = 0.0
        hostile_seen = viewed = 0
        views = []
        n = len(feed)
        for i, (post, tie, seen) in enumerate(feed):
            a = post.author
            st = post.style
            distance = _f32(abs(_f32(self.ideology - o.authors[a].ideology)))
            z = self._like_logit(
                tie,
                1.0 - distance,
                1.0 if st == OUTRAGE else 0.0,
                1.0 if st == IDEALISED else 0.0,
                1.0 if st == PERSONAL else 0.0,
                post.quality,
                post.log_likes * cv,
                self.outrage_susceptibility,
                post.topic,
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
                gap = (
                    cp.follower_status_weight * _f32(o.authors[a].status - self.status)
                    + cp.like_status_weight * post.log_likes
                )
                if cv == 0:
                    gap *= cp.hidden_counts_status_factor
                imp = self.comparison * math.tanh(gap / cp.status_scale)
                damping = 1.0 + cp.upward_habituation * ud[UD["upward"]]
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
            value = pl + rp.continue_arousal * (1.0 if st == OUTRAGE else 0.0) * self.outrage_susceptibility
            value_sum += value
            engagement = value if i == 0 else (1.0 - rp.engagement_memory) * engagement + rp.engagement_memory * value
            if i + 1 < n:
                if lp.page_items > 0 and i + 1 == lp.page_items:
                    break
                if (
                    lp.stop_cue_items > 0
                    and i + 1 == lp.stop_cue_items
                    and uniform(o.k_cont, hour, u, 1000 + i) < lp.stop_cue_prob
                ):
                    break
                cont = logistic(
                    rp.continue_intercept
                    + rp.continue_engagement * engagement
                    + rp.continue_habit * self.habit
                    + rp.self_control_per_debt_h * self.sleep_debt_h
                    - rp.continue_fatigue_per_item * (i + 1)
                )
                if uniform(o.k_cont, hour, u, i) >= cont:
                    break
        if viewed > 0:
            self.recent_value = _f32(self.recent_value + rp.value_memory * (value_sum / viewed - self.recent_value))
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
        if viewed == n and n < o.policy_p.k:
            cd[CD["caught_up"]] += 1
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
                p.self_esteem_relax_per_day * _f32(self.self_esteem_trait - self.self_esteem)
                + ud[UD["upward_self_esteem"]]
                + p.self_esteem_feedback * ud[UD["feedback"]]
            )
        )
        n_exp = ud[UD["experiences"]]
        neg_share = ud[UD["negative"]] / n_exp if n_exp > 0 else 0.0
        pos_share = ud[UD["positive"]] / n_exp if n_exp > 0 else 0.0
        mood_mean = ud[UD["mood_sum"]] / ud[UD["mood_n"]] if ud[UD["mood_n"]] > 0 else self.mood
        target = (
            self.symptoms_trait
            + p.symptoms_negative_share * neg_share
            - p.symptoms_positive_share * pos_share
            + p.symptoms_sleep_debt * self.sleep_debt_h
            - p.symptoms_self_esteem * _f32(self.self_esteem - self.self_esteem_trait)
            + p.symptoms_loneliness * _f32(self.loneliness - self.loneliness_trait)
            - p.symptoms_mood * (mood_mean - self.mood_trait)
        )
        self.symptoms = _f32(self.symptoms + p.sym_rate * (target - self.symptoms))
        hours = ud[UD["minutes"]] / 60.0
        lonely_target = (
            self.loneliness_trait
            + p.loneliness_displacement_per_h * max(0.0, hours - p.loneliness_displacement_free_h)
            - p.loneliness_meaningful * math.log1p(ud[UD["meaningful"]])
        )
        self.loneliness = _f32(self.loneliness + p.loneliness_relax_per_day * (lonely_target - self.loneliness))
        # habit of use, from yesterday's minutes
        self.habit = _f32(self.habit + o.habit_rate * (min(1.0, ud[UD["minutes"]] / o.habit_target) - self.habit))
        # affective polarisation
        op = o.opinion_p
        a = self.polarization
        a += (
            op.outgroup_hostile_rate * ud[UD["outgroup_hostile"]] * (1.0 - a)
            - op.civil_crosscut_rate * ud[UD["civil_crosscut"]] * a
            + op.relax_per_day * (self.polarization_trait - a)
        )
        self.polarization = _f32(min(max(a, 0.0), 1.0))
        self.user_day = [0.0] * len(USER_DAY)
