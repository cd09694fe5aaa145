"""Interests and topics: what a post is about, and how much each user cares about that.

Every post is about one of ``behaviour.interests.topics`` topics. Each author, simulated user or outside
account, has a main topic and writes about it with probability ``topic_consistency``, else about a topic
drawn uniformly. Each simulated user has an interest in every topic, drawn once as a standard normal, and
a user's main topic is the one they are most interested in (people write about what they care about). The
like model (``response.py``) adds ``like_interest * interest[user, topic]`` to its logit.

Why: without it every viewer values a post by the same observable features (style, quality, ties,
popularity) and by agreement, so there is nothing about a particular viewer for a recommender to learn
beyond their taste in styles. Personal taste in subjects is what collaborative filtering exploits
(Koren, Bell & Volinsky 2009) and what engagement-optimised feeds are built to find (Covington, Adams &
Sargin 2016); it is what makes a ranked feed worth more to a user than the same followees' posts in time
order. The platform never reads ``interest``: the learned engagement model estimates each user's affinity
for each topic from their likes (``ranking/engagement_model.py``), as it does for styles.

Draws: interests and the outside accounts' main topics come from the ``interests`` set-up stream; a post's
topic from the counter-based ``post_topic`` stream keyed by the post id, so adding topics shifts no other
draw. With ``like_interest`` = 0 topics change nothing users do; the learned engagement model still fits its
topic terms to the likes it sees (noise, then), so its feeds change a little (the oracle model's do not).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.checks import Checker
from sim.rng import Streams, uniform


def draw_user_interests(cfg, users, streams: Streams) -> None:
    """Each user's interest in every topic (``users.interest``, n x topics) and their main topic."""
    n_topics = int(cfg.behaviour.interests.topics)
    rng = streams.generator("interests")
    users.interest = rng.standard_normal((users.n, n_topics)).astype(np.float32)
    users.main_topic[:] = np.argmax(users.interest, axis=1) if users.n else 0


def draw_account_topics(cfg, n_accounts: int, streams: Streams) -> np.ndarray:
    """The main topics of the outside accounts, uniform over topics (a stream of its own, drawn after the
    users' interests so that neither shifts the other)."""
    rng = streams.generator("account_topics")
    return rng.integers(0, int(cfg.behaviour.interests.topics), size=n_accounts).astype(np.int8)


class Topics:
    """Gives each new post its topic (``assign``, once per hour after all the hour's posts are written)."""

    def __init__(self, cfg, main_topic: np.ndarray, key: np.uint64):
        self.main_topic = main_topic  # per author (users, then outside accounts)
        self.key = key
        self.consistency = float(cfg.behaviour.interests.topic_consistency)
        self.n_topics = int(cfg.behaviour.interests.topics)

    def assign(self, store, first_id: int, end_id: int) -> None:
        if end_id > first_id:
            assign_topics(
                self.key, first_id, end_id, store.post_id, store.author, self.main_topic, self.consistency,
                self.n_topics, store.topic,
            )  # fmt: skip


@njit(cache=True)
def assign_topics(key, first_id, end_id, post_id, author, main_topic, consistency, n_topics, topic):
    """The topics of the posts with ids first_id .. end_id - 1 (ring columns ``post_id``, ``author``,
    ``topic``; ``main_topic`` per author)."""
    mask = post_id.shape[0] - 1  # the ring's capacity is a power of two
    for pid in range(first_id, end_id):
        slot = pid & mask
        t = main_topic[author[slot]]
        if uniform(key, pid, 0, 0) >= consistency:
            t = min(int(uniform(key, pid, 0, 1) * n_topics), n_topics - 1)
        topic[slot] = t


def check_settings(c: Checker) -> None:
    """Range checks of ``behaviour.interests`` (run by ``sim.config.validate``)."""
    i = "behaviour.interests"
    c.whole_number(f"{i}.topics", 1, 127, "must be a whole number of topics from 1 to 127")
    c.probability(f"{i}.topic_consistency")
    c.non_negative("behaviour.response.like_interest")
