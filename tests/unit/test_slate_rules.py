"""Slate rules (sim/ranking/slate.py): a rule of the whole candidate slate, rank(X, authors, w), returning an
order or scores; compiled into a kernel of its own or run in Python, checked before and during the run."""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.config import ConfigError, compose
from sim.ranking import features as fx
from sim.ranking import kernels, plugins, slate
from sim.ranking.policies import policy_params, weight_vector
from tests.unit.test_plugins import rank_with

TUTORIAL_RULES = Path(__file__).resolve().parents[2] / "experiments" / "plugin_tutorial" / "rules.py"

RULES = """
import numpy as np
from sim.ranking.features import F_AGE_HOURS, F_P_LIKE, F_TIE

def friends_first(x, w):
    return 2.0 * x[F_TIE] + x[F_P_LIKE] - 0.01 * x[F_AGE_HOURS]

def friends_first_slate(X, authors, w):  # the per-candidate rule above, as scores of a slate
    return 2.0 * X[:, F_TIE] + X[:, F_P_LIKE] - 0.01 * X[:, F_AGE_HOURS]

def by_likes_in_python(X, authors, w):  # an order Numba cannot compile (a dict), for the Python path
    counts = {}
    out = []
    for i in np.argsort(-X[:, F_P_LIKE], kind="mergesort"):
        a = int(authors[i])
        if counts.get(a, 0) < 2:
            counts[a] = counts.get(a, 0) + 1
            out.append(int(i))
    return np.array(out, dtype=np.int64)

def repeats(X, authors, w):
    return np.zeros(X.shape[0], np.int64)

def out_of_range(X, authors, w):
    return np.arange(X.shape[0]) + 1

def too_few_scores(X, authors, w):
    return X[:-1, F_P_LIKE].copy() if X.shape[0] > 1 else np.zeros(3)

def nan_scores(X, authors, w):
    return X[:, F_P_LIKE] * np.nan

def a_number(X, authors, w):
    return 1.0

def random_order(X, authors, w):
    return np.random.permutation(X.shape[0])

def repeats_on_long_slates(X, authors, w):  # passes the test slates (at most 26), not a real session's
    if X.shape[0] > 30:
        return np.zeros(2, np.int64)
    return np.arange(X.shape[0])

def raises_on_long_slates(X, authors, w):  # in Python (a class): its error path is the compiled rule's too
    class Limit:
        candidates = 30
    if X.shape[0] > Limit.candidates:
        raise ValueError("too many candidates")
    return np.arange(X.shape[0])
"""


@pytest.fixture
def rules_file(tmp_path, monkeypatch):
    path = tmp_path / "slaterules.py"
    path.write_text(textwrap.dedent(RULES))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture(scope="module")
def model():
    """A small model two days in, with the learned engagement model the rules below are composed with."""
    from sim.model import FeedModel

    overrides = ["n_users=400", "days=3", "offline_days=1", "progress=false", "network.mean_out_degree=40"]
    m = FeedModel(compose(overrides))
    m.run_days(2)
    return m


def feeds_of(model, cfg, ranker, sessions):
    p, w = policy_params(cfg), weight_vector(cfg.policy.weights)
    fast, _, _ = rank_with(model, ranker, p, w, sessions)
    return fast


def test_the_tutorial_slate_rule_ranks_in_the_kernel_as_it_does_in_python(model):
    """The compiled kernel, the Python ranker and the rule applied by hand to the gathered candidates give the
    same feeds, and the tutorial's rule does what it says: two posts per author at most, every third item
    the most bridging candidate left."""
    spec = f"{TUTORIAL_RULES}:two_per_author_bridging_third"
    cfg = compose(["policy=custom", f"policy.score={spec}"])
    rule = plugins.resolve(spec, weight_vector(cfg.policy.weights))
    assert rule.compiled and rule.kind == slate.ORDER
    sessions = np.arange(0, 400, 3, dtype=np.int64)
    p, w = policy_params(cfg), weight_vector(cfg.policy.weights)
    compiled, pool, _ = rank_with(model, plugins.ranker(cfg), p, w, sessions)
    in_python = feeds_of(model, cfg, slate.python_slate_ranker(rule.function.py_func, rule.kind), sessions)
    args = (sessions, model.hour, p, model.response_p, model.rank_keys, w, model.graph_arrays)
    n_cand, cand_slot, _, _, x = kernels.all_candidate_features(*args, model._post_arrays(), model._user_arrays(), pool)
    author = model.posts.author
    capped = 0
    for s in range(len(sessions)):
        n = n_cand[s]
        X, authors = x[s, :n], author[cand_slot[s, :n]].astype(np.int64)
        order = rule.function.py_func(X, authors, w)
        assert np.array_equal(compiled[s], cand_slot[s, order[: p.k]])
        assert np.array_equal(in_python[s], compiled[s])
        capped += len(compiled[s]) < n
        shown_by: dict[int, int] = {}
        left = set(range(n))
        for j, c in enumerate(order):
            if j % 3 == 2:
                eligible = [i for i in left if shown_by.get(authors[i], 0) < 2]
                assert X[c, fx.F_BRIDGING] == max(X[i, fx.F_BRIDGING] for i in eligible)
            left.discard(c)
            shown_by[authors[c]] = shown_by.get(authors[c], 0) + 1
        assert max(shown_by.values(), default=0) <= 2
    assert sum(len(f) for f in compiled) > 300 and capped > 0  # the cap left candidates out of some feeds


def test_a_slate_of_scores_ranks_as_the_same_rule_per_candidate(rules_file, model):
    sessions = np.arange(1, 400, 4, dtype=np.int64)
    per_candidate = compose(["policy=custom", "policy.score=slaterules:friends_first"])
    as_slate = compose(["policy=custom", "policy.score=slaterules:friends_first_slate"])
    assert plugins.resolve(as_slate.policy.score, weight_vector(as_slate.policy.weights)).kind == slate.SCORES
    a = feeds_of(model, per_candidate, plugins.ranker(per_candidate), sessions)
    b = feeds_of(model, as_slate, plugins.ranker(as_slate), sessions)
    assert sum(len(f) for f in a) > 300
    for f, g in zip(a, b):
        assert np.array_equal(f, g)


def test_a_slate_rule_numba_cannot_compile_runs_in_python_with_a_warning(rules_file, model):
    cfg = compose(["policy=custom", "policy.score=slaterules:by_likes_in_python"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranker = plugins.ranker(cfg)
    said = [str(c.message) for c in caught if issubclass(c.category, plugins.PluginWarning)]
    assert said and re.search(r"Python at [\d,]+ microseconds per candidate .* about [\d,.]+ hours in it", said[0])
    feeds = feeds_of(model, cfg, ranker, np.arange(0, 400, 5, dtype=np.int64))
    assert sum(len(f) for f in feeds) > 200
    for f in feeds:
        assert np.unique(model.posts.author[f], return_counts=True)[1].max(initial=0) <= 2


BAD = [
    ("repeats", ["holds candidate 0 twice", "show each candidate once"]),
    ("out_of_range", ["holds 26 at position 25", "not a candidate index (0 to 25)"]),
    ("too_few_scores", ["returned 25 scores for 26 candidates"]),
    ("nan_scores", ["returned the score nan for candidate 0", "finite"]),
    ("a_number", ["returned float", "1-D integer array", "1-D float array"]),
    ("random_order", ["two different results for the same slate", "x[noise]"]),
]


@pytest.mark.parametrize("name,words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_slate_rule_is_refused_before_the_run(rules_file, name, words):
    with pytest.raises(ConfigError) as err:
        compose(["policy=custom", f"policy.score=slaterules:{name}"])
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"policy.score='slaterules:{name}' is not allowed: ")
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize(
    "name,pattern",
    [
        (
            "repeats_on_long_slates",
            r"returned an invalid feed for viewer \d+ at hour \d+ \(\d+ candidates\): its order",
        ),
        ("raises_on_long_slates", r"raised ValueError: too many candidates for viewer \d+ at hour \d+ \(a slate of"),
    ],
)
def test_a_slate_rule_that_fails_mid_run_stops_it_with_the_viewer_named(rules_file, tmp_path, name, pattern):
    overrides = ["n_users=300", "days=2", "offline_days=1", "progress=false", "network.mean_out_degree=40"]
    with warnings.catch_warnings(), pytest.raises(plugins.PluginError) as err:
        warnings.simplefilter("ignore", plugins.PluginWarning)
        sim.run([*overrides, "policy=custom", f"policy.score=slaterules:{name}", f"output.dir={tmp_path}"])
    msg = str(err.value)
    assert re.search(pattern, msg) and name in msg and "\n" not in msg, msg
