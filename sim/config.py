"""A run's configuration: composed with Hydra from ``conf/`` and the command line over the schema
(``sim/schema.py``), and checked before anything runs.

``validate(cfg)`` performs the range and cross-field checks that a type system cannot express and raises
``ConfigError`` with a one-line message naming the setting, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
from pathlib import Path
from typing import Any

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sim import confdir, external, guards, metrics, named_rules, network, population
from sim.behaviour import (
    comparison,
    interests,
    opinion,
    posting,
    response,
    sessions,
    sleep,
    wellbeing,
)
from sim.checks import Checker, ConfigError, fail
from sim.confdir import CONF_DIR, GROUPS, group_options
from sim.platform import (
    deactivation,
    display,
    limits,
    media_literacy,
    moderation,
    notifications,
    teen_accounts,
)
from sim.ranking import bridging, engagement_model, plugins, policies
from sim.ranking.features import FEATURES
from sim.schema import SimConfig
from sim.vocabulary import AGE_GROUPS, STYLES

__all__ = ["CONF_DIR", "GROUPS", "ConfigError", "SimConfig", "compose", "group_options", "validate"]


def job_label(cfg: DictConfig | dict) -> str:
    """The name a run is reported under in sweeps and reports: its ``label`` (set by the scenario preset,
    or on the command line), or the ranking policy's name for a record without one. The one place that
    decides it."""
    label = cfg.get("label")
    return str(label) if label else str(cfg["policy"]["name"])


def run_dir_name(name: str, label: str, policy: str, seed: Any) -> str:
    """``output.name`` if set, else <date>_<time>_<label>_<policy>_s<seed>."""
    if name:
        return str(name)
    return f"{dt.datetime.now():%Y-%m-%d_%H-%M-%S}_{label}_{policy}_s{seed}"


def register_configs() -> None:
    ConfigStore.instance().store(name="sim_schema", node=SimConfig)
    named_rules.register()
    if not OmegaConf.has_resolver("run_dir_name"):
        OmegaConf.register_new_resolver("run_dir_name", run_dir_name)


def compose(overrides: list[str] | tuple[str, ...] = (), with_hydra: bool = False) -> DictConfig:
    """The run configuration for these overrides, as ``python -m sim`` would compose it, checked by
    ``validate``. Raises ConfigError with a one-line message on any bad setting."""
    overrides = list(overrides)
    _check_override_syntax(overrides)
    try:
        cfg = compose_unchecked(overrides, with_hydra)
        _check_added_keys(overrides)
    except Exception as e:  # Hydra and OmegaConf raise many types; all become one line
        raise explain(e, overrides) from None
    validate(cfg)
    return cfg


def _check_added_keys(overrides: list[str]) -> None:
    """``+key=value`` adds a key Hydra does not know; the schema would then carry it silently and the run use
    the default (``+n_user=500``). Only the keyed maps (``policy.weights``, age groups, styles), a config
    group and Hydra's own settings may be added to."""
    added = [o for o in overrides if o.startswith("+") and not o.startswith("++")]
    for o in added:
        key, _, value = o[1:].partition("=")
        if key in GROUPS or key == "analysis" or key.startswith("hydra") or "/" in key:
            continue
        parent = key.rpartition(".")[0]
        if _keyed_dict(parent)[0] is not None:
            continue  # checked against its vocabulary by validate
        base = compose_unchecked([x for x in overrides if x not in added])
        if OmegaConf.select(base, key, default=_ABSENT) is _ABSENT:
            close = difflib.get_close_matches(key, _known_keys(), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"+{key}={value} is not allowed: {key} is not a setting{hint}")


_ABSENT = object()


def compose_unchecked(overrides: list[str], with_hydra: bool = False) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(confdir.CONF_DIR), version_base="1.3", job_name="sim"):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=with_hydra)


def _check_override_syntax(overrides: list[str]) -> None:
    for o in overrides:
        if "=" not in o and not o.startswith("~"):
            raise ConfigError(f"'{o}' is not a setting: write key=value, e.g. policy=civic or n_users=5000")


def explain(e: Exception, overrides: list[str]) -> ConfigError:
    """Turn a Hydra/OmegaConf composition error into a one-line ConfigError."""
    from hydra.errors import MissingConfigException
    from omegaconf.errors import ConfigKeyError, ValidationError

    if isinstance(e, ConfigError):
        return e
    cause = e
    while cause.__cause__ is not None and not isinstance(cause, (ValidationError, ConfigKeyError)):
        cause = cause.__cause__
    if isinstance(e, MissingConfigException) or "Could not find" in str(e):
        for group in GROUPS + ("analysis",):
            options = group_options(group)
            value = _given(overrides, group, lambda v, options=options: v not in options)
            if value is not None:
                hint = ""
                if group == "policy" and (value.endswith(".py") or "/" in value):
                    hint = f"; or name a rule of your own with its function, e.g. policy={value}:my_rule"
                return ConfigError(f"{group}={value!r} is not allowed: choose one of " + ", ".join(options) + hint)
    if isinstance(cause, ValidationError):
        key = getattr(cause, "full_key", "") or "?"
        msg = str(cause).splitlines()[0]
        if "could not be converted to" in msg:
            kind = msg.rsplit("converted to", 1)[1].strip().lower()
            value = _given(overrides, key, lambda v, kind=kind: not _converts(v, kind))
            return ConfigError(f"{key}={value!r} is not allowed: must be a{'n' if kind[:1] in 'aeiou' else ''} {kind}")
        value = _given(overrides, key)
        return ConfigError(f"{key}={value!r} is not allowed: {_allowed_for(key, msg)}")
    text = str(e)
    yaml_error = _yaml_error(e)
    if yaml_error is not None:
        return yaml_error
    unknown = _in_chain(e, ConfigKeyError)
    if unknown is not None and getattr(unknown, "full_key", None) and "In '" in text:
        # a key in a config file (a scenario, a preset) that the schema does not have
        key = unknown.full_key
        close = difflib.get_close_matches(key, _known_keys(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return ConfigError(f"{_config_file(text)}: {key} is not a setting{hint}")
    if "LexerNoViableAltException" in text:
        for o in overrides:
            key, _, value = o.partition("=")
            if not value.isascii() and not value.startswith(("'", '"')):
                return ConfigError(
                    f"{o} cannot be read: quote a value with characters outside ASCII, e.g. {key}='{value}'"
                )
    if any(
        w in text
        for w in (
            "no viable alternative",
            "mismatched input",
            "token recognition error",
            "extraneous input",
            "LexerNoViableAltException",
        )
    ):
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parser = OverridesParser.create()
        for o in overrides:
            try:
                parser.parse_overrides([o])
            except Exception as parse_error:  # the override parser raises Hydra's and ANTLR's types
                reason = str(parse_error).strip().splitlines()[0]
                return ConfigError(
                    f"{o} cannot be read ({reason}): quote values with special characters, "
                    "e.g. 'analysis.compare.alternative=[\"policy=civic\"]'"
                )
    if "Key '" in text and "not in struct" in text or "Could not override" in text:
        key = text.split("'")[1]
        value = _given(overrides, key)
        inner = getattr(unknown, "full_key", "") or ""
        if inner.startswith(key + "."):  # key={a: 1}: the entry a is what is unknown, not the key
            key, value = inner, _entry(value, inner.rpartition(".")[2])
        parent, _, leaf = key.rpartition(".")
        what, allowed = _keyed_dict(parent)
        if what is not None:
            if leaf in allowed:
                return ConfigError(f"{key} is not set by the chosen config: add it with +{key}={value}")
            return ConfigError(f"{key}={value} is not allowed: unknown {what}; known: " + ", ".join(allowed))
        close = difflib.get_close_matches(key, _known_keys(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return ConfigError(f"{key} is not a setting{hint}")
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return ConfigError(first)


def _entry(mapping_text: str | None, name: str):
    """The value of one entry in a mapping written on the command line ('{a: 1}' -> 1 for a)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_override(f"x={mapping_text}").value().get(name)
    except Exception:  # an unreadable mapping: name the entry without its value
        return "..."


def _in_chain(e: BaseException, kind: type) -> BaseException | None:
    """The first exception of this kind among e's causes and contexts."""
    while e is not None and not isinstance(e, kind):
        e = e.__cause__ or e.__context__
    return e


def _config_file(text: str) -> str:
    """The config file named in a Hydra composition error ("In 'scenario/x': ..."), as a path."""
    where = text.split("In '", 1)[1].split("'", 1)[0]
    path = Path(confdir.CONF_DIR) / f"{where}.yaml"
    return str(path) if path.exists() else where


def _given(overrides: list[str], key: str, bad=None) -> str | None:
    """The value given for ``key`` on the command line: when it is given more than once, the first value
    ``bad`` says is wrong (the one the error is about), else the last (the one that applies)."""
    values = [o.partition("=")[2] for o in overrides if o.partition("=")[0].lstrip("+~") == key]
    if bad is not None:
        for v in values:
            if bad(v):
                return v
    return values[-1] if values else None


def _converts(value: str, kind: str) -> bool:
    """Whether a command-line value reads as the type a schema field has (int, float, bool)."""
    try:
        if kind.startswith("int"):
            int(value)
        elif kind.startswith("float"):
            float(value)
        elif kind.startswith("bool"):
            return value.lower() in ("true", "false", "yes", "no", "on", "off", "1", "0")
        return True
    except ValueError:
        return False


def _yaml_error(e: Exception) -> ConfigError | None:
    """A YAML syntax error in a config file, with its file and line."""
    c = _in_chain(e, yaml.MarkedYAMLError)
    if c is None:
        return None
    mark = c.context_mark or c.problem_mark
    what = "; ".join(x for x in (c.context, c.problem) if x)
    return ConfigError(f"{mark.name}, line {mark.line + 1}, column {mark.column + 1}: cannot be read as YAML ({what})")


def _allowed_for(key: str, msg: str) -> str:
    """What OmegaConf's type errors mean for the user."""
    if "is not a valid bool" in msg:
        return "must be true or false"
    if msg.startswith("Cannot assign") and " to Dict[" in msg:
        return f"must be a mapping, e.g. {key}='{{name: value, ...}}' (or one entry: {key}.name=value)"
    if "is not a ListConfig" in msg or (msg.startswith("Cannot assign") and " to List[" in msg):
        return f"must be a list, e.g. {key}='[a, b]'"
    if "Cannot convert" in msg and "to string" in msg:
        return "must be a string"
    return msg


def _keyed_dict(path: str) -> tuple[str | None, tuple[str, ...]]:
    """For settings that are dicts keyed by a fixed vocabulary: what the keys are, and the allowed ones."""

    leaf = path.rpartition(".")[2]
    if leaf in ("age_shares", "vulnerable_share", "chronotype_shift_h", "alarm_hour", "base_hazard"):
        return "age group", AGE_GROUPS
    if leaf in ("style_base_shares", "influencer_style_shares", "quality_logit_mean"):
        return "post style", STYLES
    if path == "policy.weights":
        return "feature", FEATURES
    if leaf == "composite_weights":
        return "wellbeing component", ("mood", "self_esteem", "symptoms", "loneliness")
    return None, ()


def _known_keys() -> list[str]:
    """Every setting of the default configuration, dotted."""
    keys: list[str] = []
    default = compose_unchecked([])

    def walk(node, prefix):
        for k, v in node.items():
            path = f"{prefix}{k}"
            keys.append(path)
            if isinstance(v, dict):
                walk(v, path + ".")

    walk(OmegaConf.to_container(default, resolve=False), "")
    return keys


def expand_sweep(overrides: list[str]) -> list[list[str]]:
    """All combinations of a multirun's sweep overrides (a=1,2 b=x,y -> four override lists)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    parsed = parser.parse_overrides([o for o in overrides if not o.startswith("hydra")])
    axes = []
    for o in parsed:
        key = o.get_key_element()
        if o.is_sweep_override():
            axes.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            axes.append([f"{key}={o.get_value_element_as_str()}"])
    return [list(c) for c in itertools.product(*axes)]


# --------------------------------------------------------------------------------------------------
# validation


def _check_all_finite(node, prefix: str = "") -> None:
    """Every number anywhere in the config must be finite."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        path = f"{prefix}.{k}" if prefix and isinstance(node, dict) else (f"{prefix}[{k}]" if prefix else str(k))
        if isinstance(v, (dict, list)):
            _check_all_finite(v, path)
        elif isinstance(v, float) and not math.isfinite(v):
            fail(path, v, "must be a finite number")


def _check_nothing_missing(cfg: DictConfig) -> None:
    if cfg.policy.get("score", "") is None:
        raise ConfigError(
            "policy.score is not set: name your ranking rule as module:function, "
            "e.g. policy=custom policy.score=myrules:friends_first (docs/guide/plugins.md)"
        )
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith("hydra"))
    if missing:
        raise ConfigError(f"{missing[0]} is not set: give it a value, e.g. {missing[0]}=...")


# Peak resident memory per user of a run (state, follow graph, post ring, ranking's packed records,
# tables): 3.25 GB at 1,000,000 users (benchmarks/RESULTS.md), rounded up.
PEAK_BYTES_PER_USER = 3_300


def _physical_memory() -> int:
    """This machine's physical memory in bytes (0 where the system does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


# What a run keeps per simulated day whatever its size: the daily table's rows (about 8.6 kB a day, measured
# on 300 users: one row per group) and the hour index of the posts (192 bytes), rounded up.
BYTES_PER_DAY = 10_000
# The engine's speed, rounded down from benchmarks/RESULTS.md (115,000-185,000 user-hours per second on
# 2 cores): a run estimated at more than a week of computing is refused rather than started, as a typo.
USER_HOURS_PER_SECOND = 100_000
MAX_RUN_SECONDS = 7 * 24 * 3600


def _check_run_size(c: Checker, memory: int) -> None:
    n, days = c.get("n_users"), c.get("days")
    if memory and n * PEAK_BYTES_PER_USER + days * BYTES_PER_DAY > memory:
        fail(
            "days",
            days,
            f"needs about {days * BYTES_PER_DAY / 1e9:,.0f} GB of memory for its daily tables but this machine "
            f"has {memory / 1e9:.0f} GB",
        )
    seconds = n * days * 24 / USER_HOURS_PER_SECOND
    if seconds > MAX_RUN_SECONDS:
        fail(
            "days",
            days,
            f"with n_users={n} the run would take about {seconds / 86400:,.0f} days of computing (about "
            f"{USER_HOURS_PER_SECOND:,} user-hours per second, benchmarks/RESULTS.md); at most "
            f"{MAX_RUN_SECONDS * USER_HOURS_PER_SECOND // (n * 24):,} days at this size",
        )


# A label or output.name names a folder under output.dir: one path component, printable, of a length every
# file system takes with the date, policy and seed added.
MAX_NAME = 100


def _check_folder_name(key: str, name) -> None:
    text = str(name)
    if not text:
        if key == "label":
            fail(key, name, "must not be empty")
        return  # output.name "" = a name made from the date, label, policy and seed
    if "/" in text or "\\" in text or text in (".", "..") or text.startswith(".."):
        fail(key, name, "must be a plain name (no '/', '\\' or '..'): it names a folder inside output.dir")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        fail(key, name.encode("unicode_escape").decode(), "must not contain control characters")
    if len(text) > MAX_NAME:
        fail(key, f"<{len(text)} characters>", f"must be at most {MAX_NAME} characters long")


def validate(cfg: DictConfig) -> None:
    """Check every setting of a composed config. Raises ConfigError on the first bad one."""
    _check_nothing_missing(cfg)
    _check_all_finite({k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k != "hydra"})
    c = Checker(cfg)
    for p in ("seed",):
        v = c.get(p)
        if not isinstance(v, int) or v < 0 or v >= 2**63:
            fail(p, v, "must be a non-negative integer")
    for p in ("n_users", "days"):
        v = c.get(p)
        if not isinstance(v, int) or v <= 0:
            fail(p, v, "must be a positive integer")
    if c.get("n_users") < 10:
        fail("n_users", c.get("n_users"), "must be at least 10 (a feed needs other users)")
    memory = _physical_memory()
    if memory and c.get("n_users") * PEAK_BYTES_PER_USER > memory:
        fail(
            "n_users",
            c.get("n_users"),
            f"needs about {c.get('n_users') * PEAK_BYTES_PER_USER / 1e9:,.0f} GB of memory (about "
            f"{PEAK_BYTES_PER_USER / 1e3:.0f} kB per user at peak, benchmarks/RESULTS.md) but this machine has "
            f"{memory / 1e9:.0f} GB: at most {memory // PEAK_BYTES_PER_USER:,} users fit",
        )
    _check_run_size(c, memory)
    if c.get("offline_days") < 0:
        fail("offline_days", c.get("offline_days"), "must be 0 or a positive integer")
    if c.get("threads") < 0:
        fail("threads", c.get("threads"), "must be 0 (all cores) or a positive number of threads")

    c.choice("check_finite", guards.MODES)
    for key in ("policy.name", "output.name", "label"):
        _check_folder_name(key, c.get(key))

    for check in SECTION_CHECKS:
        check(c)


# Each module's checks of its own settings, in the order of the config tree.
SECTION_CHECKS = (
    population.check_settings,
    network.check_settings,
    external.check_settings,
    sleep.check_settings,
    sessions.check_settings,
    posting.check_settings,
    response.check_settings,
    interests.check_settings,
    comparison.check_settings,
    wellbeing.check_settings,
    opinion.check_settings,
    policies.check_settings,
    plugins.check_settings,
    display.check_settings,
    notifications.check_settings,
    limits.check_settings,
    teen_accounts.check_settings,
    moderation.check_settings,
    deactivation.check_settings,
    media_literacy.check_settings,
    bridging.check_settings,
    engagement_model.check_settings,
    metrics.check_settings,
)
