"""Why F1 is not met: the runs behind NOTES.md, rerunnable.

    python experiments/posting_speedup/diagnose.py              # seeds 0-7, 2 workers, about 30 min
    python experiments/posting_speedup/diagnose.py --seeds 0 --jobs 1

F1 sees reward learning through the likes' surprises. This script varies, one at a time, what decides
how well those surprises show, on the F1 experiment's population at its ``ci`` scale (every user posts at
a fitted phenotype, 1,000 users, 56 days):

1. When likes count as "in" (``behaviour.posting.feedback_delay_hours``), for pure reward learners
   (habit weight 0, reward learning rate 0.3), against the posting laboratory where likes are known at
   once (``PostingLab``).
2. How much likes vary within a user. Turner et al.'s hybrid model is simulated post by post, as in their
   generative simulations (every delay exponential, likes known before the next delay is drawn). The
   fitted phenotypes get either likes as regular as the simulated platform's (the per-author mean and
   coefficient of variation measured in the default run) or Twitter-like likes (Poisson counts, the
   median user about 1 like per post, as the median user mean in Turner et al.'s sample). The habit
   learns either towards the policy delay (this project) or from each realised delay (Turner et al.).
3. Stronger reward learning in the full model: every user's 1 - w doubled, or scaled so that the median
   habit weight is F3b's lower edge (0.8), the strongest the phenotype fact allows.
4. Twitter-like likes in the full model: a like rate about twenty times lower
   (``behaviour.response.like_intercept`` -7 instead of -4, with expected likes scaled to match).
5. A chronological feed. Every full-model run is also measured with the hour of day of the posts around
   each delay held fixed, which shows how much of the slope is time of day.

6. Likes that do not depend on when users post: users learn from (and feel) likes drawn independently of
   the platform, and F1 is measured both on those likes and on the platform's likes of the same posts.
   This is done with likes in after 24 h and after 1 h, with posting clocks that also run at night
   (``posting_clocks_ignore_sleep``), with likes as variable as those of Turner et al.'s example users,
   and with stronger reward learning; each step removes one way the full model differs from Turner et
   al.'s post-by-post simulations.

Single seeds of the full model differ by about 0.006, so the script reports the mean over eight seeds
and its standard error.

Only posts whose likes are all in when the run ends count (``likes_final_before``); the default run is also
measured counting the others, as F1 did before that rule.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.experiments import base

SPEC = base.load("posting_speedup")
PREVIOUS_POSTS = int(SPEC.params["previous_posts"])
F1_POPULATION = list(SPEC.arms["main"]) + list(SPEC.scales["ci"]["overrides"])

PURE_REWARD_LEARNERS = {"habit_weight": 0.0, "alpha_reward": 0.3}


def double_reward_share(w):
    """Twice each user's 1 - w: reward learning twice as strong, median w about 0.89 (still within F3b)."""
    return 1.0 - np.minimum(2.0 * (1.0 - w), 1.0)


STRONGER_REWARD_LEARNING = {"habit_weight": double_reward_share}
F3B_LOWEST_MEDIAN_W = next(t for t in base.load("posting_phenotypes").targets if t.id == "F3b").low


def weakest_habits_within_f3b(w):
    """Each user's 1 - w scaled so that the median habit weight is F3b's lower edge (0.8): the strongest
    reward learning the phenotype fact allows."""
    return 1.0 - np.minimum((1.0 - F3B_LOWEST_MEDIAN_W) / np.median(1.0 - w) * (1.0 - w), 1.0)


WEAKEST_HABITS = {"habit_weight": weakest_habits_within_f3b}
DEFAULT = "fitted phenotypes, likes in after 24 h (the default)"
CENSORED = "the default, also counting the posts of the last 48 h, whose likes are not all in"
INDEPENDENT = "full model, users learn from likes independent of when they post"
FEEDBACK_DELAYS_H = (1, 6, 12, 24)


def likes_in_after(hours: int) -> tuple[str, ...]:
    return (f"behaviour.posting.feedback_delay_hours={hours}",)


LIKES_IN_AFTER_1_H = likes_in_after(1)
PLATFORM_LIKE_CV = 0.45  # within-author coefficient of variation of the platform's likes in the default run
# Within-user coefficient of variation of likes of the three example users in Turner et al. (2025, fig. 5,
# data_fig5.csv) is 1.2, 1.7 and 4.7.
TWITTER_LIKE_CV = 1.2
# (label, phenotype, overrides, posting clocks ignore sleep, coefficient of variation of the likes)
INDEPENDENT_RUNS = [
    ("fitted phenotypes, likes in after 24 h", None, (), False, PLATFORM_LIKE_CV),
    ("fitted phenotypes, likes in after 1 h", None, LIKES_IN_AFTER_1_H, False, PLATFORM_LIKE_CV),
    (
        "fitted phenotypes, likes in after 1 h, posting through the night",
        None,
        LIKES_IN_AFTER_1_H,
        True,
        PLATFORM_LIKE_CV,
    ),
    (
        "fitted phenotypes, likes in after 1 h, posting through the night, likes CV 1.2",
        None,
        LIKES_IN_AFTER_1_H,
        True,
        TWITTER_LIKE_CV,
    ),
    ("1 - w doubled, likes in after 24 h", STRONGER_REWARD_LEARNING, (), False, PLATFORM_LIKE_CV),
    (
        "1 - w doubled, likes in after 1 h, posting through the night",
        STRONGER_REWARD_LEARNING,
        LIKES_IN_AFTER_1_H,
        True,
        PLATFORM_LIKE_CV,
    ),
    (
        "median w 0.8, likes in after 1 h, posting through the night",
        WEAKEST_HABITS,
        LIKES_IN_AFTER_1_H,
        True,
        PLATFORM_LIKE_CV,
    ),
    ("pure reward learners, likes in after 24 h", PURE_REWARD_LEARNERS, (), False, PLATFORM_LIKE_CV),
]
TWITTER_LIKE_RATE = ["behaviour.response.like_intercept=-7.0", "population.phenotypes.initial_likes_per_follower=0.017"]


def likes_final_before_hour() -> int:
    """The first creation hour of the F1 population's runs whose posts may still gain likes when the run
    ends (``likes_final_before``); no variant below changes the run's length or the candidate window."""
    from sim.config import compose
    from sim.experiments.posting import likes_final_before

    return likes_final_before(compose(F1_POPULATION + ["progress=false"]))


FINAL_BEFORE_HOUR = likes_final_before_hour()


def with_final_likes(posts: pd.DataFrame) -> pd.DataFrame:
    return posts[posts["created_hour"] < FINAL_BEFORE_HOUR]


def f1_model(seed: int, overrides: tuple[str, ...] = (), phenotype: dict | None = None):
    """A model of the F1 population, with every user's phenotype optionally replaced after the population
    is drawn (by a value or a function of the drawn values)."""
    from sim.config import compose
    from sim.model import FeedModel
    from sim.runner import set_threads

    set_threads(1)
    model = FeedModel(compose(F1_POPULATION + list(overrides) + [f"seed={seed}", "progress=false"]))
    for name, value in (phenotype or {}).items():
        drawn = getattr(model.users, name)
        drawn[:] = value(drawn) if callable(value) else value
    return model


def run_to_end(model) -> pd.DataFrame:
    for _ in range(int(model.cfg.days) * 24):
        model.step()
    return model.posts_table()


def full_model(seed: int, overrides: tuple[str, ...] = (), phenotype: dict | None = None):
    """F1 and the posts table of one run of the F1 population (``f1_model``)."""
    from sim.experiments.posting import posting_sequences, speedup_slope

    posts = run_to_end(f1_model(seed, overrides, phenotype))
    return speedup_slope(posting_sequences(posts), PREVIOUS_POSTS, FINAL_BEFORE_HOUR), posts


def posting_clocks_ignore_sleep(model) -> None:
    """Let every posting clock run through the night: users may post in any hour, so delays are no longer
    counted in awake hours only (the rest of the model still sleeps)."""
    post = model._post

    def post_as_if_awake(hour: int) -> None:
        awake = model.users.awake_min.copy()
        model.users.awake_min[:] = 60.0
        try:
            post(hour)
        finally:
            model.users.awake_min[:] = awake

    model._post = post_as_if_awake


def learning_from_independent_likes(
    seed: int,
    phenotype: dict | None = None,
    overrides: tuple[str, ...] = (),
    awake_all_day: bool = False,
    cv: float = PLATFORM_LIKE_CV,
):
    """F1 when users learn from likes that do not depend on when they post. In a run of the F1 population
    the likes each post is learned from (and felt) are replaced by a draw independent of everything else:
    gamma with the author's initial expected likes as its mean and coefficient of variation ``cv``.
    ``awake_all_day`` applies ``posting_clocks_ignore_sleep``. Returns F1 measured on those likes and F1
    measured on the platform's likes of the same posts. The second shows how the platform's likes depend on
    posting times that were not learned from them."""
    from sim.experiments.posting import posting_sequences, speedup_slope

    model = f1_model(seed, overrides, phenotype)
    if awake_all_day:
        posting_clocks_ignore_sleep(model)
    mean = model.users.expected_likes.astype(np.float64)
    shape = 1.0 / cv**2
    rng = np.random.default_rng(seed)
    independent: dict[int, float] = {}
    learn_from_platform = model._feedback

    def learn_from_independent(hour: int) -> None:
        posts, created = model.posts, hour - model.feedback_delay
        if created < 0:
            return learn_from_platform(hour)
        ids = np.arange(model.hour_first_post[created], model.hour_first_post[created + 1])
        slots = ids % posts.capacity
        slots = slots[posts.post_id[slots] == ids]
        draw = np.round(rng.gamma(shape, mean[posts.author[slots]] / shape))
        independent.update(zip(posts.post_id[slots].tolist(), draw.tolist()))
        platform = posts.likes[slots].copy()
        posts.likes[slots] = draw
        learn_from_platform(hour)
        posts.likes[slots] = platform

    model._feedback = learn_from_independent
    posts = run_to_end(model)
    on_platform = speedup_slope(posting_sequences(posts), PREVIOUS_POSTS, FINAL_BEFORE_HOUR)
    posts = posts[posts["post_id"].isin(independent.keys())].assign(likes=lambda t: t["post_id"].map(independent))
    return speedup_slope(posting_sequences(posts), PREVIOUS_POSTS), on_platform


def laboratory_pure_reward_learners(seed: int, posts: pd.DataFrame) -> float:
    """Pure reward learners in ``PostingLab`` (likes known at once), each with the mean likes and the
    coefficient of variation of an author in ``posts``."""
    from sim.experiments.posting import PostingLab, speedup_slope

    mean, cv = platform_likes(posts)
    rng = np.random.default_rng(seed)
    n = len(mean)
    lab = PostingLab(
        n, w=0.0, alpha_reward=PURE_REWARD_LEARNERS["alpha_reward"], delay_h=30.0, likes0=1.0, seed=seed + 1
    )
    lab.R[:] = mean
    lab.C[:] = lab.H * lab.R
    shape = 1.0 / cv**2
    lab.run(56 * 24, lambda styles, authors: rng.gamma(shape[authors], mean[authors] / shape[authors]).round())
    return speedup_slope(lab.sequences(), PREVIOUS_POSTS)


def timing_correlations(posts: pd.DataFrame) -> dict[str, float]:
    """Within-user correlation of a post's likes with the log delay before it and the log delay after it
    (both standardised within each user, posts with a post before and after them)."""
    from sim.experiments.posting import posting_sequences

    frames = []
    for author, hours, likes in posting_sequences(with_final_likes(posts)):
        if len(hours) < 4:
            continue
        log_delay = np.log(np.diff(hours))
        frames.append(
            pd.DataFrame({"author": author, "likes": likes[1:-1], "before": log_delay[:-1], "after": log_delay[1:]})
        )
    df = pd.concat(frames)
    z = df.groupby("author")[["likes", "before", "after"]].transform(lambda c: (c - c.mean()) / c.std())
    z = z.dropna()
    return {
        "likes ~ log delay before": float(np.corrcoef(z["likes"], z["before"])[0, 1]),
        "likes ~ log delay after": float(np.corrcoef(z["likes"], z["after"])[0, 1]),
    }


def slope_given_hour_of_day(posts: pd.DataFrame, bins: int = 8) -> float:
    """F1 with the hour of day (in ``bins`` bins) of the post before, the post itself and the post after it
    held fixed: prediction errors and changes in log delay are both residualised on those bins before the
    fixed-effect slope."""
    from sim.experiments import stats
    from sim.experiments.posting import posting_sequences, speedup_terms

    terms = list(speedup_terms(posting_sequences(posts), PREVIOUS_POSTS, FINAL_BEFORE_HOUR))
    hour_bin = (np.concatenate([hours for *_, hours in terms]) % 24 // (24 // bins)).astype(int)
    covariates = np.column_stack(
        [np.ones(len(hour_bin))] + [(hour_bin[:, j] == b).astype(float) for j in range(3) for b in range(1, bins)]
    )

    def residual(v):
        return v - covariates @ np.linalg.lstsq(covariates, v, rcond=None)[0]

    x = residual(np.concatenate([x for _, x, _, _ in terms]))
    y = residual(np.concatenate([y for _, _, y, _ in terms]))
    cuts = np.cumsum([len(x) for _, x, _, _ in terms])[:-1]
    return stats.within_standardised_slope(list(zip(np.split(x, cuts), np.split(y, cuts))))[0]


def platform_likes(posts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per author with at least three posts: mean likes per post and their coefficient of variation."""
    g = with_final_likes(posts).groupby("author")["likes"].agg(["mean", "std", "size"])
    g = g[(g["size"] >= 3) & (g["mean"] > 0)]
    return g["mean"].to_numpy(np.float64), np.maximum(g["std"] / g["mean"], 0.05).to_numpy(np.float64)


def post_by_post(
    seed: int, likes: str, habit_learns: str, platform: tuple[np.ndarray, np.ndarray], n: int = 10_000, posts: int = 40
) -> float:
    """Turner et al.'s hybrid model simulated post by post with phenotypes from the fitted distribution:
    delay ~ exponential(P), then the post's likes, then R and H are updated before the next delay.
    ``likes`` is "platform" (gamma, each user with an author's mean and CV from the simulated platform) or
    "twitter" (Poisson, per-user mean lognormal with median 1 like per post)."""
    from sim.config import compose
    from sim.experiments.posting import speedup_slope
    from sim.population import load_phenotype_model, sample_phenotypes

    floor = float(compose(["progress=false"]).behaviour.posting.reward_floor)
    rng = np.random.default_rng(seed)
    ph = sample_phenotypes(load_phenotype_model("turner2025"), n, rng)
    w, alpha_r, alpha_h = ph["habit_weight"], ph["alpha_reward"], ph["alpha_habit"]
    if likes == "platform":
        pick = rng.integers(0, len(platform[0]), n)
        mean, cv = platform[0][pick], platform[1][pick]
        shape = 1.0 / cv**2

        def draw():
            return rng.gamma(shape, mean / shape).round()
    else:
        mean = rng.lognormal(0.0, 1.0, n)

        def draw():
            return rng.poisson(mean).astype(np.float64)

    habit, expected = ph["mean_tpost_days"].copy(), mean.copy()
    cost = habit * expected
    hours, received = np.zeros((n, posts)), np.zeros((n, posts))
    clock = np.zeros(n)
    for k in range(posts):
        policy = w * habit + (1 - w) * cost / np.maximum(expected, floor)
        delay = rng.exponential(1.0, n) * policy
        habit += alpha_h * ((delay if habit_learns == "realised delay" else policy) - habit)
        clock += delay
        hours[:, k] = clock * 24.0
        received[:, k] = draw()
        expected = np.maximum(expected + alpha_r * (received[:, k] - expected), floor)
    return speedup_slope(((u, hours[u], received[u]) for u in range(n)), PREVIOUS_POSTS)


def main(argv: list[str] | None = None) -> None:
    from sim.experiments.posting import posting_sequences, speedup_slope

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)

    full_runs = [(DEFAULT, (), None), ("fitted phenotypes, likes in after 1 h", LIKES_IN_AFTER_1_H, None)]
    full_runs += [
        (f"pure reward learners, likes in after {d} h", likes_in_after(d), PURE_REWARD_LEARNERS)
        for d in FEEDBACK_DELAYS_H
    ]
    full_runs += [
        ("reward learning twice as strong (1 - w doubled)", (), STRONGER_REWARD_LEARNING),
        ("median w 0.8 (1 - w scaled to F3b's lower edge)", (), WEAKEST_HABITS),
        ("median w 0.8, likes in after 1 h", LIKES_IN_AFTER_1_H, WEAKEST_HABITS),
        ("Twitter-like like rate", tuple(TWITTER_LIKE_RATE), None),
        ("fitted phenotypes, chronological feed", ("policy=chronological",), None),
    ]
    tasks = [(label, seed, overrides, phenotype) for label, overrides, phenotype in full_runs for seed in a.seeds]
    print(f"simulating {len(tasks)} run(s) of the F1 population with {a.jobs} worker(s) ...", file=sys.stderr)
    done = Parallel(n_jobs=a.jobs, verbose=10)(
        delayed(full_model)(seed, overrides, phenotype) for _, seed, overrides, phenotype in tasks
    )
    rows = [
        ("full model", label, seed, slope, slope_given_hour_of_day(posts), with_final_likes(posts)["likes"].mean())
        for (label, seed, _, _), (slope, posts) in zip(tasks, done)
    ]
    default_posts = {seed: posts for (label, seed, _, _), (_, posts) in zip(tasks, done) if label == DEFAULT}
    rows += [
        (
            "full model",
            CENSORED,
            seed,
            speedup_slope(posting_sequences(posts), PREVIOUS_POSTS),
            np.nan,
            posts["likes"].mean(),
        )
        for seed, posts in default_posts.items()
    ]
    independent = [
        (label, seed, phenotype, overrides, awake_all_day, cv)
        for label, phenotype, overrides, awake_all_day, cv in INDEPENDENT_RUNS
        for seed in a.seeds
    ]
    print(f"simulating {len(independent)} run(s) with likes independent of posting times ...", file=sys.stderr)
    done = Parallel(n_jobs=a.jobs, verbose=10)(
        delayed(learning_from_independent_likes)(seed, *variant) for _, seed, *variant in independent
    )
    for (label, seed, *_), (learned, on_platform) in zip(independent, done):
        rows.append((INDEPENDENT, f"{label}; F1 on the likes learned from", seed, learned, np.nan, np.nan))
        rows.append((INDEPENDENT, f"{label}; F1 on the platform's likes", seed, on_platform, np.nan, np.nan))
    for seed, posts in default_posts.items():
        rows.append(
            (
                "posting laboratory",
                "pure reward learners, likes known at once",
                seed,
                laboratory_pure_reward_learners(seed, posts),
                np.nan,
                np.nan,
            )
        )
        for likes in ("platform", "twitter"):
            for habit_learns in ("policy delay", "realised delay"):
                rows.append(
                    (
                        "post by post, fitted phenotypes",
                        f"{likes} likes, habit learns the {habit_learns}",
                        seed,
                        post_by_post(seed, likes, habit_learns, platform_likes(posts)),
                        np.nan,
                        np.nan,
                    )
                )
    table = pd.DataFrame(rows, columns=["model", "variant", "seed", "F1", "F1 given hour", "likes per post"])
    summary = (
        table.groupby(["model", "variant"], sort=False)
        .agg(
            mean=("F1", "mean"),
            standard_error=("F1", "sem"),
            given_hour_of_day=("F1 given hour", "mean"),
            likes_per_post=("likes per post", "mean"),
        )
        .round(4)
    )
    print(
        "F1 target: -0.031 (-0.050 to -0.010). Mean over seeds and its standard error; in the full model also\n"
        "the mean with the hour of day held fixed and the likes per post.\n"
    )
    print(summary.reset_index().to_markdown(index=False))
    timing = pd.DataFrame([timing_correlations(posts) for posts in default_posts.values()])
    print(
        "\nDefault model: within-user correlation of a post's likes with the delays around it, mean over seeds\n"
        "and its standard error\n"
    )
    print(timing.agg(["mean", "sem"]).T.round(4).to_markdown())


if __name__ == "__main__":
    main()
