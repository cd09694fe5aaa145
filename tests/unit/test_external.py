"""Accounts outside the sample (sim/external.py): heavy tails that do not depend on the number drawn, a
posting stream with the configured volume and style mix, follows that land on the accounts, and a supply
per user that does not depend on n_users."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from sim import external, network, population
from sim.config import compose
from sim.model import FeedModel
from sim.rng import Streams
from sim.state import TOT_LIKES_RECEIVED
from sim.vocabulary import STYLES

OPEN = {
    "network.external.accounts_per_user": 0.5,
    "network.external.follow_share": 0.6,
    "network.external.posts_per_day_mean": 5.0,
    "network.external.min_accounts": 0,
}


def _cfg(n, seed=0, **extra):
    return compose(
        [f"n_users={n}", f"seed={seed}", "progress=false", *(f"{k}={v}" for k, v in {**OPEN, **extra}.items())]
    )


@pytest.mark.parametrize("n", [50, 400, 20_000])
def test_stratified_lognormal_has_mean_one_and_the_published_top_decile_share_at_any_size(n):
    sd = 2.1
    v = external.stratified_lognormal(n, sd, np.random.default_rng(1))
    assert v.mean() == pytest.approx(1.0, rel=1e-9)
    top = np.sort(v)[-n // 10 :].sum() / v.sum()
    assert top == pytest.approx(1.0 - ndtr(1.2816 - sd), abs=0.01)  # 0.79: Wojcik & Hughes (2019)


@pytest.mark.parametrize("n", [50, 20_000])
def test_stratified_pareto_has_the_pareto_mean_at_any_size(n):
    alpha = 1.3
    v = external.stratified_pareto(n, alpha, np.random.default_rng(1))
    assert v.mean() == pytest.approx(alpha / (alpha - 1.0), rel=1e-9)
    assert v.min() >= 1.0
    # the top 2%'s share of the total is the Pareto's, 0.02^(1 - 1/alpha), not a small sample's
    assert np.sort(v)[-n // 50 :].sum() / v.sum() == pytest.approx(0.02 ** (1 - 1 / alpha), rel=0.02)


def test_the_stream_posts_the_configured_volume_in_the_configured_style_mix():
    cfg = _cfg(400)
    model = FeedModel(cfg)
    acc = model.accounts
    assert acc.n == 200 and acc.posts_per_hour.mean() * 24 == pytest.approx(5.0)
    counts = np.zeros(acc.n)
    styles = np.zeros(len(STYLES))
    stream = model.outside_stream
    hours = 24 * 40
    for hour in range(hours):
        external.count_posts(stream.key, hour, acc.posts_per_hour, float(stream.activity[hour % 24]), stream.counts)
        counts += stream.counts
    per_day = counts.sum() / acc.n / (hours / 24)
    assert per_day == pytest.approx(5.0, rel=0.03)
    # posts in each account's main style: consistency + (1 - consistency) * that style's share
    model.run_days(3)
    t = model.posts_table()
    outside = t[t.author >= cfg.n_users]
    main = acc.main_style[outside.author.to_numpy() - cfg.n_users]
    style_code = outside["style"].map({s: i for i, s in enumerate(STYLES)}).to_numpy()
    share_main = (style_code == main).mean()
    c = float(cfg.network.external.style_consistency)
    shares = np.array([float(cfg.network.external.style_shares[s]) for s in STYLES])
    expected = c + (1 - c) * shares[main].mean()
    assert share_main == pytest.approx(expected, abs=0.03)
    for s, share in zip(STYLES, shares):
        styles[STYLES.index(s)] = (outside["style"] == s).mean()
    # every style appears; none is wildly off the shares (the accounts' main styles are themselves a draw)
    assert (styles > 0).all() and np.abs(styles - shares).max() < 0.12


def test_outside_accounts_are_followed_posted_shown_and_liked_but_have_no_user_counters():
    cfg = _cfg(400, days=2)
    model = FeedModel(cfg)
    n = cfg.n_users
    g = model.graph
    outside_follows = (g.indices >= n).sum() / n
    assert outside_follows == pytest.approx(0.6 * cfg.network.mean_out_degree, rel=0.1)
    assert not g.mutual[g.indices >= n].any()  # outside accounts do not follow back
    for u in range(0, n, 37):  # rows stay sorted, so ranking's merge and set tests hold
        row = g.followees_of(u)
        assert (np.diff(row.astype(np.int64)) > 0).all()
    assert model.accounts.followers.sum() == (g.indices >= n).sum()
    assert np.allclose(model.accounts.status, np.log1p(model.accounts.followers))
    model.run_days(2)
    t = model.posts_table()
    outside = t.author >= n
    assert outside.mean() > 0.8  # most of the supply comes from outside
    assert t.impressions[outside].sum() > 0 and t.likes[outside].sum() > 0
    # likes received by users are the likes on users' posts only (outside accounts have no counters)
    assert model.users.totals[:, TOT_LIKES_RECEIVED].sum() == t.likes[~outside].sum()


def _supply_per_user_day(n, seed):
    cfg = _cfg(n, seed)
    st = Streams(cfg.seed)
    users = population.generate(cfg, n, st)
    accounts = external.generate(cfg, users, st)
    g = network.generate(cfg, users, st, accounts)
    outside = g.indices >= n
    rate = accounts.posts_per_hour * 24
    return rate[g.indices[outside] - n].sum() / n


def test_what_outside_accounts_supply_a_user_does_not_depend_on_n_users():
    small = np.mean([_supply_per_user_day(300, s) for s in range(4)])
    large = np.mean([_supply_per_user_day(6000, s) for s in range(2)])
    assert small == pytest.approx(large, rel=0.15)
    # about follows * mean volume (fitness and volume are independent)
    assert large == pytest.approx(0.6 * 150 * 5.0, rel=0.2)


def test_without_outside_accounts_the_author_table_is_the_users_own_arrays():
    closed = ["network.external.accounts_per_user=0", "network.external.follow_share=0"]
    model = FeedModel(compose(["n_users=300", "days=1", "progress=false", "network.mean_out_degree=30", *closed]))
    assert model.accounts.n == 0
    assert model.authors.ideology is model.users.ideology and model.authors.last_post_id is model.users.last_post_id
