"""The Numba ranking kernel equals the NumPy reference, and the built-in rules rank as documented."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ranking import kernels, policies, reference
from sim.ranking import features as fx


@pytest.fixture(scope="module")
def model():
    from sim.config import compose
    from sim.model import FeedModel

    m = FeedModel(compose(["n_users=400", "days=3", "offline_days=1", "progress=false"]))
    m.run_days(2)
    return m


def rank_both(model, p, weights, sessions, hour=None):
    hour = model.hour if hour is None else hour
    u, posts = model.users, model.posts
    pool = kernels.build_pool(np.uint64(9), hour, 0, 300, p.max_age_hours, posts.post_id, posts.created_hour,
                              posts.likes, posts.impressions, posts.bridging)
    common = (hour, p, model.response_p, model.rank_keys, weights, model.graph_arrays, model._post_arrays(),
              u.last_post_id, u.seen, pool, u.ideology, u.status, model.protected, model.counts_visible)
    n = len(sessions)
    feed, feed_len = np.empty((n, p.k), np.int64), np.zeros(n, np.int64)
    kernels.rank_feeds(sessions, *common, feed, feed_len, np.zeros((n, p.k)), np.zeros((n, p.k), np.bool_))
    fast = [feed[i, :feed_len[i]] for i in range(n)]
    slow = reference.rank_feeds(sessions, *common)
    return fast, slow


def test_kernel_equals_reference_for_the_built_in_rules(model):
    from sim.config import compose

    sessions = np.arange(0, 400, 3, dtype=np.int64)
    for name in ("engagement", "civic", "chronological"):
        cfg = compose([f"policy={name}"])
        p = policies.policy_params(cfg)
        fast, slow = rank_both(model, p, policies.weight_vector(cfg.policy.weights), sessions)
        assert any(len(f) > 5 for f in fast)
        for f, s in zip(fast, slow):
            assert np.array_equal(f, s)


def test_kernel_equals_reference_on_random_rules_and_settings(model):
    rng = np.random.default_rng(3)
    sessions = np.arange(1, 400, 2, dtype=np.int64)
    for trial in range(12):
        k = int(rng.integers(1, 40))
        m = int(rng.integers(k, 250))
        p = kernels.PolicyParams(
            k=k, m=m, oon_candidates=int(rng.integers(0, m + 1)), per_followee_cap=int(rng.integers(1, 5)),
            author_cap=int(rng.integers(0, 3)), max_age_hours=int(rng.integers(6, 60)),
            show_seen=bool(rng.random() < 0.5), estimation_noise=float(rng.random()),
            protected_factor=float(rng.uniform(1, 3)))
        weights = rng.normal(0, 1, fx.N_FEATURES) * (rng.random(fx.N_FEATURES) < 0.6)
        fast, slow = rank_both(model, p, weights, sessions)
        for f, s in zip(fast, slow):
            assert np.array_equal(f, s), f"trial {trial}: {p}"


def test_chronological_is_newest_first_in_network_and_unseen(model):
    from sim.config import compose

    cfg = compose(["policy=chronological"])
    p = policies.policy_params(cfg)
    sessions = np.arange(0, 400, 5, dtype=np.int64)
    fast, _ = rank_both(model, p, policies.weight_vector(cfg.policy.weights), sessions)
    posts, g = model.posts, model.graph
    for u, feed in zip(sessions, fast):
        created = posts.created_hour[feed]
        assert np.all(np.diff(created) <= 0)
        followees = set(g.followees_of(int(u)).tolist())
        assert all(int(a) in followees for a in posts.author[feed])


def test_author_cap_limits_posts_per_author(model):
    from sim.config import compose

    cfg = compose(["policy=civic"])
    p = policies.policy_params(cfg)
    fast, _ = rank_both(model, p, policies.weight_vector(cfg.policy.weights), np.arange(400, dtype=np.int64))
    for feed in fast:
        _, counts = np.unique(model.posts.author[feed], return_counts=True)
        assert counts.max() <= cfg.policy.author_cap


def test_civic_ranks_outrage_lower_for_protected_viewers(model):
    """Protected viewers (minors, vulnerable) get outrage and idealisation down-weighted more."""
    from sim.config import compose

    cfg = compose(["policy=civic"])
    w = policies.weight_vector(cfg.policy.weights)
    x = np.zeros(fx.N_FEATURES)
    x[fx.F_OUTRAGE] = 1.0
    plain = kernels.linear_score(x, w, cfg.policy.protected_factor)
    x[fx.F_VIEWER_PROTECTED] = 1.0
    protected = kernels.linear_score(x, w, cfg.policy.protected_factor)
    assert protected == pytest.approx(cfg.policy.protected_factor * plain)
    assert protected < plain < 0
