"""The Numba ranking kernel equals the NumPy reference, and the built-in rules rank as documented."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ranking import features as fx
from sim.ranking import kernels, policies
from sim.ranking.engagement_model import EngagementModel
from sim.testing import ranking_reference as reference

# the reference computes the "oracle" engagement model (the learned one has tests of its own)
ORACLE_MODEL = "platform.engagement_model.kind=oracle"


@pytest.fixture(scope="module")
def model():
    from sim.config import compose
    from sim.model import FeedModel

    m = FeedModel(compose(["n_users=400", "days=3", "offline_days=1", "progress=false", ORACLE_MODEL]))
    m.run_days(2)
    return m


def pools(model, hour, pool_key=0, share=0.3, min_size=60, max_age=48, users=None, posts=None):
    store = model.posts
    removed = (posts or model._post_arrays()).removed
    active = (users or model._user_arrays()).active
    columns = (
        store.post_id,
        store.created_hour,
        store.likes,
        store.impressions,
        store.bridging,
        removed,
        store.author,
        active,
    )
    fast = kernels.build_pool(np.uint64(9), hour, pool_key, share, min_size, max_age, *columns)
    slow = reference.pool(np.uint64(9), hour, pool_key, share, min_size, max_age, columns)
    return fast, slow


def rank_both(model, p, weights, sessions, hour=None, users=None, posts=None, score=None):
    """Feeds from the kernel (the built-in one, or around ``score``) and from the NumPy reference."""
    hour = model.hour if hour is None else hour
    # the kernels read packed copies of the columns: pack again after a test changed a column
    users = kernels.packed(users or model._user_arrays())
    posts = kernels.packed(posts or model._post_arrays())
    fast_pool, slow_pool = pools(model, hour, max_age=p.max_age_hours, users=users, posts=posts)
    common = (hour, p, model.response_p, model.rank_keys, weights, model.graph_arrays, posts, users)
    feeds = kernels.empty_feeds(len(sessions), p.k)
    rank = kernels.rank_feeds if score is None else score
    rank(sessions, *common, fast_pool, *feeds)
    fast = [feeds.slot[i, : feeds.length[i]] for i in range(len(sessions))]
    slow = reference.rank_feeds(sessions, *common, slow_pool, score=getattr(score, "rule", None))
    return fast, slow


def test_pool_equals_reference_for_every_key(model):
    for pool_key in (0, 1, 2):
        for share, min_size in ((0.3, 60), (0.05, 10), (1.0, 0)):
            fast, slow = pools(model, model.hour, pool_key, share, min_size)
            assert len(fast) > 0 and np.array_equal(fast, slow)


def test_kernel_equals_reference_for_the_built_in_rules(model):
    from sim.config import compose

    sessions = np.arange(0, 400, 3, dtype=np.int64)
    for name in ("engagement", "civic", "chronological"):
        cfg = compose([f"policy={name}", ORACLE_MODEL])
        p = policies.policy_params(cfg)
        fast, slow = rank_both(model, p, policies.weight_vector(cfg.policy.weights), sessions)
        assert any(len(f) > 5 for f in fast)
        for f, s in zip(fast, slow):
            assert np.array_equal(f, s)


def test_kernel_equals_reference_with_the_viewers_interest_in_topics(model, monkeypatch):
    """The "oracle" engagement model reads the viewer's interest in the post's topic (behaviour/interests.py)."""
    from sim.config import compose

    monkeypatch.setattr(model, "response_p", model.response_p._replace(like_interest=1.0))
    cfg = compose(["policy=engagement", ORACLE_MODEL])
    p = policies.policy_params(cfg)
    fast, slow = rank_both(model, p, policies.weight_vector(cfg.policy.weights), np.arange(0, 400, 3, dtype=np.int64))
    assert any(len(f) > 5 for f in fast) and len(set(model.posts.topic[model.posts.post_id >= 0])) > 6
    for f, s in zip(fast, slow):
        assert np.array_equal(f, s)
    monkeypatch.setattr(model, "response_p", model.response_p._replace(like_interest=0.0))
    plain, _ = rank_both(model, p, policies.weight_vector(cfg.policy.weights), np.arange(0, 400, 3, dtype=np.int64))
    assert any(not np.array_equal(a, b) for a, b in zip(fast, plain))  # the interest term changed the feeds


def random_policy(rng):
    k = int(rng.integers(1, 40))
    m = int(rng.integers(k, 250))
    return kernels.PolicyParams(
        k=k,
        m=m,
        oon_candidates=int(rng.integers(0, m + 1)),
        per_followee_cap=int(rng.integers(1, 5)),
        author_cap=int(rng.integers(0, 3)),
        max_age_hours=int(rng.integers(6, 60)),
        show_seen=bool(rng.random() < 0.5),
        estimation_noise=float(rng.random()),
        protected_factor=float(rng.uniform(1, 3)),
        learned_engagement=False,
    )


def platform_state(model, rng):
    """Random removed posts, deactivated accounts and teen accounts blocking out-of-network idealised posts."""
    posts = model._post_arrays()._replace(removed=(rng.random(model.posts.capacity) < 0.2).astype(np.uint8))
    users = model._user_arrays()._replace(
        active=(rng.random(model.authors.active.shape[0]) > 0.15).astype(np.uint8),  # users and outside accounts
        oon_idealised_blocked=(rng.random(model.users.n) < 0.5).astype(np.uint8),
    )
    return posts, users


def test_kernel_equals_reference_with_removed_posts_deactivated_authors_and_teen_accounts(model):
    rng = np.random.default_rng(11)
    sessions = np.arange(0, 400, 2, dtype=np.int64)
    for trial in range(6):
        posts, users = platform_state(model, rng)
        p = random_policy(rng)._replace(oon_candidates=40, m=200, show_seen=True)
        weights = rng.normal(0, 1, fx.N_FEATURES)
        fast, slow = rank_both(model, p, weights, sessions, users=users, posts=posts)
        assert sum(len(f) for f in fast) > 100
        for f, s in zip(fast, slow):
            assert np.array_equal(f, s), f"trial {trial}"
            assert not posts.removed[f].any()
            assert users.active[model.posts.author[f]].all()


def test_kernel_equals_reference_on_random_rules_and_settings(model):
    rng = np.random.default_rng(3)
    sessions = np.arange(1, 400, 2, dtype=np.int64)
    for trial in range(12):
        p = random_policy(rng)
        weights = rng.normal(0, 1, fx.N_FEATURES) * (rng.random(fx.N_FEATURES) < 0.6)
        fast, slow = rank_both(model, p, weights, sessions)
        for f, s in zip(fast, slow):
            assert np.array_equal(f, s), f"trial {trial}: {p}"


def test_chronological_is_newest_first_in_network_and_unseen(model):
    from sim.config import compose

    cfg = compose(["policy=chronological", ORACLE_MODEL])
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

    cfg = compose(["policy=civic", ORACLE_MODEL])
    p = policies.policy_params(cfg)
    fast, _ = rank_both(model, p, policies.weight_vector(cfg.policy.weights), np.arange(400, dtype=np.int64))
    for feed in fast:
        _, counts = np.unique(model.posts.author[feed[: kernels.AUTHOR_CAP_PAGE]], return_counts=True)
        assert counts.max() <= cfg.policy.author_cap  # on the first page


def test_civic_ranks_outrage_lower_for_protected_viewers(model):
    """Protected viewers (minors, vulnerable) get outrage and idealisation down-weighted more."""
    from sim.config import compose

    cfg = compose(["policy=civic", ORACLE_MODEL])
    w = policies.weight_vector(cfg.policy.weights)
    x = np.zeros(fx.N_FEATURES)
    x[fx.F_OUTRAGE] = 1.0
    plain = kernels.linear_score(x, w, cfg.policy.protected_factor)
    x[fx.F_VIEWER_PROTECTED] = 1.0
    protected = kernels.linear_score(x, w, cfg.policy.protected_factor)
    assert protected == pytest.approx(cfg.policy.protected_factor * plain)
    assert protected < plain < 0
    y = np.zeros(fx.N_FEATURES)
    y[fx.F_SEEN] = 1.0
    seen_plain = kernels.linear_score(y, w, cfg.policy.protected_factor)
    y[fx.F_VIEWER_PROTECTED] = 1.0
    assert kernels.linear_score(y, w, cfg.policy.protected_factor) == seen_plain  # only harmful content


def test_a_hand_built_world_gets_the_feeds_written_out_by_hand():
    """Viewer 0 follows 1 (mutually) and 2; account 3 is outside the network and very popular."""
    from sim.behaviour import response
    from sim.config import compose
    from sim.state import IDEALISED, INFORMATIONAL, OUTRAGE, PERSONAL, SEEN_WORDS

    indptr = np.array([0, 2, 3, 3, 3], np.int64)
    indices = np.array([1, 2, 0], np.int32)
    mutual = np.array([1, 0, 1], np.uint8)
    g = kernels.GraphArrays(indptr, indices, mutual)
    # post id = slot; (author, hour, style, likes)
    rows = [(1, 10, PERSONAL, 2), (2, 11, INFORMATIONAL, 1), (1, 12, IDEALISED, 5), (3, 12, OUTRAGE, 90)]
    cap = 8
    post_id = np.full(cap, -1, np.int64)
    author, created, style = np.zeros(cap, np.int32), np.zeros(cap, np.int32), np.zeros(cap, np.int8)
    likes, prev = np.zeros(cap, np.int32), np.full(cap, -1, np.int64)
    for i, (a, h, st, lk) in enumerate(rows):
        post_id[i], author[i], created[i], style[i], likes[i] = i, a, h, st, lk
    prev[2] = 0  # author 1's previous post
    last_post_id = np.array([-1, 2, 1, 3], np.int64)
    posts = kernels.PostArrays(
        post_id,
        author,
        created,
        prev,
        style,
        np.full(cap, 0.5, np.float32),
        likes,
        np.zeros(cap, np.float32),
        np.zeros(cap, np.uint8),
        np.log1p(likes),
        np.zeros(cap, np.int8),
    )
    seen = np.zeros((4, 3, SEEN_WORDS), np.uint64)
    ideology = np.array([0.5, 0.4, 0.6, -0.8], np.float32)
    status = np.log1p(np.array([10, 50, 40, 5000], np.float32))
    zero, one = np.zeros(4, np.uint8), np.ones(4, np.uint8)
    no_model = EngagementModel(compose([]), 0).arrays(np.zeros(4, np.float32), np.zeros(cap, np.float32))
    interest = np.zeros((4, 1), np.float32)
    users = kernels.UserArrays(last_post_id, seen, ideology, status, zero, one, zero, one, interest, *no_model)
    rp = response.params(compose([]))
    keys = kernels.Keys(np.uint64(1), np.uint64(2), np.uint64(3))
    hour = 13

    def feed(p, weights, pool, posts=posts, users=users):
        feeds = kernels.empty_feeds(1, p.k)
        kernels.rank_feeds(
            np.array([0], np.int64),
            hour,
            p,
            rp,
            keys,
            weights,
            g,
            kernels.packed(posts),
            kernels.packed(users),
            pool,
            *feeds,
        )
        return feeds.slot[0, : feeds.length[0]].tolist()

    base = dict(
        k=10,
        m=20,
        per_followee_cap=3,
        author_cap=0,
        max_age_hours=48,
        show_seen=False,
        estimation_noise=0.0,
        protected_factor=1.0,
        learned_engagement=False,
    )
    chrono = kernels.PolicyParams(oon_candidates=0, **base)
    w_age = np.zeros(fx.N_FEATURES)
    w_age[fx.F_AGE_HOURS] = -1.0
    assert feed(chrono, w_age, np.zeros(0, np.int64)) == [2, 1, 0]  # newest first, no outsider
    assert feed(chrono._replace(per_followee_cap=1), w_age, np.zeros(0, np.int64)) == [2, 1]
    assert feed(chrono._replace(per_followee_cap=0), w_age, np.zeros(0, np.int64)) == [2, 1, 0]  # 0 = no cap
    assert feed(chrono._replace(max_age_hours=2), w_age, np.zeros(0, np.int64)) == [2, 1]

    with_pool = kernels.PolicyParams(oon_candidates=5, **base)
    w_pop = np.zeros(fx.N_FEATURES)
    w_pop[fx.F_LOG_LIKES] = 1.0
    assert feed(with_pool, w_pop, np.array([3, 2], np.int64)) == [3, 2, 0, 1]  # the outsider's viral post leads
    w_ties = np.zeros(fx.N_FEATURES)
    w_ties[fx.F_TIE] = 1.0
    w_ties[fx.F_AGE_HOURS] = -0.01
    assert feed(with_pool, w_ties, np.array([3], np.int64)) == [2, 0, 1, 3]  # mutual tie, then follow, then none

    # moderation removed post 2; account 2 is deactivated; a teen account gets no outside idealised post
    removed = posts.removed.copy()
    removed[2] = 1
    assert feed(chrono, w_age, np.zeros(0, np.int64), posts=posts._replace(removed=removed)) == [1, 0]
    inactive = users._replace(active=np.array([1, 1, 0, 1], np.uint8))
    assert feed(chrono, w_age, np.zeros(0, np.int64), users=inactive) == [2, 0]
    style_outside = style.copy()
    style_outside[3] = IDEALISED
    outsider_idealised = posts._replace(style=style_outside)
    assert feed(with_pool, w_pop, np.array([3], np.int64), posts=outsider_idealised) == [3, 2, 0, 1]
    teen = users._replace(oon_idealised_blocked=np.array([1, 0, 0, 0], np.uint8))
    assert feed(with_pool, w_pop, np.array([3], np.int64), posts=outsider_idealised, users=teen) == [2, 0, 1]


def test_running_top_k_equals_sorting_all_candidates():
    """The kernel keeps the top K in a buffer as candidates are scored (with an author cap) or selects the
    K-th largest score first (without); either must pick exactly what a stable sort of all candidates
    followed by the author cap picks, ties and -inf scores included."""
    from numba import njit

    @njit
    def running(scores, authors, k, author_cap):
        best_score = np.empty(k + 1)
        best_i = np.empty(k + 1, np.int64)
        best_author = np.empty(k + 1, np.int64)
        taken = 0
        for i in range(scores.shape[0]):
            taken = kernels.top_k_insert(
                scores[i], i, authors[i], k, author_cap, best_score, best_i, best_author, taken
            )
        return best_i[:taken].copy()

    @njit
    def selected(scores, k):
        chosen = np.empty(k, np.int64)
        taken = kernels.top_k_select(scores, scores.shape[0], k, np.empty(scores.shape[0]), chosen)
        return chosen[:taken].copy()

    @njit
    def sorted_all(scores, authors, k, author_cap):
        chosen = np.empty(k, np.int64)
        taken = kernels.select_top_k(
            scores, scores.shape[0], np.arange(scores.shape[0]), authors, k, author_cap, chosen
        )
        return chosen[:taken].copy()

    rng = np.random.default_rng(5)
    for trial in range(3000):
        n = int(rng.integers(0, 250))
        levels = int(rng.integers(1, 12))  # few distinct scores: many ties
        scores = rng.integers(0, levels, n).astype(np.float64) / 3.0
        scores[rng.random(n) < 0.1] = -np.inf
        authors = rng.integers(0, int(rng.integers(1, 10)), n)
        k = int(rng.integers(1, 120))  # up to the long feeds of infinite scroll
        cap = int(rng.integers(0, 4))
        if cap == 0 or k <= kernels.AUTHOR_CAP_PAGE:  # the running buffer serves feeds of one page
            assert np.array_equal(running(scores, authors, k, cap), sorted_all(scores, authors, k, cap)), trial
        assert np.array_equal(sorted_all(scores, authors, k, cap), reference.top_k(scores, authors, k, cap)), trial
        assert np.array_equal(selected(scores, k), sorted_all(scores, authors, k, 0)), trial


def test_an_author_cap_limits_each_page_not_the_whole_infinite_feed():
    """Five authors with forty posts each, at most two per author: each page of 30 holds ten posts (two per
    author), so a feed of 100 items (four pages) holds 40, not the ten a cap over the whole feed would leave;
    a feed of one page keeps the cap over the page."""
    authors = np.repeat(np.arange(5), 40)
    scores = np.linspace(1.0, 0.0, 200)
    chosen = np.empty(100, np.int64)
    taken = kernels.select_top_k(scores, 200, np.arange(200), authors, 100, 2, chosen)
    assert kernels.AUTHOR_CAP_PAGE == 30 and taken == 40
    for start in range(0, 40, 10):
        _, counts = np.unique(authors[chosen[start : start + 10]], return_counts=True)
        assert counts.max() == 2 and counts.size == 5
    assert np.all(np.diff(scores[chosen[:10]]) < 0)  # in rank order within a page
    one = np.empty(30, np.int64)
    assert kernels.select_top_k(scores, 200, np.arange(200), authors, 30, 2, one) == 10


def test_packed_records_hold_every_column_and_start_on_a_cache_line(model):
    posts, users = model._post_arrays(), model._user_arrays()
    assert posts.rec.ctypes.data % 64 == 0 and users.rec.ctypes.data % 64 == 0
    assert kernels.POST_RECORD.itemsize == 64 and kernels.AUTHOR_RECORD.itemsize == 32
    for name in kernels.POST_RECORD.names:
        assert np.array_equal(posts.rec[name], getattr(posts, name)), name
    for name in kernels.AUTHOR_RECORD.names:
        assert np.array_equal(users.rec[name], getattr(users, name)), name
    # the model refreshes its one buffer in place: a changed column reaches the records on the next call
    before = posts.rec
    model.posts.quality[:3] += 1.0
    try:
        again = model._post_arrays()
        assert again.rec is before and np.array_equal(again.rec["quality"], model.posts.quality)
    finally:
        model.posts.quality[:3] -= 1.0
