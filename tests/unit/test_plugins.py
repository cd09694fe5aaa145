"""Plug-in ranking rules (sim/ranking/plugins.py): resolved from the researcher's file, checked on test
candidates, compiled into the ranking kernel, or run in pure Python with a warning."""

from __future__ import annotations

import re
import textwrap
import warnings

import numpy as np
import pytest

import sim
from sim.config import ConfigError, compose
from sim.ranking import features as fx
from sim.ranking import kernels, plugins
from sim.testing import ranking_reference as reference

RULES = """
import math
import numpy as np
from sim.ranking.features import F_AGE_HOURS, F_NOISE, F_P_LIKE, F_TIE, N_FEATURES

def friends_first(x, w):
    return 2.0 * x[F_TIE] + x[F_P_LIKE] - 0.01 * x[F_AGE_HOURS]

def weighted_sum(x, w):
    s = 0.0
    for i in range(w.shape[0]):
        s += w[i] * x[i]
    return s

def with_a_dict(x, w):  # Numba cannot compile a dict of strings built like this
    parts = {"tie": x[F_TIE], "fresh": -0.01 * x[F_AGE_HOURS]}
    return float(sum(parts.values()))

def nan_sometimes(x, w):
    if x[F_NOISE] < 1e-3:
        return math.nan
    return x[F_P_LIKE]

def always_nan(x, w):
    return math.nan

def vector(x, w):
    return x * 2.0

def one_argument(x):
    return 1.0

def raises(x, w):
    raise ValueError("not implemented yet")

def writes_weights(x, w):
    w[0] = w[0] + 1.0
    return x[0] * w[0]

def random_draw(x, w):
    return x[0] + np.random.random()

def per_bridging(x, w):  # fails only on a candidate with no bridging signal yet
    return x[0] / x[10]

def three_likes_break_it(x, w):  # passes the test candidates, fails on posts with exactly three likes
    return x[0] / (x[11] - math.log(4.0)) if x[11] > 0 else x[0]

def compiled_writes_on_three_likes(x, w):  # compiles; writes into w only on posts with three likes
    if abs(x[11] - math.log(4.0)) < 1e-9:
        w[0] = 5.0
    return x[0]

def python_writes_on_three_likes(x, w):  # plain Python (a class), writes into w only on posts with three likes
    class Table:
        weight = 1.0
    if abs(x[11] - math.log(4.0)) < 1e-9:
        w[0] = 5.0
    return x[0] * Table.weight

def slow_python(x, w):
    import time

    time.sleep(0.004)
    return x[0]
"""


@pytest.fixture
def rules_file(tmp_path, monkeypatch):
    path = tmp_path / "myrules.py"
    path.write_text(textwrap.dedent(RULES))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture(scope="module")
def model():
    from sim.model import FeedModel

    overrides = ["n_users=400", "days=3", "offline_days=1", "progress=false", "network.mean_out_degree=40"]
    m = FeedModel(compose([*overrides, "platform.engagement_model.kind=oracle"]))  # what the reference computes
    m.run_days(2)
    return m


def rank_with(model, ranker, p, weights, sessions):
    u = model._user_arrays()
    pool = kernels.build_pool(
        np.uint64(9),
        model.hour,
        0,
        0.3,
        60,
        p.max_age_hours,
        model.posts.post_id,
        model.posts.created_hour,
        model.posts.likes,
        model.posts.impressions,
        model.posts.bridging,
        model.posts.removed,
        model.posts.author,
        u.active,
    )
    feeds = kernels.empty_feeds(len(sessions), p.k)
    ranker(
        sessions,
        model.hour,
        p,
        model.response_p,
        model.rank_keys,
        weights,
        model.graph_arrays,
        model._post_arrays(),
        u,
        pool,
        *feeds,
    )
    fast = [feeds.slot[i, : feeds.length[i]] for i in range(len(sessions))]
    return fast, pool, feeds


@pytest.mark.parametrize("name", ["friends_first", "with_a_dict"])
def test_a_plugin_ranks_exactly_as_the_reference_does_with_it(rules_file, model, name):
    from sim.ranking.policies import policy_params, weight_vector

    cfg = compose(["policy=custom", f"policy.score=myrules:{name}", "platform.engagement_model.kind=oracle"])
    p, w = policy_params(cfg), weight_vector(cfg.policy.weights)
    rule = plugins.resolve(cfg.policy.score, w)
    assert rule.compiled == (name == "friends_first")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranker = plugins.ranker(cfg)
    assert any(issubclass(c.category, plugins.PluginWarning) for c in caught) == (not rule.compiled)
    sessions = np.arange(0, 400, 3, dtype=np.int64)
    fast, pool, _ = rank_with(model, ranker, p, w, sessions)
    slow = reference.rank_feeds(
        sessions,
        model.hour,
        p,
        model.response_p,
        model.rank_keys,
        w,
        model.graph_arrays,
        model._post_arrays(),
        model._user_arrays(),
        pool,
        score=rule.function.py_func if rule.compiled else rule.function,
    )
    assert sum(len(f) for f in fast) > 300
    for f, s in zip(fast, slow):
        assert np.array_equal(f, s)


def test_a_plugin_that_reimplements_the_linear_rule_gives_the_built_in_run(rules_file, tmp_path):
    """Same kernel, same features: a plug-in summing w*x reproduces the engagement rule bit for bit."""

    common = [
        "n_users=300",
        "days=2",
        "offline_days=2",
        "progress=false",
        "network.mean_out_degree=40",
        f"output.dir={tmp_path / 'runs'}",
    ]
    built_in = sim.run(common + ["output.name=built_in"])
    from omegaconf import OmegaConf

    from sim.config import CONF_DIR

    weights = OmegaConf.load(CONF_DIR / "policy" / "engagement.yaml").weights
    as_engagement = ["policy=custom", "label=status_quo"] + [f"+policy.weights.{k}={v}" for k, v in weights.items()]
    plugin = sim.run(common + as_engagement + ["output.name=plugin", "policy.score=myrules:weighted_sum"])
    assert plugin.manifest["tables"] == built_in.manifest["tables"]


BAD = [
    ("nosuchfile:f", ["cannot import 'nosuchfile'", "put nosuchfile.py in the working directory"]),
    ("missing.py:f", ["missing.py does not exist"]),
    ("myrules:nope", ["has no function 'nope'", "friends_first", "weighted_sum"]),
    ("myrules", ["module:function"]),
    ("myrules:one_argument", ["two arguments", "one_argument takes (x)"]),
    ("myrules:always_nan", ["returned nan for a test candidate", "p_like="]),
    ("myrules:vector", ["returned ndarray of shape (17,)", "one number per candidate"]),
    ("myrules:raises", ["raised ValueError: not implemented yet"]),
    ("myrules:writes_weights", ["writes into w", "read-only", "copy w first"]),
    ("myrules:random_draw", ["for the same candidate", "x[noise]"]),
    ("myrules:per_bridging", ["raised ZeroDivisionError"]),
]


@pytest.mark.parametrize("spec,words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_rule_gets_a_message_that_says_what_to_fix(rules_file, spec, words):
    with pytest.raises(ConfigError) as err:
        compose(["policy=custom", f"policy.score={spec}"])
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"policy.score='{spec}' is not allowed: ")
    for w in words:
        assert w in msg, msg


def test_a_module_that_fails_to_import_is_reported(tmp_path, monkeypatch):
    (tmp_path / "broken.py").write_text("import numpy as np\nundefined_name + 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="importing broken.py raised NameError"):
        compose(["policy=custom", "policy.score=broken:f"])


def test_custom_policy_requires_a_rule():
    with pytest.raises(ConfigError, match="policy.score is not set"):
        compose(["policy=custom"])


def test_a_rule_can_be_named_by_path_or_hydra_target(rules_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    cfg = compose(["policy=custom", f"policy.score={rules_file}:friends_first"])
    assert plugins.resolve(cfg.policy.score, np.zeros(fx.N_FEATURES)).compiled
    monkeypatch.chdir(tmp_path)
    rule = plugins.resolve({"_target_": "myrules.friends_first"}, np.zeros(fx.N_FEATURES))
    assert rule.compiled and rule.function(np.ones(fx.N_FEATURES), np.zeros(fx.N_FEATURES)) == pytest.approx(2.99)


def run_rule(rule: str, tmp_path, name: str):
    """A small run ranked by one of RULES, written to tmp_path/runs/name."""
    overrides = ["n_users=300", "days=2", "offline_days=1", "progress=false", "network.mean_out_degree=40"]
    return sim.run(
        [
            *overrides,
            "policy=custom",
            f"policy.score=myrules:{rule}",
            f"output.dir={tmp_path / 'runs'}",
            f"output.name={name}",
        ]
    )


def test_a_non_finite_score_during_a_run_stops_it_with_the_viewer_named(rules_file, tmp_path):

    assert min(x[fx.F_NOISE] for x, _ in plugins._test_inputs(np.zeros(fx.N_FEATURES))) > 1e-3
    with pytest.raises(plugins.PluginError, match=r"returned a score that is not a finite number for viewer \d+"):
        run_rule("nan_sometimes", tmp_path, "nan")
    assert sim.results.read_manifest(tmp_path / "runs" / "nan")["status"] == "failed"


def test_a_rule_that_is_too_slow_is_refused_before_the_run(rules_file, monkeypatch):
    monkeypatch.setattr(plugins, "MAX_SECONDS_PER_CANDIDATE", 0.002)
    with pytest.raises(ConfigError) as err:  # about 4 ms a call
        compose(["policy=custom", "policy.score=myrules:slow_python"])
    assert "ms per candidate" in str(err.value) and "under 2 ms" in str(err.value)


def test_a_rule_that_raises_mid_run_is_named_with_viewer_hour_and_cause(rules_file, tmp_path):

    with pytest.raises(plugins.PluginError) as err:
        run_rule("three_likes_break_it", tmp_path, "breaks")
    msg = str(err.value)
    assert re.search(r"raised ZeroDivisionError: division by zero for viewer \d+ at hour \d+ \(candidate \d+", msg)
    assert "log_likes=1.39" in msg and "three_likes_break_it" in msg and "\n" not in msg
    assert sim.results.read_manifest(tmp_path / "runs" / "breaks")["status"] == "failed"


def test_a_rule_that_writes_into_w_during_the_run_is_stopped_with_the_viewer_named(rules_file, tmp_path):
    """The pre-check calls the rule on a few candidates only; a rule that writes into w on a rare candidate
    passes it. In the run the kernel hands it w read-only too, so the write fails where it happens and is
    reported, instead of silently changing the weights for every later candidate."""
    with pytest.warns(plugins.PluginWarning), pytest.raises(plugins.PluginError) as err:
        run_rule("python_writes_on_three_likes", tmp_path, "writes")
    msg = str(err.value)
    assert "python_writes_on_three_likes" in msg and "read-only" in msg and re.search(r"for viewer \d+ at hour", msg)
    # a compiled rule is typed with a read-only w in the pre-check, so even a write it never reaches is refused
    with pytest.raises(ConfigError) as refused:
        compose(["policy=custom", "policy.score=myrules:compiled_writes_on_three_likes"])
    assert "writes into w" in str(refused.value)


DECOY = """
def friends_first(x, w):  # a module of the same name elsewhere on sys.path: must never be the one used
    return -1.0
"""


def test_a_rule_is_imported_only_from_the_file_named_and_leaves_sys_path_alone(rules_file, tmp_path, monkeypatch):
    """A module called myrules on sys.path is not the rule's source: the file the user names is, and loading
    it neither adds to sys.path nor registers the module under its plain name. The manifest's record of the
    rule (plugins.provenance) names that file and its SHA-256."""
    import hashlib
    import sys

    decoy_dir = tmp_path / "elsewhere"
    decoy_dir.mkdir()
    (decoy_dir / "myrules.py").write_text(DECOY)
    monkeypatch.syspath_prepend(str(decoy_dir))
    path_before, weights = list(sys.path), np.zeros(fx.N_FEATURES)
    x = np.ones(fx.N_FEATURES)
    for spec in ("myrules:friends_first", f"{rules_file}:friends_first", "./myrules.py:friends_first"):
        rule = plugins.resolve(spec, weights)
        assert rule.function(x, weights) == pytest.approx(2.99), spec  # the named file's rule, not the decoy's
        assert sys.path == path_before, spec
        assert "myrules" not in sys.modules, spec
        info = plugins.provenance(spec)
        assert info["file"] == str(rules_file) and info["local_file"] and info["function"] == "friends_first"
        assert info["sha256"] == hashlib.sha256(rules_file.read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path.parent)  # no myrules.py here: an explicit path still names exactly one file
    assert plugins.resolve(f"{rules_file}:friends_first", weights).function(x, weights) == pytest.approx(2.99)
    with pytest.raises(ConfigError, match="other.py does not exist"):
        compose(["policy=custom", f"policy.score={tmp_path / 'other.py'}:friends_first"])
    assert sys.path == path_before
