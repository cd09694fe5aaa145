"""A plain Mesa 3 agent model of the engine's hour, written the way a Mesa user would write it: one Python
``mesa.Agent`` per user and ``model.agents.shuffle_do("step")`` once per simulated hour. It is a yardstick for
the performance comparison in ``benchmarks/peers.py`` (what the same posting-and-scrolling hour costs in idiomatic
per-agent Python), not a second model: it has no sleep model, notifications, platform features, out-of-network
pool, learned engagement model or slow wellbeing updates, and its numbers are rounded from
``conf/behaviour/default.yaml`` and ``conf/policy/engagement.yaml`` only so that the work per hour is of the
same order (sessions per hour, candidates per session, items scrolled per session).

An agent's hour, in the order of ``FeedModel.step`` (docs/reference/model.md, section 1):

1. Awake between its wake and bed hours; asleep, it does nothing.
2. Opens the app with probability ``1 - exp(-hazard * propensity * activity_profile[hour])``.
3. Gathers its followees' posts of the last ``MAX_AGE_HOURS`` hours that it has not seen (at most
   ``CANDIDATES``), scores each by a simple engagement score (predicted like probability plus a virality
   boost, as the engagement rule does) and sorts them.
4. Scrolls the feed item by item: likes an item with its like probability, and continues with a probability
   that falls with fatigue, until it stops or its session minutes run out.
5. Posts with a probability per awake hour.
6. Mood relaxes towards its baseline and moves with the likes of the session.
"""

from __future__ import annotations

import math

import mesa

ACTIVITY_PROFILE = (
    0.45, 0.25, 0.15, 0.10, 0.10, 0.20, 0.45, 0.80, 0.90, 0.85, 0.80, 0.85,
    0.95, 0.90, 0.85, 0.85, 0.90, 0.95, 1.00, 1.05, 1.15, 1.20, 1.10, 0.80,
)  # fmt: skip
BASE_HAZARD = 0.6  # about the engine's mix of age groups, so that midday sessions are about one user in two
MEAN_FOLLOWEES = 150  # network.mean_out_degree
CANDIDATES = 200  # policy.m
MAX_AGE_HOURS = 48  # policy.max_age_hours
POSTS_PER_AWAKE_HOUR = 0.06  # about one post a day, so that a session has about as many candidates as policy.m
MAX_SESSION_MINUTES = 45.0
LIKE_INTERCEPT, LIKE_TIE, LIKE_AGREEMENT, LIKE_QUALITY = -4.0, 1.5, 0.8, 0.6
SCORE_P_LIKE, SCORE_LOG_LIKES = 5.0, 0.1  # the engagement rule's weights on p_like and log_likes
CONTINUE_INTERCEPT, CONTINUE_ENGAGEMENT, CONTINUE_FATIGUE = 3.149, 1.186, 0.03
DWELL_BASE_MIN, DWELL_ENGAGEMENT_MIN = 26 / 60, 32.3 / 60
MOOD_RELAXATION, MOOD_PER_LIKE = 0.1, 0.01


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class Post:
    __slots__ = ("author", "created_hour", "quality", "likes")

    def __init__(self, author: FeedUser, created_hour: int, quality: float):
        self.author, self.created_hour, self.quality, self.likes = author, created_hour, quality, 0


class FeedUser(mesa.Agent):
    def __init__(self, model: PlainFeedModel):
        super().__init__(model)
        rnd = model.random
        self.ideology = rnd.random()
        self.propensity = rnd.lognormvariate(0.0, 0.5)
        self.wake_hour, self.bed_hour = rnd.randint(6, 8), rnd.randint(22, 24)
        self.followees: list[FeedUser] = []
        self.posts: list[Post] = []  # newest last; older than MAX_AGE_HOURS are dropped when posting
        self.seen: set[Post] = set()
        self.mood = self.baseline_mood = rnd.gauss(0.0, 1.0)
        self.likes_received_this_hour = 0

    def awake(self, hour_of_day: int) -> bool:
        return self.wake_hour <= hour_of_day < self.bed_hour

    def step(self) -> None:
        model, rnd = self.model, self.model.random
        hour_of_day = model.hour % 24
        if self.awake(hour_of_day):
            hazard = BASE_HAZARD * self.propensity * ACTIVITY_PROFILE[hour_of_day]
            if rnd.random() < 1.0 - math.exp(-hazard):
                self.scroll(self.ranked_feed())
            if rnd.random() < POSTS_PER_AWAKE_HOUR:
                self.post()
        self.mood += MOOD_RELAXATION * (self.baseline_mood - self.mood) + MOOD_PER_LIKE * self.likes_received_this_hour
        self.likes_received_this_hour = 0

    def like_probability(self, post: Post) -> float:
        agreement = 1.0 - abs(self.ideology - post.author.ideology)
        return logistic(LIKE_INTERCEPT + LIKE_TIE * 0.5 + LIKE_AGREEMENT * agreement + LIKE_QUALITY * post.quality)

    def ranked_feed(self) -> list[tuple[float, Post]]:
        """The followees' unseen recent posts by descending engagement score: followees are visited in circular
        order from a random one, each newest post first, until ``CANDIDATES`` are gathered (as the engine does)."""
        oldest = self.model.hour - MAX_AGE_HOURS
        start = self.model.random.randrange(len(self.followees))
        feed = []
        for followee in self.followees[start:] + self.followees[:start]:
            for post in reversed(followee.posts):
                if post.created_hour < oldest:
                    break
                if post not in self.seen:
                    p_like = self.like_probability(post)
                    feed.append((SCORE_P_LIKE * p_like + SCORE_LOG_LIKES * math.log1p(post.likes), p_like, post))
            if len(feed) >= CANDIDATES:
                break
        feed.sort(key=lambda item: item[0], reverse=True)
        return [(p_like, post) for _, p_like, post in feed]

    def scroll(self, feed: list[tuple[float, Post]]) -> None:
        rnd, minutes = self.model.random, 0.0
        for position, (p_like, post) in enumerate(feed):
            minutes += DWELL_BASE_MIN + DWELL_ENGAGEMENT_MIN * p_like
            if minutes > MAX_SESSION_MINUTES:
                break
            self.seen.add(post)
            self.model.impressions += 1
            if rnd.random() < p_like:
                post.likes += 1
                post.author.likes_received_this_hour += 1
            if rnd.random() >= logistic(
                CONTINUE_INTERCEPT + CONTINUE_ENGAGEMENT * p_like - CONTINUE_FATIGUE * (position + 1)
            ):
                break
        self.model.sessions += 1

    def post(self) -> None:
        hour = self.model.hour
        self.posts = [p for p in self.posts if p.created_hour >= hour - MAX_AGE_HOURS]
        self.posts.append(Post(self, hour, self.model.random.random()))


class PlainFeedModel(mesa.Model):
    """``n_users`` agents, each following about ``MEAN_FOLLOWEES`` others drawn at random; ``step()`` is one
    simulated hour from midnight of day 0. Posts of the two days before day 0 are laid down at set-up, so that
    feeds are full from the first hour without simulating a warm-up."""

    def __init__(self, n_users: int, seed: int = 0):
        super().__init__(rng=seed)
        users = [FeedUser(self) for _ in range(n_users)]
        for user in users:
            n_followees = min(n_users - 1, max(1, round(self.random.lognormvariate(math.log(MEAN_FOLLOWEES), 0.7))))
            user.followees = [f for f in self.random.sample(users, min(n_users, n_followees + 1)) if f is not user]
            for hour in range(-MAX_AGE_HOURS, 0):
                if user.awake(hour % 24) and self.random.random() < POSTS_PER_AWAKE_HOUR:
                    user.posts.append(Post(user, hour, self.random.random()))
        self.hour = 0
        self.sessions = self.impressions = 0

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.hour += 1
