"""FeedModel: a Mesa model whose state is NumPy arrays and whose step is one simulated hour.

Order within an hour (docs/design/reference-design.md section 3):

1. clock; at midnight the "seen" memory rolls over
2. sleep (two-process model) up to the moment anyone goes to bed
3. notifications delivered according to the platform's policy
4. sessions: who opens the app (day, in bed, woken at night)
5. feeds: candidates ranked by the policy (Numba kernel), then scrolled item by item
6. bookkeeping of impressions and likes; the platform's bridging model learns
7. sleep finished for those who went to bed, delayed by their phone use in bed
8. posting by reward learning; posts notify close ties
9. feedback: likes of posts created ``feedback_delay_hours`` ago update mood and reward learning
10. mood relaxes; users who woke this hour get the slow daily update (self-esteem, symptoms,
    loneliness, habit, polarisation)
11. this hour's likes become notifications (delivered from the next hour on)
12. at 23:00, the day's metrics

The numerical guard (``sim/guards.py``, setting ``check_finite``) is called after each mechanism and at
the end of each hour; it stops the run at the first NaN or infinity in the state.

Before day 0 the population lives ``offline_days`` without the platform (sleep with alarms, mood,
slow updates), so day 0 is everyone's no-platform state; the wellbeing index is standardised on it.
Day 0 starts on a Monday at 00:00; alarms ring on ``behaviour.sleep.alarm_days``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import mesa
import numpy as np

from sim import external, guards, metrics, network, phases, population
from sim.agents import User
from sim.behaviour import (
    comparison,
    interests,
    opinion,
    posting,
    response,
    sessions,
    sleep,
    wellbeing,
)
from sim.platform import Platform, in_window
from sim.ranking import bridging, engagement_model, kernels, plugins, policies
from sim.ranking.seen import start_day
from sim.rng import Streams
from sim.state import PostStore, gather
from sim.vocabulary import AGE_GROUPS, POOL_KEY_IDS, STYLES


@dataclass
class Hour:
    """What the phases of one hour share: the clock, and what one phase leaves for the next."""

    hour: int
    hod: int  # hour of the day
    day: int
    alarms: np.ndarray  # each age group's alarm sub-step today (-1: none)
    session_users: np.ndarray = None  # who has a session this hour (phase sessions)
    pool: np.ndarray = None  # the hour's out-of-network pool (phase pool)
    feeds: object = None  # the ranked feeds (phase ranking) and what scrolling did with them
    n_viewed: np.ndarray = None
    ended: np.ndarray = None  # why each session ended (response.ENDED_*)
    dwell: np.ndarray = None  # each viewed item's dwell, minutes
    liked: np.ndarray = None
    replied: np.ndarray = None

    def today(self, users) -> int:
        """The slot of the users' daily seen memory that today writes."""
        return self.day % users.seen.shape[1]


class FeedModel(mesa.Model):
    """The simulator. ``FeedModel(cfg)`` builds the population, the follow graph and the platform;
    ``step()`` advances one hour; ``run_days(n)`` advances whole days."""

    def __init__(self, cfg, score_fn=None, guard: guards.Guard | None = None):
        super().__init__(rng=int(cfg.seed))
        self.cfg = cfg
        # checks the state for NaN and infinities after each hour or mechanism (sim/guards.py)
        self.guard = guard or guards.Guard(str(cfg.get("check_finite", "hour")), partial(replay, cfg, score_fn))
        self.streams = Streams(cfg.seed)
        self.keys = self.streams.keys()
        n = int(cfg.n_users)

        self.users = population.generate(cfg, n, self.streams)
        self.accounts = external.generate(cfg, self.users, self.streams)
        self.graph = network.generate(cfg, self.users, self.streams, self.accounts)
        population.finalize_posting(cfg, self.users, self.streams)
        self.style_prior = population.style_prior(cfg, self.users)

        self.hour = 0
        self.phase_timer = None  # a sim.profiling.PhaseTimer to time the phases of step()
        self.daily_rows: list[dict] = []
        # Per-user snapshots of each day (metrics.user_day_snapshot), kept when an analysis needs panels.
        self.keep_user_days = False
        self.user_days: list[dict[str, np.ndarray]] = []
        self._agent_views: dict[int, object] = {}
        self._setup_parameters(cfg, score_fn)
        self.offline_days = int(cfg.offline_days)
        self.offline_mood = self.users.mood.astype(np.float64)  # replaced by the burn-in's last week
        self._spin_up_sleep(int(cfg.behaviour.sleep.spin_up_days))
        self._burn_in_offline()

        self.masks = metrics.group_masks(self.users)
        weights = cfg.behaviour.wellbeing.composite_weights
        self.baseline = metrics.make_baseline(self.users, self.offline_mood, weights)
        self.wellbeing_start = metrics.wellbeing_index(self.users, self.offline_mood, self.baseline, weights)
        self.wellbeing_now = self.wellbeing_start.copy()
        self.symptoms_start = self.users.symptoms.astype(np.float64)

        expected_posts_per_hour = float(np.sum(24.0 / np.maximum(self.users.habit_delay_h, 1e-3))) / 24.0
        expected_posts_per_hour += self.outside_stream.expected_posts_per_hour()
        min_age = max(int(cfg.policy.max_age_hours), self.feedback_delay) + 2
        self.posts = PostStore(
            capacity=int(expected_posts_per_hour * (min_age + 24) * 1.5) + 256, min_age_hours=min_age
        )
        self.hour_first_post = np.zeros(int(cfg.days) * 24 + 1, np.int64)  # grows if run longer

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "wellbeing": lambda m: m._latest("wellbeing"),
                "sleep_hours": lambda m: m._latest("sleep_hours"),
                "minutes_on_platform": lambda m: m._latest("minutes_on_platform"),
                "exposure_hostile_share": lambda m: m._latest("exposure_hostile_share"),
                "affective_polarization": lambda m: m._latest("affective_polarization"),
            }
        )

    # ----------------------------------------------------------------------------------------------
    # set-up

    def _setup_parameters(self, cfg, score_fn) -> None:
        u = self.users
        self.sleep_p = sleep.params(cfg)
        self.ctable = sleep.circadian_table(self.sleep_p.substeps_per_hour)
        self.session_p = sessions.params(cfg)
        self.hazard_by_age = sessions.base_hazard(cfg)
        self.activity = np.asarray(cfg.behaviour.sessions.activity_profile, np.float64)
        self.posting_p = posting.params(cfg)
        self.quality_mean = posting.quality_means(cfg)
        self.feedback_delay = int(cfg.behaviour.posting.feedback_delay_hours)
        self.response_p = response.params(cfg)
        self.scroll_p = response.scroll_params(cfg)
        self.comparison_p = comparison.params(cfg)
        self.wellbeing_p = wellbeing.params(cfg)
        self.opinion_p = opinion.params(cfg)
        self.bridging_p = bridging.params(cfg)
        self.bridging_mean = np.zeros(1, np.float64)
        self.policy_p = policies.policy_params(cfg)
        self.weights = policies.weight_vector(cfg.policy.weights)
        self.pool_key = POOL_KEY_IDS[cfg.policy.pool_key]
        self.ranker = plugins.ranker(cfg, score_fn)
        self.feed_buffers = kernels.FeedBuffers(self.policy_p.k)
        # p_like and dwell of every rule
        self.engagement = engagement_model.EngagementModel(cfg, u.n, u.interest.shape[1])
        self._post_records = self._author_records = None  # ranking's packed copies, reused hour to hour
        self.platform = Platform(cfg, u, self.streams)
        self.authors = external.AuthorTable(u, self.platform.active, self.accounts)  # users and outside accounts
        self.outside_stream = external.Stream(cfg, self.accounts, self.streams, self.quality_mean)
        self.topics = interests.Topics(cfg, self.authors.main_topic, self.keys["post_topic"])
        self.wants_post = np.zeros(u.n, np.uint8)
        k = self.keys
        self.rank_keys = kernels.Keys(k["followee_offset"], k["oon_offset"], k["ranking_noise"])
        self.scroll_keys = response.ScrollKeys(
            k["dwell"], k["like"], k["continue"], k["hostile_reply"], k["nudge"], k["limit_reminder"]
        )
        self.graph_arrays = kernels.GraphArrays(self.graph.indptr, self.graph.indices, self.graph.mutual)

    def _sleep_call(self, kernel, hour: int, alarms: np.ndarray, *tail) -> None:
        kernel(hour, hour % 24, alarms, self.sleep_p, self.ctable, gather(sleep.Sleepers, self.users), *tail)

    def _spin_up_sleep(self, days: int) -> None:
        """Run sleep alone on free days so that everyone starts at their natural rhythm; each user's
        sleep need is the length of their last free-day night."""
        u = self.users
        u.sleep_pressure[:] = 0.5
        u.sleep_need_h[:] = 8.0
        u.awake_until_h[:] = -np.inf  # no bedtime constraint yet (times before day 0 are negative)
        no_alarm = np.full(len(AGE_GROUPS), -1, np.int64)
        start = -24 * (max(days, 1) + self.offline_days)
        for h in range(start, start + 24 * max(days, 1)):
            self._sleep_call(sleep.advance_sleep, h, no_alarm, False)
            self.guard.after(self, "spin_up", h)
            self.guard.end_of_hour(self, h)
        u.sleep_need_h[:] = np.where(u.last_sleep_h > 0, u.last_sleep_h, 8.0)
        u.last_deficit_h[:] = 0
        u.sleep_debt_h[:] = 0

    def _burn_in_offline(self) -> None:
        """Live ``offline_days`` without the platform (school/work alarms included), so that day 0
        starts from each user's no-platform state and the wellbeing baseline is that state.

        Symptoms, the slowest state, relax with a 3-day time constant until the last week of the
        burn-in (same equilibrium, reached faster); the platform habit is left alone (these are
        established users, not people who quit). The baseline mood is each user's mean over the last
        full week, so no weekday is favoured."""
        u = self.users
        fast = self.wellbeing_p._replace(sym_rate=max(self.wellbeing_p.sym_rate, 1.0 / 3.0))
        last_week = min(7, self.offline_days)
        mood_days = []
        for h in range(-24 * self.offline_days, 0):
            day = h // 24
            self._sleep_call(sleep.advance_sleep, h, sleep.alarm_substeps(self.cfg, day % 7, AGE_GROUPS), False)
            self.guard.after(self, "sleep", h)
            self._wellbeing_hour(h)
            self.guard.after(self, "wellbeing", h)
            self._daily_updates(self.wellbeing_p if day >= -last_week else fast, platform_use=False)
            self.guard.after(self, "daily_updates", h)
            if h % 24 == 23:
                if day >= -last_week:
                    mood_days.append(metrics.day_mood(u))
                u.calendar_day[:] = 0
            self.guard.end_of_hour(self, h)
        if mood_days:
            self.offline_mood = np.mean(mood_days, axis=0)
        u.totals[:] = 0

    # ----------------------------------------------------------------------------------------------
    # the simulated hour

    @property
    def day(self) -> int:
        return self.hour // 24

    def _post_arrays(self):
        """What ranking reads of the posts, with its packed records refreshed from the current columns."""
        p = self.posts
        arrays = kernels.packed(
            kernels.PostArrays(
                p.post_id,
                p.author,
                p.created_hour,
                p.prev_by_author,
                p.style,
                p.quality,
                p.likes,
                p.bridging,
                p.removed,
                p.log_likes,
                p.topic,
            ),
            self._post_records,
        )
        self._post_records = arrays.rec
        return arrays

    def _user_arrays(self):
        """What ranking reads of the viewers and of every author, with its packed author records refreshed."""
        u, pl, a = self.users, self.platform, self.authors
        a.refresh()
        arrays = kernels.packed(
            kernels.UserArrays(
                a.last_post_id,
                u.seen,
                a.ideology,
                a.status,
                pl.protected,
                pl.counts_visible,
                pl.oon_idealised_blocked,
                a.active,
                u.interest,
                *self.engagement.arrays(u.mf_factor, self.posts.mf_factor),
            ),
            self._author_records,
        )
        self._author_records = arrays.rec
        return arrays

    def _feed_posts(self):
        p = self.posts
        return response.FeedPosts(*(getattr(p, name) for name in response.FeedPosts._fields))

    def step(self) -> None:
        """One simulated hour: the phases of ``sim/phases.py`` in order, each followed by the numerical guard's
        check and a lap of the profiler's clock."""
        h = Hour(
            self.hour,
            self.hour % 24,
            self.hour // 24,
            sleep.alarm_substeps(self.cfg, (self.hour // 24) % 7, AGE_GROUPS),
        )
        timer = self.phase_timer
        if timer is not None:
            timer.start()
        for phase in phases.HOUR:
            if phase.end_of_day and h.hod != 23:
                continue
            getattr(self, "phase_" + phase.name)(h)
            self.guard.after(self, phase.name, h.hour)
            if timer is not None:
                timer.lap(phase.name)
        self.guard.end_of_hour(self, h.hour)
        self.hour += 1
        if timer is not None:
            timer.end_hour()

    # the phases, in the order of sim/phases.py

    def phase_platform_start(self, h: Hour) -> None:
        if h.hod == 0:
            start_day(self.users.seen, h.today(self.users))
        self.platform.start_hour(self, h.hour)

    def phase_sleep(self, h: Hour) -> None:
        self._sleep_call(sleep.advance_sleep, h.hour, h.alarms, True)

    def phase_notifications(self, h: Hour) -> None:
        self.platform.notifications.deliver(h.hour, self.users, self.platform.active)

    def phase_sessions(self, h: Hour) -> None:
        u, k, pl, hour, hod = self.users, self.keys, self.platform, h.hour, h.hod
        sessions.draw_sessions(
            sessions.SessionKeys(k["session_open"], k["in_bed_use"], k["night_wake"]),
            hour,
            self.session_p,
            self.hazard_by_age,
            float(self.activity[hod]),
            gather(sessions.SessionUsers, u, pl),
        )
        h.session_users = np.flatnonzero(u.session_kind > 0)

    def phase_pool(self, h: Hour) -> None:
        p, hour = self.posts, h.hour
        self.authors.refresh()
        if self.policy_p.oon_candidates > 0:
            h.pool = kernels.build_pool(
                self.keys["oon_offset"],
                hour,
                self.pool_key,
                float(self.cfg.policy.pool_share),
                self.policy_p.oon_candidates,
                self.policy_p.max_age_hours,
                p.post_id,
                p.created_hour,
                p.likes,
                p.impressions,
                p.bridging,
                p.removed,
                p.author,
                self.authors.active,
            )
        else:
            h.pool = np.zeros(0, np.int64)

    def phase_ranking(self, h: Hour) -> None:
        session_users, hour, n_s = h.session_users, h.hour, h.session_users.shape[0]
        h.feeds, h.n_viewed, h.liked, h.replied, h.ended, h.dwell = self.feed_buffers.take(n_s)
        feeds = h.feeds
        args = (
            session_users,
            hour,
            self.policy_p,
            self.response_p,
            self.rank_keys,
            self.weights,
            self.graph_arrays,
            self._post_arrays(),
            self._user_arrays(),
            h.pool,
        )
        try:
            self.ranker(*args, *feeds)
        except Exception as e:  # a plug-in rule raised inside the kernel: name the rule, viewer and hour
            plugins.raise_rule_error(self.ranker, e, args)
        if (feeds.bad_score >= 0).any():
            plugins.raise_bad_score(self.cfg, feeds, self.ranker, args)

    def phase_scrolling(self, h: Hour) -> None:
        u, pl, feeds = self.users, self.platform, h.feeds
        is_night = in_window(h.hod, int(self.cfg.metrics.night_start_hour), int(self.cfg.metrics.night_end_hour))
        response.scroll_feeds(
            h.session_users,
            h.hour,
            is_night,
            h.today(u),
            self.response_p,
            self.comparison_p,
            self.scroll_p,
            pl.limits,
            self.scroll_keys,
            gather(response.ShownFeeds, feeds),
            self._feed_posts(),
            gather(response.Viewers, self.authors, u, pl),  # authors first: an author's ideology and status
            gather(response.ViewerState, u),
            response.SessionOutcome(h.n_viewed, h.liked, h.replied, h.ended, h.dwell),
        )

    def phase_impressions(self, h: Hour) -> None:
        u, session_users, feeds, n_viewed = self.users, h.session_users, h.feeds, h.n_viewed
        # the platform's engagement model learns from what it ranked, before the likes are counted
        self.engagement.learn_from_hour(h, u, self.posts, self.platform.counts_visible, self.authors.status)
        response.record_impressions(
            self.bridging_p,
            session_users,
            feeds.slot,
            n_viewed,
            h.liked,
            h.replied,
            u.ideology,
            self._feed_posts(),
            u.likes_this_hour,
            u.hostile_replies_this_hour,
            u.calendar_day,
            u.totals,
            self.bridging_mean,
            u.mf_intercept,
            u.mf_factor,
        )
        self.last_feed = (session_users, feeds.slot, feeds.length, n_viewed)

    def phase_sleep_settle(self, h: Hour) -> None:
        self._sleep_call(sleep.settle_sleep, h.hour, h.alarms, self.users.bed_minutes, self.users.arousal_min)

    def phase_posting(self, h: Hour) -> None:  # the users' posts, then the outside accounts'
        self._post(h.hour)

    def phase_feedback(self, h: Hour) -> None:
        self._feedback(h.hour)

    def phase_platform_end(self, h: Hour) -> None:
        self.platform.end_hour(self, h.hour)

    def phase_wellbeing(self, h: Hour) -> None:
        self._wellbeing_hour(h.hour)

    def phase_daily_updates(self, h: Hour) -> None:
        self._daily_updates()

    def phase_notifications_collect(self, h: Hour) -> None:
        self.platform.notifications.collect(self.users)

    def phase_end_of_day(self, h: Hour) -> None:
        u, pl, cfg, day = self.users, self.platform, self.cfg, h.day
        rows, self.wellbeing_now = metrics.end_of_day(day, u, self.masks, self.baseline, pl.active, cfg)
        self.daily_rows.extend(rows)
        if self.keep_user_days:
            self.user_days.append(metrics.user_day_snapshot(u, self.wellbeing_now, float(cfg.metrics.late_onset_hour)))
        u.calendar_day[:] = 0
        pl.new_day(u)
        self.datacollector.collect(self)

    def _post(self, hour: int) -> None:
        u, k = self.users, self.keys
        posting.tick(u.awake_min, self.platform.may_post, u.post_clock_h, u.delay_since_post_h, self.wants_post)
        posters = np.flatnonzero(self.wants_post)
        if hour + 1 >= self.hour_first_post.shape[0]:
            self.hour_first_post = np.concatenate([self.hour_first_post, np.zeros(24 * 28, np.int64)])
        self.hour_first_post[hour] = self.posts.next_id
        if posters.size:
            first_id = self.posts.next_id
            slots = self.posts.reserve(posters.size, hour)
            posting.create_posts(
                posting.PostKeys(k["post_clock"], k["post_style"], k["post_quality"]),
                hour,
                self.posting_p,
                posters,
                slots,
                first_id,
                gather(posting.Authors, u),
                self.style_prior,
                self.quality_mean,
                self.graph.close_indptr,
                self.graph.close_indices,
                gather(posting.PostColumns, self.posts),
            )
        # the outside accounts' posts of the hour; columns gathered after reserving, which may grow the ring
        self.outside_stream.post(hour, self.posts, partial(gather, posting.PostColumns, self.posts))
        self.topics.assign(self.posts, self.hour_first_post[hour], self.posts.next_id)
        self.hour_first_post[hour + 1] = self.posts.next_id

    def _feedback(self, hour: int) -> None:
        h = hour - self.feedback_delay
        if h < 0:
            return
        u, p = self.users, self.posts
        first, end = int(self.hour_first_post[h]), int(self.hour_first_post[h + 1])
        if end <= first:
            return
        wellbeing.feedback_mood(
            self.wellbeing_p,
            first,
            end,
            p.post_id,
            p.author,
            p.likes,
            u.expected_likes,
            u.feedback_sensitivity,
            u.mood,
            u.user_day,
            u.totals,
        )
        posting.learn_from_feedback(
            self.posting_p,
            first,
            end,
            p.post_id,
            p.author,
            p.style,
            p.likes,
            u.habit_weight,
            u.alpha_reward,
            u.post_cost,
            u.expected_likes,
            u.habit_delay_h,
            u.post_clock_h,
            u.style_value,
        )

    def _wellbeing_hour(self, hour: int) -> None:
        u = self.users
        # hours before day 0 are negative; the generator takes a non-negative counter
        wellbeing.hourly(self.wellbeing_p, self.keys["mood_noise"], hour + 24 * 10_000, gather(wellbeing.Moods, u))

    def _daily_updates(self, wellbeing_p=None, platform_use: bool = True) -> None:
        u = self.users
        if not u.woke.any():
            return
        sc = self.cfg.behaviour.sessions
        wellbeing.daily_update(
            wellbeing_p or self.wellbeing_p,
            u.woke,
            u.mood,
            u.mood_trait,
            u.self_esteem,
            u.self_esteem_trait,
            u.symptoms,
            u.symptoms_trait,
            u.loneliness,
            u.loneliness_trait,
            u.sleep_debt_h,
            u.user_day,
            u.calendar_day,
        )
        if platform_use:
            sessions.update_habit(
                float(sc.habit_learning_rate), float(sc.habit_target_minutes), u.woke, u.habit, u.user_day
            )
        opinion.daily_update(self.opinion_p, u.woke, u.polarization, u.polarization_trait, u.user_day)
        u.user_day[u.woke == 1] = 0

    # ----------------------------------------------------------------------------------------------
    # running and inspecting

    def run_days(self, days: int, progress=None) -> None:
        for _ in range(days):
            self.run_for(24)
            if progress is not None:
                progress.update(1)

    def _latest(self, column: str) -> float:
        for row in reversed(self.daily_rows):
            if row["group"] == "all":
                return float(row[column])
        return float("nan")

    def user(self, uid: int):
        """A Mesa agent viewing user ``uid`` (created on first request)."""
        if not 0 <= uid < self.users.n:
            raise IndexError(f"user {uid} does not exist (n_users = {self.users.n})")
        if uid not in self._agent_views:
            self._agent_views[uid] = User(self, uid)
        return self._agent_views[uid]

    def daily_table(self):
        import pandas as pd

        return pd.DataFrame(self.daily_rows, columns=list(metrics.DAILY))

    def users_table(self):
        import pandas as pd

        u, days = self.users, max(self.day, 1)
        table = metrics.users_table(u, days, self.wellbeing_start, self.wellbeing_now, self.symptoms_start)
        return pd.DataFrame(table, columns=list(metrics.USERS))

    def posts_table(self):
        import pandas as pd

        t = self.posts.table()
        df = pd.DataFrame({name: t[name] for name in metrics.POSTS})
        df["style"] = np.array(STYLES, dtype=object)[t["style"]]
        df["removed"] = df["removed"].astype(bool)
        return df


def replay(cfg, score_fn, guard: guards.Guard, hour: int) -> None:
    """Rerun the run ``cfg`` from its seed to the end of ``hour`` under ``guard`` (the guard's way of finding
    which mechanism made a value non-finite)."""
    model = FeedModel(cfg, score_fn=score_fn, guard=guard)
    while model.hour <= hour:
        model.step()
