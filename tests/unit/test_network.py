"""Follow graph: homophily, heavy-tailed in-degree, reciprocity, well-formed CSR."""

from __future__ import annotations

import numpy as np
import pytest

from sim import network, population
from sim.rng import Streams


@pytest.fixture(scope="module")
def built():
    from sim.config import compose

    cfg = compose(["n_users=3000", "progress=false"])
    streams = Streams(cfg.seed)
    users = population.generate(cfg, cfg.n_users, streams)
    graph = network.generate(cfg, users, streams)
    return cfg, users, graph


def edges(graph):
    src = np.repeat(np.arange(len(graph.indptr) - 1), np.diff(graph.indptr))
    return src, graph.indices.astype(np.int64)


def test_csr_is_sorted_without_self_loops_or_duplicates(built):
    _, users, g = built
    src, dst = edges(g)
    assert np.all(src != dst)
    for u in range(0, users.n, 97):
        nb = g.followees_of(u)
        assert np.all(np.diff(nb) > 0)


def test_mean_out_degree_matches_the_setting(built):
    cfg, users, g = built
    assert g.n_edges / users.n == pytest.approx(cfg.network.mean_out_degree, rel=0.15)


def test_ideological_homophily(built):
    _, users, g = built
    src, dst = edges(g)
    linked = np.abs(users.ideology[src] - users.ideology[dst]).mean()
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, users.n, 50_000), rng.integers(0, users.n, 50_000)
    random_pairs = np.abs(users.ideology[a] - users.ideology[b]).mean()
    assert linked < 0.7 * random_pairs


def test_age_homophily(built):
    _, users, g = built
    src, dst = edges(g)
    same = (users.age_group[src] == users.age_group[dst]).mean()
    shares = np.bincount(users.age_group, minlength=3) / users.n
    assert same > (shares**2).sum() + 0.1


def test_heavy_tailed_followers_and_professional_accounts(built):
    cfg, users, g = built
    f = np.sort(g.followers)[::-1]
    top1 = f[: users.n // 100].sum() / f.sum()
    assert top1 > 0.08  # the top 1% hold far more than 1% of follows
    assert f[0] > 10 * np.median(f)
    infl = users.influencer.astype(bool)
    assert infl.sum() == round(cfg.network.influencer_share * users.n)
    assert np.median(g.followers[infl]) > 3 * np.median(g.followers[~infl])


def test_mutual_flags_mark_reciprocated_follows(built):
    _, users, g = built
    src, dst = edges(g)
    pairs = set(zip(src.tolist(), dst.tolist()))
    truth = np.array([(d, s) in pairs for s, d in zip(src.tolist(), dst.tolist())])
    assert np.array_equal(g.mutual.astype(bool), truth)
    assert 0.15 < truth.mean() < 0.7
    for u in range(0, users.n, 211):
        close = g.close_indices[g.close_indptr[u] : g.close_indptr[u + 1]]
        assert set(close.tolist()) == {v for v in g.followees_of(u).tolist() if (v, u) in pairs}
