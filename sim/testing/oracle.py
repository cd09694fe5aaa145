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

Scope: the default platform (no deactivation, no moderation: their hooks raise NotImplementedError), with
or without accounts outside the sample (sim/external.py: their posting is written again here too), and
the built-in linear ranking rules (``tests/oracle`` checks engagement and civic); plug-in rules
(``policy.score``) are not supported. Slow by design: it is the "one ``step()`` per agent" baseline the
benchmark compares the array engine with (``benchmarks/run.py``).
"""

from __future__ import annotations

import math

import numpy as np

from sim.behaviour import sleep as sleep_model
from sim.ranking import kernels
from sim.state import (
    CALENDAR_DAY,
    LIMIT_LOCKED,
    N_STYLES,
    OUTRAGE,
    POST_FIELDS,
    SEEN_WORDS,
    UNDER_LIMIT,
    USER_FIELDS,
)
from sim.testing.oracle_agents import Post, User
from sim.testing.oracle_numbers import (
    CD,
    TOT,
    UD,
    _f32,
    _in_window,
    _log1p_f32,
    exponential,
    normal,
    sum_in_order,
    uniform,
)
from sim.vocabulary import AGE_GROUPS


class OutsideAccount:
    """An author outside the sample: what ranking and scrolling read of it."""

    def __init__(self, ideology: float, status: float, last_post_id: int):
        self.ideology, self.status, self.last_post_id = ideology, status, last_post_id


def _poisson(key: int, hour: int, j: int, lam: float) -> int:
    """sim/external.py's Poisson draw: inversion of one uniform, or the normal approximation above 30."""
    if lam > 30.0:
        return max(0, round(lam + math.sqrt(lam) * normal(key, hour, j, 1)))
    u = uniform(key, hour, j, 0)
    k, p = 0, math.exp(-lam)
    cdf = p
    while u > cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


class Oracle:
    """The per-agent version of ``FeedModel.step``, started from a copy of ``model``'s state."""

    def __init__(self, model):
        cfg = model.cfg
        pl = model.platform

        if pl.hooks:
            raise NotImplementedError("the oracle covers the default platform (no deactivation or moderation)")
        if model.engagement.learned:
            raise NotImplementedError("the oracle covers the 'oracle' engagement model (platform.engagement_model)")
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
            values["interest"] = us.interest[u].tolist()
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
        # authors: the users, then the accounts outside the sample (sim/external.py), which only post
        acc = model.accounts
        self.outside = [
            OutsideAccount(float(acc.ideology[j]), float(acc.status[j]), int(acc.last_post_id[j])) for j in range(acc.n)
        ]
        self.outside_rate = acc.posts_per_hour.tolist()
        self.outside_style = acc.main_style.tolist()
        stream = model.outside_stream
        self.outside_activity = stream.activity.tolist()
        self.outside_style_cum = stream.style_cum.tolist()
        self.outside_consistency = stream.p.style_consistency
        self.k_outside, (self.k_outside_style, self.k_outside_quality) = int(stream.key), map(int, stream.draw_keys)
        self.authors = [*self.users, *self.outside]
        topics = model.topics
        self.main_topic, self.k_topic = topics.main_topic.tolist(), int(topics.key)
        self.topic_consistency, self.n_topics = topics.consistency, topics.n_topics
        self.author_active = [*self.active, *([1] * acc.n)]
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
            if hour - q.created_hour <= p.max_age_hours and not q.removed and self.author_active[q.author]
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
                author = users[post.author] if post.author < len(users) else None  # None: an outside account
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
                    if author is not None:
                        author.likes_this_hour += 1
                        author.calendar_day[CD["likes_received"]] += 1
                        author.totals[TOT["likes_received"]] += 1
                if replied:
                    post.hostile_replies += 1
                    if author is not None:
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
                user.style_prior[s] * math.exp(p.style_inverse_temperature * _f32(user.style_value[s] - vmax))
                for s in range(N_STYLES)
            ]
            r = uniform(self.k_style, hour, u, 0) * sum_in_order(probs)
            chosen, acc = N_STYLES - 1, 0.0
            for s in range(N_STYLES):
                acc += probs[s]
                if r < acc:
                    chosen = s
                    break
            z = self.quality_mean[chosen] + p.quality_logit_sd * normal(self.k_quality, hour, u, 0)
            self._new_post(pid, u, hour, chosen, z, user.last_post_id)
            user.last_post_id = pid
            user.calendar_day[CD["posts"]] += 1
            user.totals[TOT["posts"]] += 1
            if chosen == OUTRAGE:
                user.calendar_day[CD["outrage_posts"]] += 1
            for v in user.close_ties:
                friend = self.users[v]
                friend.notif_pending = _f32(friend.notif_pending + 1)
        self._create_outside_posts(hour)
        self.hour_first_post[hour + 1] = self.next_post_id
        for pid in range(self.hour_first_post[hour], self.next_post_id):  # sim/behaviour/interests.py
            post = self.posts[pid]
            post.topic = self.main_topic[post.author]
            if uniform(self.k_topic, pid, 0, 0) >= self.topic_consistency:
                post.topic = min(int(uniform(self.k_topic, pid, 0, 1) * self.n_topics), self.n_topics - 1)

    def _create_outside_posts(self, hour: int) -> None:
        """The accounts outside the sample post a Poisson number of posts each, in account order."""
        n_users = len(self.users)
        activity = self.outside_activity[hour % 24]
        for j, account in enumerate(self.outside):
            lam = self.outside_rate[j] * activity
            count = _poisson(self.k_outside, hour, j, lam) if lam > 0 else 0
            for i in range(count):
                style = self.outside_style[j]
                if uniform(self.k_outside_style, hour, j, 2 * i) >= self.outside_consistency:
                    r = uniform(self.k_outside_style, hour, j, 2 * i + 1)
                    style = next((c for c in range(N_STYLES) if r < self.outside_style_cum[c]), N_STYLES - 1)
                z = self.quality_mean[style] + self.posting_p.quality_logit_sd * normal(
                    self.k_outside_quality, hour, j, i
                )
                pid = self.next_post_id
                self.next_post_id += 1
                self._new_post(pid, n_users + j, hour, style, z, account.last_post_id)
                account.last_post_id = pid

    def _new_post(self, pid: int, author: int, hour: int, style: int, quality_logit: float, prev: int) -> None:
        values = dict.fromkeys(POST_FIELDS, 0)
        values.update(
            post_id=pid,
            author=author,
            created_hour=hour,
            style=style,
            quality=_f32(1.0 / (1.0 + math.exp(-quality_logit))),
            prev_by_author=prev,
            mf_intercept=0.0,
            mf_factor=0.0,
            bridging=0.0,
            log_likes=0.0,
        )
        self.posts[pid] = Post(**values)

    def _feedback(self, hour: int) -> None:
        h = hour - self.feedback_delay
        if h < 0 or h not in self.hour_first_post:
            return
        wp, pp = self.wellbeing_p, self.posting_p
        for pid in range(self.hour_first_post[h], self.hour_first_post[h + 1]):
            post = self.posts.get(pid)
            if post is None or post.author >= len(self.users):
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
            if post is None or post.author >= len(self.users):
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
