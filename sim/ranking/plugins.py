"""Plug-in ranking rules: a researcher's own scoring function, used inside the ranking kernel.

A rule is a function ``score(x, w) -> float`` of one candidate's feature vector ``x`` (float64, in the
order of ``sim/ranking/features.py``; use the ``F_*`` constants as indices) and the policy's weight
vector ``w`` (``policy.weights``, same order). Higher scores rank first. Select it with

    python -m sim policy=custom policy.score=myrules:friends_first

where the part before the colon names the code: a file ``myrules.py`` in the working directory, a path
to a file (``path/to/myrules.py:friends_first``), or an importable module (``mypkg.rules:friends_first``).
A Hydra-style ``policy.score: {_target_: myrules.friends_first}`` works too.

Before a run the rule is imported, compiled with Numba and called on a set of test candidates: it must
take two arguments and return one finite number. A compiled rule runs inside the same parallel kernel
as the built-in rules (``kernels.rank_feeds_with``), at the same speed. A rule Numba cannot compile is
accepted for prototyping: it runs in pure Python, much slower, with a warning. During a run, a
non-finite score stops the run with the viewer and hour named.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from numba import njit
from numba.core.registry import CPUDispatcher
from omegaconf import OmegaConf

from sim import named_rules
from sim.checks import Checker, ConfigError, fail
from sim.confdir import CONF_DIR
from sim.ranking import features as fx
from sim.ranking import kernels, slate
from sim.ranking.policies import weight_vector


class PluginError(ConfigError):
    """A plug-in rule cannot be used. The message says which rule, what is wrong and how to fix it."""


class PluginWarning(UserWarning):
    """A plug-in rule runs, but slower than it could."""


@dataclass(frozen=True)
class Rule:
    spec: str  # as the user wrote it
    function: Callable  # the jitted rule, or the Python function when it cannot be compiled
    compiled: bool
    reason: str = ""  # why it could not be compiled
    kind: str = "candidate"  # candidate: score(x, w); slate.ORDER or slate.SCORES: rank(X, authors, w)
    seconds_per_candidate: float = 0.0  # measured in the pre-check


_RESOLVED: dict[tuple, Rule] = {}
_KERNELS: dict[Callable, Callable] = {}  # one compiled ranking kernel per rule and process
_RULE_OF: dict[int, Rule] = {}  # the rule behind each plug-in ranking function


def spec_text(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    target = _target(spec)
    return f"{{_target_: {target}}}" if target else repr(spec)


def _target(spec: Any) -> str | None:
    try:
        return str(spec["_target_"])
    except (KeyError, TypeError, IndexError):
        return None


def _fail(spec: Any, why: str) -> PluginError:
    return PluginError(f"policy.score={spec_text(spec)!r} is not allowed: {why}")


def _split(spec: Any) -> tuple[str, str]:
    """(where the code is, function name)."""
    target = _target(spec)
    if target is not None:
        module, _, name = target.rpartition(".")
    elif isinstance(spec, str) and ":" in spec:
        module, _, name = spec.rpartition(":")
    else:
        raise _fail(
            spec,
            "name the rule as module:function, e.g. policy.score=myrules:friends_first "
            "(a file myrules.py in the working directory)",
        )
    if not module or not name.isidentifier():
        raise _fail(spec, "name the rule as module:function, e.g. policy.score=myrules:friends_first")
    return module, name


def _source_file(module: str) -> Path | None:
    """The file a module part names: an explicit path, or <module>.py in the working directory."""
    if module.endswith(".py") or "/" in module or "\\" in module:
        return Path(module).expanduser().resolve()
    local = Path.cwd() / (module.replace(".", "/") + ".py")
    return local.resolve() if local.is_file() else None


def _load_module(spec: Any, module: str):
    path = _source_file(module)
    if path is None:
        try:
            return importlib.import_module(module)
        except ImportError as e:
            raise _fail(
                spec,
                f"cannot import {module!r} ({e}); put {module}.py in the working directory "
                "or give its path, e.g. policy.score=path/to/rules.py:my_rule",
            ) from None
    if not path.is_file():
        raise _fail(spec, f"the file {path} does not exist")
    # Loaded from exactly this file under a name of its own: nothing else on sys.path is searched.
    name = "feedsim_rule_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    loader_spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = mod
    try:
        loader_spec.loader.exec_module(mod)
    except Exception as e:  # the user's module raised while being imported
        sys.modules.pop(name, None)
        raise _fail(spec, f"importing {path.name} raised {type(e).__name__}: {e}") from None
    return mod


def _test_inputs(weights: np.ndarray, n: int = 24) -> list[tuple[np.ndarray, np.ndarray]]:
    """Feature vectors with the ranges real candidates have (features.py), from a fixed generator."""
    rng = np.random.default_rng(20231)
    out = []
    for i in range(n):
        x = np.zeros(fx.N_FEATURES)
        x[fx.F_P_LIKE] = rng.uniform(0.0, 0.6)
        x[fx.F_DWELL] = rng.uniform(0.4, 1.5)
        x[fx.F_TIE] = (0.0, 0.5, 1.0)[i % 3]
        x[fx.F_IN_NETWORK] = float(x[fx.F_TIE] > 0)
        x[fx.F_AGREEMENT] = rng.uniform(-1.0, 1.0)
        x[(fx.F_OUTRAGE, fx.F_IDEALISED, fx.F_SUPPORTIVE, fx.F_INFORMATIONAL)[i % 4]] = 1.0
        x[fx.F_QUALITY] = rng.uniform(0.0, 1.0)
        x[fx.F_BRIDGING] = rng.uniform(-5.0, 5.0)
        x[fx.F_LOG_LIKES] = rng.uniform(0.0, 8.0) if i else 0.0
        x[fx.F_AGE_HOURS] = float(rng.integers(0, 49)) if i else 0.0
        x[fx.F_VIEWER_PROTECTED] = float(i % 5 == 0)
        x[fx.F_AUTHOR_STATUS] = rng.uniform(0.0, 10.0) if i else 0.0
        x[fx.F_SEEN] = float(i % 7 == 0)
        x[fx.F_NOISE] = rng.uniform()
        out.append(x)
    # edge candidates real feeds contain: a brand-new post with no likes and no bridging signal by an
    # author of no status, from outside the network; and the oldest, most liked post of a close tie
    edge = np.zeros(fx.N_FEATURES)
    edge[[fx.F_DWELL, fx.F_INFORMATIONAL, fx.F_NOISE]] = (0.4, 1.0, 0.5)
    old = np.zeros(fx.N_FEATURES)
    old[[fx.F_P_LIKE, fx.F_TIE, fx.F_IN_NETWORK, fx.F_AGREEMENT, fx.F_OUTRAGE, fx.F_SEEN]] = 1.0
    old[[fx.F_DWELL, fx.F_QUALITY, fx.F_NOISE]] = (1.5, 1.0, 0.999)
    old[[fx.F_LOG_LIKES, fx.F_AGE_HOURS, fx.F_AUTHOR_STATUS, fx.F_BRIDGING]] = (12.0, 48.0, 10.0, -5.0)
    out += [edge, old]
    w = weights.copy()
    w.flags.writeable = False  # a rule that writes into the weights changes every later score
    return [(x, w) for x in out]


# The pre-check's time limits. A rule is called once per candidate, about 200 times per session and
# millions of times in a run of a few thousand users, so a rule slower than MAX_SECONDS_PER_CANDIDATE
# would make a run take hours (pure-Python rules take about 10-100 microseconds a call).
PRECHECK_SECONDS = 5.0
MAX_SECONDS_PER_CANDIDATE = 0.005
# The candidates a run of 1,000 users for 28 days ranks: about 0.3 sessions per user-hour, 200 candidates each.
REFERENCE_RUN_CANDIDATES = 1000 * 28 * 24 * 0.3 * 200


def _reference_run_hours(seconds_per_candidate: float) -> float:
    return seconds_per_candidate * REFERENCE_RUN_CANDIDATES / 3600


def _check_value(spec: Any, value: Any, x: np.ndarray) -> None:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
        raise _fail(
            spec,
            f"it returned {type(value).__name__}{shape} for a test candidate; a rule returns one "
            "number per candidate (higher ranks first)",
        )
    if not math.isfinite(float(value)):
        shown = ", ".join(f"{name}={x[i]:.3g}" for i, name in enumerate(fx.FEATURES))
        raise _fail(
            spec,
            f"it returned {float(value)} for a test candidate ({shown}); return a finite number "
            "for every candidate (guard divisions and logarithms)",
        )


def check(spec: Any, function: Callable, weights: np.ndarray) -> Rule:
    """Compile ``function`` and call it on the test candidates; raise PluginError if it cannot serve."""

    if not callable(function):
        raise _fail(spec, f"{function!r} is not a function")
    py = function.py_func if isinstance(function, CPUDispatcher) else function
    try:
        params = list(inspect.signature(py).parameters.values())
    except (TypeError, ValueError):
        params = None
    if params is not None:
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [
            p for p in params if p.default is p.empty and p.kind != p.VAR_POSITIONAL and p.kind != p.VAR_KEYWORD
        ]
        if len(required) == slate.SLATE_ARGUMENTS and len(positional) == slate.SLATE_ARGUMENTS:
            return _check_slate(spec, function, py, weights)
        if len(required) > 2 or (len(positional) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in params)):
            names = ", ".join(p.name for p in params) or "no arguments"
            raise _fail(
                spec,
                f"a rule takes two arguments, score(x, w): the candidate's features and the policy's weights "
                f"(or three, rank(X, authors, w), for a rule of the whole slate); {py.__name__} takes ({names})",
            )
    inputs = _test_inputs(weights)
    compiled, reason, rule = _compile(spec, function, py, inputs[0])
    values = _call_all(spec, rule, inputs)
    for (x, _), v in zip(inputs, values):
        _check_value(spec, v, x)
    started = time.perf_counter()
    again = _call_all(spec, rule, inputs)
    per_call = (time.perf_counter() - started) / len(inputs)
    if per_call > MAX_SECONDS_PER_CANDIDATE:
        raise _fail(
            spec,
            f"it takes {per_call * 1e3:.0f} ms per candidate; a feed scores about 200 candidates per session, so "
            f"a rule must take under {MAX_SECONDS_PER_CANDIDATE * 1e3:g} ms (a run of 1,000 users for 28 days "
            f"would need about {_reference_run_hours(per_call):,.0f} hours)",
        )
    for (x, _), a, b in zip(inputs, values, again):
        if not (a == b or (a != a and b != b)):
            raise _fail(
                spec,
                f"it returned {float(a):.6g} and then {float(b):.6g} for the same candidate; a rule must give the "
                "same score for the same features (the same seed must give the same run): for randomness use "
                "the feature x[noise], which the run draws from its seed",
            )
    return Rule(spec_text(spec), rule, compiled, reason, seconds_per_candidate=per_call)


def _compile(spec: Any, function: Callable, py: Callable, first_input: tuple) -> tuple[bool, str, Callable]:
    """(compiled, why not, the function to call): the rule jitted and called once, or its Python function."""
    jitted = function if isinstance(function, CPUDispatcher) else njit(function)
    try:
        jitted(*first_input)  # compiles
        return True, "", jitted
    except Exception as e:  # Numba's typing and lowering errors, or the rule raising under Numba
        if "setitem(readonly array" in str(e):  # a write into w anywhere in the rule, reached or not
            raise _fail(spec, "it writes into w, the policy's weights, which are read-only: copy w first") from None
        return False, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__, py


def _check_slate(spec: Any, function: Callable, py: Callable, weights: np.ndarray) -> Rule:
    """The pre-check of a slate rule, rank(X, authors, w): compiled, called twice on test slates, each output
    a valid order or valid scores of one kind, the same both times, fast enough."""
    inputs = slate.test_slates(_test_inputs(weights))
    compiled, reason, rule = _compile(spec, function, py, inputs[0])
    outputs = _call_all(spec, rule, inputs)
    kind = slate.kind_of(outputs[0])
    for (X, _, _), out in zip(inputs, outputs):
        why = slate.problem(out, X.shape[0], kind or slate.ORDER)
        if why is not None:
            raise _fail(spec, f"on a test slate of {X.shape[0]} candidates {why}")
    started = time.perf_counter()
    again = _call_all(spec, rule, inputs)
    per_candidate = (time.perf_counter() - started) / sum(X.shape[0] for X, _, _ in inputs)
    if per_candidate > MAX_SECONDS_PER_CANDIDATE:
        raise _fail(
            spec,
            f"it takes {per_candidate * 1e3:.0f} ms per candidate of a slate; a rule must take under "
            f"{MAX_SECONDS_PER_CANDIDATE * 1e3:g} ms (a slate holds about 200 candidates, and a run ranks millions)",
        )
    for (X, _, _), a, b in zip(inputs, outputs, again):
        if not np.array_equal(a, b):
            raise _fail(
                spec,
                f"it returned two different results for the same slate of {X.shape[0]} candidates; a rule must "
                "give the same result for the same slate (the same seed must give the same run): for randomness "
                "use the feature x[noise], which the run draws from its seed",
            )
    return Rule(spec_text(spec), rule, compiled, reason, kind, per_candidate)


def _call_all(spec: Any, rule: Callable, inputs) -> list:
    """The rule's value on each test candidate (or slate), within the pre-check's time limit."""
    started, values = time.perf_counter(), []
    for arguments in inputs:
        try:
            values.append(rule(*arguments))
        except Exception as e:  # the user's rule raised
            if isinstance(e, ValueError) and "read-only" in str(e):
                raise _fail(spec, "it writes into w, the policy's weights, which are read-only: copy w first") from None
            raise _fail(spec, f"calling it on a test candidate raised {type(e).__name__}: {e}") from None
        if time.perf_counter() - started > PRECHECK_SECONDS:
            raise _fail(
                spec,
                f"it took more than {PRECHECK_SECONDS:g} s for {len(values)} test candidates; a feed scores about "
                "200 candidates per session, so a rule must take well under a millisecond per candidate",
            )
    return values


def provenance(spec: Any) -> dict:
    """Where a rule's code came from, for the run's manifest: the spec, the file it was loaded from and the
    file's SHA-256 (``python -m sim.verify`` reruns with exactly this file, or refuses if it changed)."""
    module, name = _split(spec)
    path = _source_file(module)
    local = path is not None
    if path is None:
        found = importlib.util.find_spec(module)
        path = Path(found.origin) if found is not None and found.origin else None
    out = {"spec": spec_text(spec), "function": name, "file": str(path) if path else None, "local_file": local}
    if path is not None and path.is_file():
        out["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def resolve(spec: Any, weights: np.ndarray) -> Rule:
    """Import, compile and check the rule ``spec`` names (cached per file version within a process)."""
    module, name = _split(spec)
    path = _source_file(module)
    stamp = path.stat().st_mtime_ns if path is not None and path.is_file() else None
    # A rule in a file is the same rule however it is named (myrules:f, ./myrules.py:f, /abs/myrules.py:f),
    # so it is imported and its kernel compiled once per process.
    key = (
        (str(path), name, stamp, weights.tobytes())
        if stamp is not None
        else (spec_text(spec), str(path), stamp, weights.tobytes())
    )
    if key not in _RESOLVED:
        mod = _load_module(spec, module)
        if not hasattr(mod, name):
            defined = sorted(
                n
                for n, v in vars(mod).items()
                if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == mod.__name__
            )
            hint = f"; it defines: {', '.join(defined)}" if defined else ""
            raise _fail(spec, f"{module} has no function {name!r}{hint}")
        _RESOLVED[key] = check(spec, getattr(mod, name), weights)
    return _RESOLVED[key]


def python_ranker(function: Callable):
    """Rank with a rule Numba cannot compile: candidates and features in the kernel, scores in Python."""

    def rank(session_users, hour, p, rp, keys, weights, g, posts, users, pool, *feeds):
        n_s = session_users.shape[0]
        n_cand, cand_slot, cand_tie, cand_seen, x = kernels.all_candidate_features(
            session_users, hour, p, rp, keys, weights, g, posts, users, pool
        )
        scores = np.full((n_s, p.m), -np.inf)
        w = weights.view()
        w.flags.writeable = False  # as in the pre-check: a write into w fails where it happens, and is reported
        for s in range(n_s):
            for i in range(n_cand[s]):
                scores[s, i] = float(function(x[s, i], w))
        kernels.select_feeds(scores, n_cand, cand_slot, cand_tie, cand_seen, posts.author, p.k, p.author_cap, *feeds)

    return rank


def ranker(cfg, score_fn: Callable | None = None):
    """The ranking function for a run: the cached built-in kernel, or a kernel around a plug-in rule
    (``policy.score``, or ``score_fn`` given to ``sim.run``)."""

    spec = cfg.policy.get("score") or None
    if score_fn is None and spec is None:
        return kernels.rank_feeds
    weights = weight_vector(cfg.policy.weights)
    if score_fn is not None:
        key = (score_fn, weights.tobytes())
        if key not in _RESOLVED:
            _RESOLVED[key] = check(getattr(score_fn, "__qualname__", "score_fn"), score_fn, weights)
        rule = _RESOLVED[key]
    else:
        rule = resolve(spec, weights)
    is_slate = rule.kind != "candidate"
    if rule.compiled:
        if rule.function not in _KERNELS:
            kernel = (
                slate.slate_kernel(rule.function, rule.kind) if is_slate else kernels.rank_feeds_with(rule.function)
            )
            _KERNELS[rule.function] = kernel
            _RULE_OF[id(kernel)] = rule
        return _KERNELS[rule.function]
    warnings.warn(
        f"policy.score={rule.spec!r} could not be compiled with Numba ({rule.reason}); it runs in pure "
        f"Python at {rule.seconds_per_candidate * 1e6:,.0f} microseconds per candidate (measured on the test "
        f"candidates), so a run of 1,000 users for 28 days would spend about "
        f"{_reference_run_hours(rule.seconds_per_candidate):,.1f} hours in it; compiled, a rule adds well under a "
        "microsecond per candidate. Rules that use only NumPy, math and loops on x and w compile "
        "(docs/guide/plugins.md).",
        PluginWarning,
        stacklevel=2,
    )
    rank = slate.python_slate_ranker(rule.function, rule.kind) if is_slate else python_ranker(rule.function)
    _RULE_OF[id(rank)] = rule
    return rank


def raise_rule_error(ranker_fn: Callable, error: Exception, args: tuple) -> None:
    """Re-raise an exception from inside a ranking kernel as a PluginError naming the rule, the viewer, the
    hour and the cause. Numba reports it as a bare SystemError; the rule is rerun in Python on the hour's
    candidates to find the viewer and candidate it failed on."""
    rule = _RULE_OF.get(id(ranker_fn))
    if rule is None:  # a built-in kernel failed: not the user's rule
        raise error
    if isinstance(error, slate.SlateError):  # the Python slate ranker found an invalid output
        raise PluginError(f"policy.score={rule.spec!r} returned an invalid feed {error}") from None
    session_users, hour, p, _, _, weights = args[:6]
    if rule.kind != "candidate":
        _raise_slate_error(rule, error, args)
    n_s = session_users.shape[0]
    n_cand, _, _, _, x = kernels.all_candidate_features(*args)
    w = weights.copy()
    w.flags.writeable = False
    cause = error.__cause__ or error
    for s in range(n_s):
        for i in range(n_cand[s]):
            try:
                rule.function(x[s, i], w)
            except Exception as e:  # the user's rule, found
                shown = ", ".join(f"{name}={x[s, i, j]:.3g}" for j, name in enumerate(fx.FEATURES))
                raise PluginError(
                    f"policy.score={rule.spec!r} raised {type(e).__name__}: {e} for viewer {int(session_users[s])} "
                    f"at hour {hour} (candidate {i}: {shown})"
                ) from None
    raise PluginError(
        f"policy.score={rule.spec!r} raised {type(cause).__name__}: {cause} while ranking the feeds of hour {hour}"
    ) from None


def _raise_slate_error(rule: Rule, error: Exception, args: tuple) -> None:
    session_users, hour, weights = args[0], args[1], args[5]
    w = weights.copy()
    w.flags.writeable = False
    for s, X, authors, n in slate.slates(args):
        try:
            rule.function(X, authors, w)
        except Exception as e:  # the user's rule, found
            raise PluginError(
                f"policy.score={rule.spec!r} raised {type(e).__name__}: {e} for viewer {int(session_users[s])} "
                f"at hour {hour} (a slate of {n} candidates)"
            ) from None
    cause = error.__cause__ or error
    raise PluginError(
        f"policy.score={rule.spec!r} raised {type(cause).__name__}: {cause} while ranking the feeds of hour {hour}"
    ) from None


def raise_bad_score(cfg, feeds, ranker_fn: Callable, args: tuple) -> None:
    """Stop the run on the first session whose rule gave a non-finite score (or, for a slate rule, an invalid
    order or score vector), naming the viewer and the hour."""
    rule = _RULE_OF.get(id(ranker_fn))
    if rule is not None and rule.kind != "candidate":
        why = slate.first_problem(rule.function, rule.kind, args)
        raise PluginError(f"policy.score={rule.spec!r} returned an invalid feed {why}")
    session_users, hour = args[0], args[1]
    s = int(np.flatnonzero(feeds.bad_score >= 0)[0])
    spec = spec_text(cfg.policy.get("score") or "the ranking rule")
    raise PluginError(
        f"policy.score={spec!r} returned a score that is not a finite number for viewer "
        f"{int(session_users[s])} at hour {hour} (candidate {int(feeds.bad_score[s])}); a rule "
        "must return a finite number for every candidate"
    )


def takes_score(policy_name: str, score: Any = None) -> bool:
    """Whether the policy ``policy_name`` ranks by ``policy.score`` (and, when ``score`` is given, by that rule):
    custom, a policy file of a user's own that sets ``score`` (docs/guide/plugins.md), or a rule named as the policy
    (sim/named_rules.py) with its own rule; never a built-in rule."""
    path = CONF_DIR / "policy" / f"{policy_name}.yaml"
    if path.is_file():
        node = OmegaConf.load(path)
        return "score" in node or "custom" in list(node.get("defaults") or [])
    rule = named_rules.registered().get(policy_name)
    return rule is not None and (score is None or spec_text(score) == rule)


def check_settings(c: Checker) -> None:
    """A plug-in rule (``policy.score``) belongs to a policy that ranks by one, and it must import, compile and
    pass its checks on test candidates (run by ``sim.config.validate``)."""
    p = "policy"
    score = c.get(f"{p}.score")
    if score not in ("", None) and not takes_score(c.get(f"{p}.name"), score):
        name = c.get(f"{p}.name")
        fail(
            f"{p}.score",
            score,
            f"it applies only to policy=custom (policy={name} would be reported as {name} "
            f"but ranked by {score}); name the rule as the policy instead: policy={score}",
        )
    if score not in ("", None):
        resolve(score, weight_vector(c.get(f"{p}.weights")))
