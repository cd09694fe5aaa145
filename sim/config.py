"""Typed configuration (Hydra structured configs) and the checks every run goes through.

The dataclasses below are the schema; the YAML files in ``conf/`` give the values and cite the sources
of the behavioural constants (see also ``docs/model.md``). The tree mirrors the code tree:
``population`` <-> ``sim/population.py``, ``network`` <-> ``sim/network.py``, ``behaviour.*`` <->
``sim/behaviour/*.py``, ``policy`` <-> ``sim/ranking/policies.py``, ``platform`` <-> ``sim/platform/``,
``metrics`` <-> ``sim/metrics.py``.

``validate(cfg)`` performs the range and cross-field checks that a type system cannot express and raises
``ConfigError`` with a one-line message naming the setting, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from sim import confdir, guards, metrics, named_rules, network, population
from sim.behaviour import (
    comparison,
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
from sim.ranking import bridging, plugins, policies
from sim.ranking.features import FEATURES
from sim.vocabulary import AGE_GROUPS, STYLES

__all__ = ["CONF_DIR", "GROUPS", "ConfigError", "compose", "group_options", "validate"]


# --------------------------------------------------------------------------------------------------
# The schema. Values (with their sources) are in conf/*.yaml; MISSING here means "the YAML must set it",
# so every constant is defined in exactly one place.

# population / network


@dataclass
class PhenotypeConfig:
    source: str = MISSING
    poster_share: float = MISSING
    lurker_tpost_factor: float = MISSING
    awake_hours_per_day: float = MISSING
    initial_likes_intercept: float = MISSING
    initial_likes_per_follower: float = MISSING
    influencer_tpost_days: float = MISSING


@dataclass
class TraitConfig:
    comparison_zero_share: float = MISSING
    comparison_shape: float = MISSING
    comparison_scale: float = MISSING
    comparison_vulnerable_factor: float = MISSING
    feedback_sensitivity_sd: float = MISSING
    feedback_vulnerable_factor: float = MISSING
    outrage_susceptibility_sd: float = MISSING
    use_propensity_sd: float = MISSING
    use_vulnerable_factor: float = MISSING
    chronotype_shift_h: dict[str, float] = MISSING
    chronotype_sd_h: float = MISSING
    sleep_threshold_sd: float = MISSING
    ideology_mode: float = MISSING
    ideology_sd: float = MISSING
    vulnerable_symptom_shift: float = MISSING
    vulnerable_self_esteem_shift: float = MISSING
    vulnerable_loneliness_shift: float = MISSING


@dataclass
class PopulationConfig:
    name: str = MISSING
    age_shares: dict[str, float] = MISSING
    vulnerable_share: dict[str, float] = MISSING
    phenotypes: PhenotypeConfig = field(default_factory=PhenotypeConfig)
    traits: TraitConfig = field(default_factory=TraitConfig)


@dataclass
class NetworkConfig:
    name: str = MISSING
    mean_out_degree: float = MISSING
    out_degree_sd_log: float = MISSING
    fitness_pareto_alpha: float = MISSING
    homophily_ideology: float = MISSING
    homophily_same_age: float = MISSING
    reciprocity: float = MISSING
    influencer_share: float = MISSING
    ideology_bins: int = MISSING


# behaviour


@dataclass
class SleepConfig:
    tau_rise_h: float = MISSING
    tau_fall_h: float = MISSING
    upper_threshold: float = MISSING
    lower_threshold: float = MISSING
    circadian_amplitude: float = MISSING
    circadian_phase_h: float = MISSING
    substeps_per_hour: int = MISSING
    alarm_hour: dict[str, float] = MISSING
    alarm_days: list[int] = MISSING
    stay_up_after_alarm_h: float = MISSING
    sleep_latency_min: float = MISSING
    arousal_latency_min_per_hostile: float = MISSING
    in_bed_use_logit: float = MISSING
    in_bed_use_habit: float = MISSING
    in_bed_use_notification: float = MISSING
    night_wake_prob: float = MISSING
    fall_back_asleep_min: float = MISSING
    debt_carryover: float = MISSING
    spin_up_days: int = MISSING


@dataclass
class SessionConfig:
    base_hazard: dict[str, float] = MISSING
    initial_habit: float = MISSING
    activity_profile: list[float] = MISSING
    habit_effect: float = MISSING
    habit_learning_rate: float = MISSING
    habit_target_minutes: float = MISSING
    notification_boost: float = MISSING
    notification_cap: int = MISSING
    self_control_per_debt_h: float = MISSING


@dataclass
class PostingConfig:
    reward_floor: float = MISSING
    feedback_delay_hours: int = MISSING
    style_base_shares: dict[str, float] = MISSING
    influencer_style_shares: dict[str, float] = MISSING
    style_learning_rate: float = MISSING
    style_inverse_temperature: float = MISSING
    quality_logit_mean: dict[str, float] = MISSING
    quality_logit_sd: float = MISSING


@dataclass
class ResponseConfig:
    like_intercept: float = MISSING
    like_tie: float = MISSING
    like_agreement: float = MISSING
    like_outrage: float = MISSING
    like_outrage_agreement: float = MISSING
    like_idealised: float = MISSING
    like_quality: float = MISSING
    like_popularity: float = MISSING
    like_supportive_tie: float = MISSING
    dwell_base_s: float = MISSING
    dwell_engagement_s: float = MISSING
    dwell_sd_log: float = MISSING
    continue_intercept: float = MISSING
    continue_engagement: float = MISSING
    continue_habit: float = MISSING
    continue_fatigue_per_item: float = MISSING
    engagement_memory: float = MISSING
    reshown_like_factor: float = MISSING
    hostile_reply_prob: float = MISSING
    max_session_minutes: float = MISSING


@dataclass
class ComparisonConfig:
    upward_mood: float = MISSING
    upward_self_esteem: float = MISSING
    downward_mood: float = MISSING
    status_scale: float = MISSING
    follower_status_weight: float = MISSING
    like_status_weight: float = MISSING
    hidden_counts_status_factor: float = MISSING
    upward_habituation: float = MISSING


@dataclass
class WellbeingConfig:
    mood_half_life_h: float = MISSING
    mood_noise_sd: float = MISSING
    session_mood_cap: float = MISSING
    session_event_threshold: float = MISSING
    hostile_mood: float = MISSING
    negativity_bias: float = MISSING
    supportive_mood: float = MISSING
    like_given_mood: float = MISSING
    feedback_mood: float = MISSING
    feedback_event_threshold: float = MISSING
    hostile_reply_mood: float = MISSING
    sleep_deficit_mood: float = MISSING
    self_esteem_relax_per_day: float = MISSING
    self_esteem_feedback: float = MISSING
    symptoms_time_constant_days: float = MISSING
    symptoms_negative_share: float = MISSING
    symptoms_positive_share: float = MISSING
    symptoms_sleep_debt: float = MISSING
    symptoms_loneliness: float = MISSING
    symptoms_self_esteem: float = MISSING
    symptoms_mood: float = MISSING
    loneliness_relax_per_day: float = MISSING
    loneliness_displacement_per_h: float = MISSING
    loneliness_displacement_free_h: float = MISSING
    loneliness_meaningful: float = MISSING
    mood_self_esteem: float = MISSING
    mood_symptoms: float = MISSING
    mood_loneliness: float = MISSING
    composite_weights: dict[str, float] = MISSING


@dataclass
class OpinionConfig:
    initial_base: float = MISSING
    initial_per_extremity: float = MISSING
    initial_sd: float = MISSING
    outgroup_hostile_rate: float = MISSING
    civil_crosscut_rate: float = MISSING
    relax_per_day: float = MISSING
    outgroup_distance: float = MISSING


@dataclass
class BehaviourConfig:
    name: str = MISSING
    sleep: SleepConfig = field(default_factory=SleepConfig)
    sessions: SessionConfig = field(default_factory=SessionConfig)
    posting: PostingConfig = field(default_factory=PostingConfig)
    response: ResponseConfig = field(default_factory=ResponseConfig)
    comparison: ComparisonConfig = field(default_factory=ComparisonConfig)
    wellbeing: WellbeingConfig = field(default_factory=WellbeingConfig)
    opinion: OpinionConfig = field(default_factory=OpinionConfig)


# policy / platform / metrics


@dataclass
class PolicyConfig:
    name: str = MISSING
    k: int = MISSING
    m: int = MISSING
    out_of_network: bool = MISSING
    oon_candidates: int = MISSING
    pool_share: float = MISSING
    pool_key: str = MISSING
    max_age_hours: int = MISSING
    per_followee_cap: int = MISSING
    author_cap: int = MISSING
    show_seen: bool = MISSING
    estimation_noise: float = MISSING
    weights: dict[str, float] = MISSING
    protected_factor: float = MISSING
    # a plug-in rule, "module:function" (sim/ranking/plugins.py); "" = the built-in linear rule;
    # None = required but not given (policy=custom)
    score: Any = ""


@dataclass
class NotificationConfig:
    mode: str = MISSING
    batch_hours: int = MISSING
    quiet_start: int = MISSING
    quiet_end: int = MISSING


@dataclass
class BridgingModelConfig:
    learning_rate: float = MISSING
    factor_learning_rate_min: float = MISSING
    prior_obs: float = MISSING
    reg_intercept: float = MISSING
    reg_factor: float = MISSING
    mean_rate: float = MISSING
    initial_factor_sd: float = MISSING


@dataclass
class PauseNudgeConfig:
    enabled: bool = MISSING
    after_minutes: float = MISSING
    compliance: float = MISSING


@dataclass
class TimeLimitConfig:
    mode: str = MISSING
    minutes: float = MISSING
    applies_to: str = MISSING
    reminder_compliance: float = MISSING


@dataclass
class TeenAccountsConfig:
    enabled: bool = MISSING
    quiet_start: int = MISSING
    quiet_end: int = MISSING
    hide_counts: bool = MISSING
    no_out_of_network_idealised: bool = MISSING


@dataclass
class ModerationConfig:
    enabled: bool = MISSING
    recall: float = MISSING
    precision: float = MISSING
    latency_hours: int = MISSING
    strikes: int = MISSING
    suspension_days: float = MISSING


@dataclass
class DeactivationConfig:
    enabled: bool = MISSING
    share: float = MISSING
    start_day: int = MISSING
    end_day: int = MISSING
    groups: list[str] = MISSING


@dataclass
class MediaLiteracyConfig:
    enabled: bool = MISSING
    share: float = MISSING
    comparison_factor: float = MISSING
    outrage_factor: float = MISSING


@dataclass
class PlatformConfig:
    name: str = MISSING
    bridging_model: BridgingModelConfig = field(default_factory=BridgingModelConfig)
    counts: str = MISSING
    notifications: NotificationConfig = field(default_factory=NotificationConfig)
    feed_end: str = MISSING
    stopping_cue_items: int = MISSING
    stopping_cue_stop: float = MISSING
    pause_nudge: PauseNudgeConfig = field(default_factory=PauseNudgeConfig)
    time_limit: TimeLimitConfig = field(default_factory=TimeLimitConfig)
    teen_accounts: TeenAccountsConfig = field(default_factory=TeenAccountsConfig)
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    deactivation: DeactivationConfig = field(default_factory=DeactivationConfig)
    media_literacy: MediaLiteracyConfig = field(default_factory=MediaLiteracyConfig)


@dataclass
class MetricsConfig:
    elevated_symptoms_threshold: float = MISSING
    late_onset_hour: float = MISSING
    night_start_hour: int = MISSING
    night_end_hour: int = MISSING
    bridging_min_rate: float = MISSING
    bridging_min_impressions: int = MISSING


@dataclass
class OutputConfig:
    dir: str = MISSING
    name: str = MISSING
    sweeps: str = MISSING


@dataclass
class SimConfig:
    label: str = MISSING
    seed: int = MISSING
    n_users: int = MISSING
    days: int = MISSING
    offline_days: int = MISSING
    threads: int = MISSING
    progress: bool = MISSING
    check_finite: str = MISSING
    output: OutputConfig = field(default_factory=OutputConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    analysis: Any = None  # conf/analysis/: an analysis over many runs (sim/sensitivity.py)


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
    except Exception as e:  # Hydra and OmegaConf raise many types; all become one line
        raise explain(e, overrides) from None
    validate(cfg)
    return cfg


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
            for o in overrides:
                key, _, value = o.partition("=")
                if key.lstrip("+") == group:
                    options = group_options(group)
                    return ConfigError(f"{group}={value!r} is not allowed: choose one of " + ", ".join(options))
    if isinstance(cause, ValidationError):
        key = getattr(cause, "full_key", "") or "?"
        value = next((o.partition("=")[2] for o in overrides if o.partition("=")[0].lstrip("+~") == key), None)
        msg = str(cause).splitlines()[0]
        if "could not be converted to" in msg:
            kind = msg.rsplit("converted to", 1)[1].strip().lower()
            return ConfigError(f"{key}={value!r} is not allowed: must be a{'n' if kind[:1] in 'aeiou' else ''} {kind}")
        return ConfigError(f"{key}={value!r} is not allowed: {_allowed_for(key, msg)}")
    text = str(e)
    if any(
        w in text for w in ("no viable alternative", "mismatched input", "token recognition error", "extraneous input")
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
        value = next((o.partition("=")[2] for o in overrides if o.partition("=")[0].lstrip("+~") == key), None)
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
            "e.g. policy=custom policy.score=myrules:friends_first (docs/plugins.md)"
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
    if c.get("offline_days") < 0:
        fail("offline_days", c.get("offline_days"), "must be 0 or a positive integer")
    if c.get("threads") < 0:
        fail("threads", c.get("threads"), "must be 0 (all cores) or a positive number of threads")

    c.choice("check_finite", guards.MODES)

    for check in SECTION_CHECKS:
        check(c)


# Each module's checks of its own settings, in the order of the config tree.
SECTION_CHECKS = (
    population.check_settings,
    network.check_settings,
    sleep.check_settings,
    sessions.check_settings,
    posting.check_settings,
    response.check_settings,
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
    metrics.check_settings,
)
