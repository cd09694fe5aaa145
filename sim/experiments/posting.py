"""Posting by reward learning: F1 (posting speeds up after more likes than expected), F2 (the reward-rate
law of posting delay) and F3 (realistic posting rates and phenotypes), after Turner et al. (2025) and
Lindstrom et al. (2021)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.behaviour import posting
from sim.experiments import stats
from sim.experiments.base import Context, measure
from sim.state import CALENDAR_DAY, N_STYLES, TOTALS


class PostingLab:
    """n always-awake users posting with the given phenotype, driven hour by hour through the posting
    kernels; the posts of the hour get ``likes_for(styles, authors)`` likes, known one hour after posting.
    ``w``, ``alpha_reward`` and ``delay_h`` are one value for all or one per user."""

    def __init__(
        self,
        n,
        w,
        alpha_reward,
        delay_h,
        likes0,
        style_prior=None,
        seed=1,
        alpha_habit=0.0,
        style_learning_rate=0.2,
        style_beta=1.5,
    ):
        self.n = n
        self.p = posting.PostingParams(
            reward_floor=0.1,
            style_learning_rate=style_learning_rate,
            style_inverse_temperature=style_beta,
            quality_logit_sd=0.5,
        )
        self.w = np.full(n, w, np.float32)
        self.alpha_r = np.full(n, alpha_reward, np.float32)
        self.alpha_h = np.full(n, alpha_habit, np.float32)
        self.R = np.full(n, likes0, np.float32)
        self.H = np.full(n, delay_h, np.float32)
        self.C = (self.H * self.R).astype(np.float32)
        self.clock = np.full(n, 1.0, np.float32)
        self.since = np.zeros(n, np.float32)
        self.last = np.full(n, -1, np.int64)
        self.values = np.zeros((n, N_STYLES), np.float32)
        prior = np.full(N_STYLES, 0.25) if style_prior is None else np.asarray(style_prior)
        self.prior = np.tile(prior.astype(np.float32), (n, 1))
        self.qmean = np.zeros(N_STYLES)
        self.cap = 400_000

        def z(t):
            return np.zeros(self.cap, t)

        self.post_id, self.author, self.created, self.style = z(np.int64) - 1, z(np.int32), z(np.int32), z(np.int8)
        self.quality, self.prev, self.likes, self.impr = z(np.float32), z(np.int64), z(np.int32), z(np.int32)
        self.extra = (
            [z(np.int32) for _ in range(5)]
            + [z(np.float32), z(np.float32)]
            + [z(np.int32) for _ in range(4)]
            + [z(np.float32), z(np.uint8), z(np.float64)]
        )  # ..., removed, log_likes
        self.next_id = 0
        self.keys = [np.uint64(seed * 10 + i) for i in range(3)]
        self.posts: list[tuple[int, np.ndarray, np.ndarray]] = []  # (hour, authors, likes) per posting hour
        self.close_indptr = np.zeros(n + 1, np.int64)
        self.close_indices = np.zeros(0, np.int32)
        self.notif = np.zeros(n, np.float32)
        self.cd = np.zeros((n, len(CALENDAR_DAY)))
        self.tot = np.zeros((n, len(TOTALS)))

    def sequences(self):
        """Per author with posts, the creation hours and likes of their posts in order (``posting_sequences``)."""
        hours = np.concatenate([np.full(len(a), h) for h, a, _ in self.posts])
        authors = np.concatenate([a for _, a, _ in self.posts])
        likes = np.concatenate([lk for _, _, lk in self.posts])
        return posting_sequences(
            pd.DataFrame({"post_id": np.arange(len(authors)), "author": authors, "created_hour": hours, "likes": likes})
        )

    def run(self, hours, likes_for) -> np.ndarray:
        """Simulate ``hours``; return every realised delay between posts (hours), in order of posting."""
        awake = np.full(self.n, 60.0, np.float32)
        may_post = np.ones(self.n, np.uint8)
        wants = np.zeros(self.n, np.uint8)
        delays = []
        for hour in range(hours):
            posting.tick(awake, may_post, self.clock, self.since, wants)
            posters = np.flatnonzero(wants)
            first = self.next_id
            if posters.size:
                delays.append(self.since[posters] + self.clock[posters])
                slots = np.arange(first, first + posters.size) % self.cap
                posting.create_posts(
                    posting.PostKeys(*self.keys),
                    hour,
                    self.p,
                    posters,
                    slots,
                    first,
                    posting.Authors(
                        self.w,
                        self.alpha_h,
                        self.C,
                        self.R,
                        self.H,
                        self.clock,
                        self.since,
                        self.last,
                        self.values,
                        self.notif,
                        self.cd,
                        self.tot,
                    ),
                    self.prior,
                    self.qmean,
                    self.close_indptr,
                    self.close_indices,
                    posting.PostColumns(
                        self.post_id,
                        self.author,
                        self.created,
                        self.style,
                        self.quality,
                        self.prev,
                        self.likes,
                        self.impr,
                        *self.extra,
                    ),
                )
                self.likes[slots] = likes_for(self.style[slots], posters)
                self.posts.append((hour, posters.copy(), self.likes[slots].copy()))
                self.next_id += posters.size
                posting.learn_from_feedback(
                    self.p,
                    first,
                    self.next_id,
                    self.post_id,
                    self.author,
                    self.style,
                    self.likes,
                    self.w,
                    self.alpha_r,
                    self.C,
                    self.R,
                    self.H,
                    self.clock,
                    self.values,
                )
        return np.concatenate(delays)


@measure("reward_rate_law")
def reward_rate_law(ctx: Context) -> dict[str, float]:
    """F2: pure reward learners (w = 0) whose posts always earn L or 2L likes; ratio of mean delays."""
    p = ctx.params
    n, hours, burn = int(p["agents"]), int(p["hours"]), int(p["agents"])
    means = []
    for factor in (1, 2):
        lab = PostingLab(
            n, w=0.0, alpha_reward=1.0, delay_h=float(p["delay_h"]), likes0=float(p["likes"]), seed=ctx.seed + 1
        )
        likes = int(p["likes"] * factor)
        means.append(lab.run(hours, lambda s, _: likes)[burn:].mean())
    return {"F2": float(means[1] / means[0])}


def users_posts(run):
    """The posts of the simulated users in a run's posts table (authors 0 .. n_users - 1): outside accounts
    (sim/external.py) post by a seeded process, not by reward learning, and are not in the users table."""
    return run.posts[run.posts["author"] < len(run.users)]


def posting_sequences(posts):
    """Per author with posts, the creation hours and likes of their posts in order."""
    posts = posts.sort_values(["author", "post_id"])
    for author, g in posts.groupby("author", sort=True):
        yield author, g["created_hour"].to_numpy(np.float64), g["likes"].to_numpy(np.float64)


def likes_final_before(cfg) -> int:
    """The first creation hour whose posts may still gain likes when a run of ``cfg`` ends: a post is a
    candidate until ``policy.max_age_hours`` after the hour it was created in. Turner et al. counted the
    likes of posts long after they were made, so F1 uses only posts created earlier."""
    return int(cfg.days) * 24 - int(cfg.policy.max_age_hours)


def speedup_slope(sequences, window: int, final_before_hour: float = np.inf) -> float:
    """F1 as Turner et al. (2025, fig. 3b): per post t with ``window`` earlier posts, the prediction error is
    its likes minus the mean likes of those posts, and the outcome the change in log delay (delay after
    post t minus delay before it); both are standardised within each user and pooled (fixed effect).
    ``sequences`` yields (author, creation hours, likes) per author, posts in order; only posts t created
    before ``final_before_hour`` count (their likes are all in; see ``likes_final_before``)."""
    beta, _ = stats.within_standardised_slope(
        [(x, y) for _, x, y, _ in speedup_terms(sequences, window, final_before_hour)]
    )
    return beta


def speedup_terms(sequences, window: int, final_before_hour: float = np.inf):
    """The terms of ``speedup_slope`` per author with at least ``window`` + 3 posts: author, prediction
    errors, changes in log delay, and the creation hours of the posts before, at and after each post t.
    Posts t created at or after ``final_before_hour`` are left out; the post after t need not be."""
    for author, hours, likes in sequences:
        if len(hours) < window + 3:
            continue
        delays = np.diff(hours)
        t = np.arange(window, len(hours) - 1)
        t = t[hours[t] < final_before_hour]
        if len(t) == 0:
            continue
        x = likes[t] - np.array([likes[k - window : k].mean() for k in t])
        y = np.log(delays[t]) - np.log(delays[t - 1])
        yield author, x, y, np.column_stack([hours[t - 1], hours[t], hours[t + 1]])


@measure("posting_speedup")
def posting_speedup(ctx: Context) -> dict[str, float]:
    """F1 on the run's posts table (``speedup_slope``)."""
    return {
        "F1": speedup_slope(
            posting_sequences(users_posts(ctx.run("main"))),
            int(ctx.params["previous_posts"]),
            likes_final_before(ctx.config("main")),
        )
    }


@measure("posting_phenotypes")
def posting_phenotypes(ctx: Context) -> dict[str, float]:
    """F3: among users who posted at least twice, the median of their mean time between posts (days) and
    the median habit weight w."""
    run = ctx.run("main")
    mean_gap = {a: np.diff(h).mean() / 24.0 for a, h, _ in posting_sequences(users_posts(run)) if len(h) >= 2}
    users = run.users.set_index("user_id")
    posters = np.array(sorted(mean_gap))
    return {
        "F3a": float(np.median([mean_gap[a] for a in posters])),
        "F3b": float(users.loc[posters, "habit_weight"].median()),
    }
