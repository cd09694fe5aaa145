"""Accounts outside the simulated sample: the rest of the platform that the simulated users follow and see.

The simulated users are a sample of a much larger platform. ``network.external.accounts_per_user`` accounts
per simulated user stand for everyone else a user may follow or be recommended (creators, news outlets,
public figures, brands, other ordinary users). They are authors, not viewers: they post, their posts are
ranked, seen, liked and moderated like any other, but they never open the app, learn or sleep.

Authors share one index space: ids 0 .. n_users - 1 are the simulated users and n_users .. n_users + A - 1
the outside accounts, so a post's ``author`` and a follow graph's ``indices`` name either. Ranking and
scrolling read an author's ideology, status, activity and latest post from ``AuthorTable`` (one entry per
author); everything that changes a user because their post was liked (notifications, reward learning,
mood, strikes) skips outside accounts.

Each account has an ideology (drawn from the simulated users' ideologies, so that the world outside has
the sample's ideological make-up), a posting rate (log-normal posts per day, rescaled so that the accounts post ``posts_per_day_mean`` on average) spread
over the day by the users' activity profile, and a main style (``style_shares``, kept with probability
``style_consistency``). Each hour an account writes a Poisson number of posts; every draw is counter-based
(streams ``external_posts``, ``external_style`` and ``external_quality``), so posts do not depend on the thread count. Followers and status are set by
``sim/network.py`` when it draws the follow graph. With ``accounts_per_user`` = 0 there are no outside
accounts and the model is the closed world of the simulated users' own posts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from scipy.special import ndtr, ndtri

from sim.behaviour.interests import draw_account_topics
from sim.behaviour.posting import write_post
from sim.checks import Checker, fail
from sim.rng import Streams, normal, uniform
from sim.state import UserState
from sim.vocabulary import N_STYLES, STYLES


class ExternalAccounts:
    """The outside accounts' traits (one entry per account; account j is author ``first_author + j``)."""

    def __init__(self, first_author: int, ideology, posts_per_hour, main_style, main_topic):
        self.first_author = int(first_author)
        self.n = int(ideology.shape[0])
        self.ideology = ideology.astype(np.float32)
        self.posts_per_hour = posts_per_hour.astype(np.float64)
        self.main_style = main_style.astype(np.int8)
        self.main_topic = main_topic.astype(np.int8)
        self.followers = np.zeros(self.n, np.int32)  # followers in the sample (set by sim/network.py)
        self.status = np.zeros(self.n, np.float32)  # log(1 + followers), as for users
        self.last_post_id = np.full(self.n, -1, np.int64)

    @property
    def nbytes(self) -> int:
        parts = (self.ideology, self.posts_per_hour, self.main_style, self.main_topic, self.followers, self.status)
        parts += (self.last_post_id,)
        return sum(a.nbytes for a in parts)


# Heavy tails drawn by strata. A log-normal's or a Pareto's mean sits in its rarest values, so independent
# draws from a few hundred accounts would give less volume, and a smaller share to the top accounts, than
# draws from a hundred thousand: what a user is supplied would depend on n_users. Instead the distribution
# is cut into n strata of equal probability, each account gets one stratum's conditional mean (in random
# order), and the mean and the top strata's shares are the same at every n.


def stratified_lognormal(n: int, sd_log: float, rng: np.random.Generator) -> np.ndarray:
    """n values of exp(sd_log * Z) / E[exp(sd_log * Z)], one per stratum of equal probability (mean exactly 1)."""
    if n == 0:
        return np.zeros(0)
    z = ndtri(np.arange(n + 1) / n)  # -inf .. inf
    mass = ndtr(z[1:] - sd_log) - ndtr(z[:-1] - sd_log)  # E[exp(sd Z); Z in stratum] / E[exp(sd Z)]
    return rng.permutation(mass * n)


def stratified_pareto(n: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """n Pareto(alpha) values (minimum 1), one conditional mean per stratum of equal probability; alpha > 1."""
    if n == 0:
        return np.zeros(0)
    tail = (1.0 - np.arange(n + 1) / n) ** (1.0 - 1.0 / alpha)  # (1 - q)^(1 - 1/alpha), 1 .. 0
    return rng.permutation((tail[:-1] - tail[1:]) * n / (1.0 - 1.0 / alpha))


def n_accounts(cfg) -> int:
    """accounts_per_user * n_users, and at least min_accounts when there are any: the platform outside a small
    sample is not smaller than outside a large one (a user of a 100-user sample still follows 90 outside
    accounts)."""
    ec = cfg.network.external
    per_user = int(round(float(ec.accounts_per_user) * int(cfg.n_users)))
    return max(per_user, int(ec.min_accounts)) if float(ec.accounts_per_user) > 0 else 0


def generate(cfg, users: UserState, streams: Streams) -> ExternalAccounts:
    """The outside accounts of a run (none when ``network.external.accounts_per_user`` is 0)."""
    ec = cfg.network.external
    n_ext = n_accounts(cfg)
    rng = streams.generator("external")
    ideology = users.ideology[rng.integers(0, users.n, size=n_ext)] if users.n else np.zeros(n_ext, np.float32)
    volume = stratified_lognormal(n_ext, float(ec.posts_per_day_sd_log), rng)
    per_day = float(ec.posts_per_day_mean) * volume
    shares = np.array([float(ec.style_shares[s]) for s in STYLES])
    main_style = rng.choice(N_STYLES, size=n_ext, p=shares / shares.sum())
    main_topic = draw_account_topics(cfg, n_ext, streams)
    return ExternalAccounts(users.n, ideology, per_day / 24.0, main_style, main_topic)


class AuthorTable:
    """What ranking and scrolling read about an author, for users and outside accounts in one index space.

    ``ideology``, ``status`` and ``main_topic`` are fixed; ``last_post_id`` and ``active`` are copied from the users (and the
    platform's deactivations) before each hour's ranking by ``refresh``. Without outside accounts the table
    is the users' own arrays, so nothing is copied."""

    def __init__(self, users: UserState, active: np.ndarray, accounts: ExternalAccounts):
        self.n_users = users.n
        self.accounts = accounts
        if accounts.n == 0:
            self.ideology, self.status = users.ideology, users.status
            self.last_post_id, self.active = users.last_post_id, active
            self.main_topic = users.main_topic
            return
        self.main_topic = np.concatenate([users.main_topic, accounts.main_topic])
        self.ideology = np.concatenate([users.ideology, accounts.ideology])
        self.status = np.concatenate([users.status, accounts.status])
        self.last_post_id = np.concatenate([users.last_post_id, accounts.last_post_id])
        self.active = np.concatenate([active, np.ones(accounts.n, np.uint8)])
        self._users, self._user_active = users, active

    def refresh(self) -> None:
        if self.accounts.n == 0:
            return
        n = self.n_users
        self.last_post_id[:n] = self._users.last_post_id
        self.last_post_id[n:] = self.accounts.last_post_id
        self.active[:n] = self._user_active

    @property
    def nbytes(self) -> int:
        if self.accounts.n == 0:
            return 0
        return sum(a.nbytes for a in (self.ideology, self.status, self.last_post_id, self.active, self.main_topic))


class StreamParams(NamedTuple):
    style_consistency: float
    quality_logit_sd: float


@njit
def poisson(key, hour, j, lam):
    """A Poisson(lam) draw: inversion of one counter-based uniform, or for lam above 30 (the busiest accounts
    of a heavy tail) the normal approximation, whose error there is below the draw's own spread."""
    if lam > 30.0:
        return max(0, int(np.round(lam + np.sqrt(lam) * normal(key, hour, j, 1))))
    u = uniform(key, hour, j, 0)
    k = 0
    p = np.exp(-lam)
    cdf = p
    while u > cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True)
def count_posts(key, hour, posts_per_hour, activity, counts):
    """How many posts each account writes this hour (``activity``: the hour's share of the day's rhythm
    relative to its mean). Returns the total."""
    total = 0
    for j in range(posts_per_hour.shape[0]):
        lam = posts_per_hour[j] * activity
        c = poisson(key, hour, j, lam) if lam > 0 else 0
        counts[j] = c
        total += c
    return total


@njit(cache=True)
def create_posts(
    keys, hour, p, counts, main_style, style_cum, quality_mean, first_author, first_id, slots, last, posts
):
    """Write the hour's posts of the outside accounts (``counts`` per account, in account order) into the
    reserved ring ``slots``; ``last`` is each account's latest post id."""
    key_style, key_quality = keys
    k = 0
    for j in range(counts.shape[0]):
        for i in range(counts[j]):
            slot = slots[k]
            pid = first_id + k
            k += 1
            s = main_style[j]
            if uniform(key_style, hour, j, 2 * i) >= p.style_consistency:
                r = uniform(key_style, hour, j, 2 * i + 1)
                s = N_STYLES - 1
                for c in range(N_STYLES):
                    if r < style_cum[c]:
                        s = c
                        break
            z = quality_mean[s] + p.quality_logit_sd * normal(key_quality, hour, j, i)
            write_post(posts, slot, pid, first_author + j, hour, s, 1.0 / (1.0 + np.exp(-z)), last[j])
            last[j] = pid


class Stream:
    """The outside accounts' posting, one call per hour (``post``), after the users' own posts."""

    def __init__(self, cfg, accounts: ExternalAccounts, streams: Streams, quality_mean: np.ndarray):
        ec = cfg.network.external
        self.accounts = accounts
        self.key = streams.key("external_posts")
        self.draw_keys = (streams.key("external_style"), streams.key("external_quality"))
        self.p = StreamParams(float(ec.style_consistency), float(cfg.behaviour.posting.quality_logit_sd))
        shares = np.array([float(ec.style_shares[s]) for s in STYLES])
        self.style_cum = np.cumsum(shares / shares.sum())
        self.quality_mean = quality_mean
        profile = np.asarray(cfg.behaviour.sessions.activity_profile, np.float64)
        self.activity = profile / profile.mean() if profile.mean() > 0 else np.ones(24)
        self.counts = np.zeros(accounts.n, np.int64)

    def expected_posts_per_hour(self) -> float:
        return float(self.accounts.posts_per_hour.sum())

    def post(self, hour: int, store, columns) -> int:
        """Write this hour's posts into ``store`` (a PostStore; ``columns`` its PostColumns); returns how many."""
        a = self.accounts
        if a.n == 0:
            return 0
        total = count_posts(self.key, hour, a.posts_per_hour, float(self.activity[hour % 24]), self.counts)
        if total == 0:
            return 0
        first_id = store.next_id
        slots = store.reserve(total, hour)
        create_posts(
            self.draw_keys,
            hour,
            self.p,
            self.counts,
            a.main_style,
            self.style_cum,
            self.quality_mean,
            a.first_author,
            first_id,
            slots,
            a.last_post_id,
            columns(),
        )
        return total


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``network.external`` settings (run by ``sim.config.validate``)."""
    e = "network.external"
    c.non_negative(f"{e}.accounts_per_user", f"{e}.posts_per_day_sd_log")
    c.positive(f"{e}.posts_per_day_mean")
    c.probability(f"{e}.follow_share", f"{e}.style_consistency")
    c.shares(f"{e}.style_shares", STYLES, "post style")
    c.whole_number(f"{e}.min_accounts")
    share = c.get(f"{e}.follow_share")
    available = n_accounts(c.cfg)
    wanted = share * c.get("network.mean_out_degree")
    if share > 0 and wanted > available:
        fail(
            f"{e}.follow_share",
            share,
            f"asks each user to follow about {wanted:g} outside accounts (follow_share * network.mean_out_degree) "
            f"but there are only {available} ({e}.accounts_per_user * n_users, at least {e}.min_accounts); raise "
            "accounts_per_user or min_accounts, or lower follow_share",
        )
