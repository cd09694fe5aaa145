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
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

AGE_GROUPS = ("adolescent", "young_adult", "adult")
STYLES = ("personal", "idealised", "outrage", "informational")


class ConfigError(ValueError):
    """A setting has a value that is not allowed. The message is one line, fit for a user."""


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
    experiment: Any = None  # conf/experiment/: an analysis over many runs (sim/sensitivity.py)


CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
GROUPS = ("population", "network", "behaviour", "policy", "platform", "scenario")


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
    from sim import named_rules

    ConfigStore.instance().store(name="sim_schema", node=SimConfig)
    named_rules.register()
    if not OmegaConf.has_resolver("run_dir_name"):
        OmegaConf.register_new_resolver("run_dir_name", run_dir_name)


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


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
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3", job_name="sim"):
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
        for group in GROUPS + ("experiment",):
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
    if any(w in text for w in ("no viable alternative", "mismatched input", "token recognition error",
                               "extraneous input")):
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parser = OverridesParser.create()
        for o in overrides:
            try:
                parser.parse_overrides([o])
            except Exception as parse_error:  # the override parser raises Hydra's and ANTLR's types
                reason = str(parse_error).strip().splitlines()[0]
                return ConfigError(f"{o} cannot be read ({reason}): quote values with special characters, "
                                   "e.g. 'experiment.compare.alternative=[\"policy=civic\"]'")
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
    from sim.ranking.features import FEATURES

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

POOL_KEYS = ("virality", "bridging", "recent")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, DictConfig)):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value)


def fail(setting: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{setting}={_fmt(value)} is not allowed: {allowed}")


class _Checker:
    def __init__(self, cfg: DictConfig):
        self.cfg = cfg

    def get(self, path: str) -> Any:
        return OmegaConf.select(self.cfg, path, throw_on_missing=True)

    def finite(self, path: str) -> float:
        v = self.get(path)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            fail(path, v, "must be a finite number")
        return float(v)

    def positive(self, *paths: str) -> None:
        for p in paths:
            if self.finite(p) <= 0:
                fail(p, self.get(p), "must be greater than 0")

    def non_negative(self, *paths: str) -> None:
        for p in paths:
            if self.finite(p) < 0:
                fail(p, self.get(p), "must be 0 or greater")

    def probability(self, *paths: str, allowed: str = "must be a probability in [0, 1]") -> None:
        for p in paths:
            v = self.finite(p)
            if not 0.0 <= v <= 1.0:
                fail(p, self.get(p), allowed)

    def hour(self, *paths: str, integer: bool = True) -> None:
        for p in paths:
            v = self.finite(p)
            if not 0 <= v < 24 or (integer and v != int(v)):
                fail(p, self.get(p), "must be an hour of the day, 0-23" if integer else
                     "must be a time of day in hours, 0 <= h < 24")

    def choice(self, path: str, allowed: tuple[str, ...]) -> None:
        v = self.get(path)
        if v not in allowed:
            fail(path, v, "choose one of " + ", ".join(allowed))

    def shares(self, path: str, keys: tuple[str, ...], what: str) -> None:
        d = self.get(path)
        unknown = [k for k in d if k not in keys]
        if unknown:
            fail(f"{path}.{unknown[0]}", d[unknown[0]], f"unknown {what}; known: " + ", ".join(keys))
        missing = [k for k in keys if k not in d]
        if missing:
            fail(path, d, f"must give a share for every {what}; missing: " + ", ".join(missing))
        for k in keys:
            self.probability(f"{path}.{k}")
        total = sum(float(d[k]) for k in keys)
        if abs(total - 1.0) > 1e-6:
            fail(path, d, f"shares must sum to 1 (they sum to {total:g})")

    def per_key(self, path: str, keys: tuple[str, ...], what: str, check) -> None:
        d = self.get(path)
        for k in d:
            if k not in keys:
                fail(f"{path}.{k}", d[k], f"unknown {what}; known: " + ", ".join(keys))
        for k in keys:
            if k not in d:
                fail(path, d, f"must give a value for every {what}; missing: {k}")
            check(f"{path}.{k}")

    def per_group(self, path: str, check) -> None:
        self.per_key(path, AGE_GROUPS, "age group", check)


def _check_all_finite(node, prefix: str = "") -> None:
    """Every number anywhere in the config must be finite."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        path = f"{prefix}.{k}" if prefix and isinstance(node, dict) else (f"{prefix}[{k}]" if prefix else str(k))
        if isinstance(v, (dict, list)):
            _check_all_finite(v, path)
        elif isinstance(v, float) and not math.isfinite(v):
            fail(path, v, "must be a finite number")


def _takes_score(policy_name: str) -> bool:
    """Whether a policy ranks by ``policy.score``: custom, a rule named as the policy, or a policy file of a
    user's own that sets ``score`` (docs/plugins.md); not a built-in rule."""
    path = CONF_DIR / "policy" / f"{policy_name}.yaml"
    if not path.is_file():
        return True  # registered from a rule (sim/named_rules.py)
    node = OmegaConf.load(path)
    return "score" in node or "custom" in list(node.get("defaults") or [])


def _check_nothing_missing(cfg: DictConfig) -> None:
    if cfg.policy.get("score", "") is None:
        raise ConfigError("policy.score is not set: name your ranking rule as module:function, "
                          "e.g. policy=custom policy.score=myrules:friends_first (docs/plugins.md)")
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
    c = _Checker(cfg)
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
        fail("n_users", c.get("n_users"),
             f"needs about {c.get('n_users') * PEAK_BYTES_PER_USER / 1e9:,.0f} GB of memory (about "
             f"{PEAK_BYTES_PER_USER / 1e3:.0f} kB per user at peak, benchmarks/RESULTS.md) but this machine has "
             f"{memory / 1e9:.0f} GB: at most {memory // PEAK_BYTES_PER_USER:,} users fit")
    if c.get("offline_days") < 0:
        fail("offline_days", c.get("offline_days"), "must be 0 or a positive integer")
    if c.get("threads") < 0:
        fail("threads", c.get("threads"), "must be 0 (all cores) or a positive number of threads")
    from sim.guards import MODES as CHECK_MODES

    c.choice("check_finite", CHECK_MODES)

    # population
    c.shares("population.age_shares", AGE_GROUPS, "age group")
    c.per_group("population.vulnerable_share", c.probability)
    ph = "population.phenotypes"
    c.choice(f"{ph}.source", ("turner2025",))
    c.probability(f"{ph}.poster_share")
    c.positive(f"{ph}.lurker_tpost_factor", f"{ph}.awake_hours_per_day", f"{ph}.influencer_tpost_days")
    c.non_negative(f"{ph}.initial_likes_intercept", f"{ph}.initial_likes_per_follower")
    if c.finite(f"{ph}.awake_hours_per_day") > 24:
        fail(f"{ph}.awake_hours_per_day", c.get(f"{ph}.awake_hours_per_day"), "must be at most 24")
    tr = "population.traits"
    c.probability(f"{tr}.comparison_zero_share")
    c.positive(f"{tr}.comparison_shape", f"{tr}.comparison_scale", f"{tr}.comparison_vulnerable_factor",
               f"{tr}.feedback_vulnerable_factor", f"{tr}.use_vulnerable_factor")
    c.non_negative(f"{tr}.feedback_sensitivity_sd", f"{tr}.outrage_susceptibility_sd",
                   f"{tr}.use_propensity_sd", f"{tr}.chronotype_sd_h", f"{tr}.sleep_threshold_sd",
                   f"{tr}.ideology_sd")
    c.per_group(f"{tr}.chronotype_shift_h", c.finite)
    m = c.finite(f"{tr}.ideology_mode")
    if not 0 <= m <= 1:
        fail(f"{tr}.ideology_mode", m, "must be in [0, 1] (ideology lies in [-1, 1])")

    # network
    n = "network"
    c.positive(f"{n}.mean_out_degree", f"{n}.fitness_pareto_alpha")
    c.non_negative(f"{n}.out_degree_sd_log", f"{n}.homophily_ideology", f"{n}.homophily_same_age")
    c.probability(f"{n}.reciprocity", f"{n}.influencer_share")
    if c.get(f"{n}.mean_out_degree") >= c.get("n_users"):
        fail(f"{n}.mean_out_degree", c.get(f"{n}.mean_out_degree"),
             f"must be below n_users ({c.get('n_users')}); for a small population set a smaller degree, "
             f"e.g. network.mean_out_degree={max(1, c.get('n_users') // 5)}")
    if c.get(f"{n}.ideology_bins") < 1:
        fail(f"{n}.ideology_bins", c.get(f"{n}.ideology_bins"), "must be a positive integer")

    # behaviour
    s = "behaviour.sleep"
    c.positive(f"{s}.tau_rise_h", f"{s}.tau_fall_h", f"{s}.substeps_per_hour")
    c.non_negative(f"{s}.circadian_amplitude", f"{s}.sleep_latency_min",
                   f"{s}.arousal_latency_min_per_hostile", f"{s}.fall_back_asleep_min",
                   f"{s}.spin_up_days")
    c.probability(f"{s}.upper_threshold", f"{s}.lower_threshold", f"{s}.night_wake_prob",
                  f"{s}.debt_carryover")
    from sim.behaviour.sleep import circadian_range

    c_min, c_max = circadian_range()
    up, lo, amp = c.get(f"{s}.upper_threshold"), c.get(f"{s}.lower_threshold"), c.get(f"{s}.circadian_amplitude")
    if up + amp * c_max >= 1.0:
        fail(f"{s}.upper_threshold", up, f"must leave upper_threshold + circadian_amplitude * {c_max:.2f} below 1 "
             "(sleep pressure never reaches 1, so nobody would ever sleep)")
    if lo + amp * c_min <= 0.0:
        fail(f"{s}.lower_threshold", lo, f"must keep lower_threshold + circadian_amplitude * ({c_min:.2f}) above 0 "
             "(sleep pressure never reaches 0, so nobody would ever wake)")
    if lo + amp * c_max >= up + amp * c_min:
        fail(f"{s}.lower_threshold", lo, f"must stay below the upper threshold at all times of day "
             f"(lower + amplitude * {c_max:.2f} < upper + amplitude * ({c_min:.2f}))")
    c.non_negative(f"{s}.stay_up_after_alarm_h", f"{s}.in_bed_use_habit", f"{s}.in_bed_use_notification")
    c.hour(f"{s}.circadian_phase_h", integer=False)
    c.per_group(f"{s}.alarm_hour", lambda p: c.hour(p, integer=False))
    for i, d in enumerate(c.get(f"{s}.alarm_days")):
        if d not in range(7):
            fail(f"{s}.alarm_days[{i}]", d, "must be a day of the week, 0 (Monday) to 6 (Sunday)")
    if 60 % c.get(f"{s}.substeps_per_hour"):
        fail(f"{s}.substeps_per_hour", c.get(f"{s}.substeps_per_hour"), "must divide 60")

    se = "behaviour.sessions"
    c.per_group(f"{se}.base_hazard", c.non_negative)
    prof = c.get(f"{se}.activity_profile")
    if len(prof) != 24:
        fail(f"{se}.activity_profile", f"<{len(prof)} values>", "must list 24 hourly values")
    for i in range(24):
        c.non_negative(f"{se}.activity_profile[{i}]")
    c.non_negative(f"{se}.habit_effect", f"{se}.notification_boost", f"{se}.notification_cap",
                   f"{se}.self_control_per_debt_h")
    c.probability(f"{se}.habit_learning_rate", f"{se}.initial_habit")
    c.positive(f"{se}.habit_target_minutes")

    po = "behaviour.posting"
    c.positive(f"{po}.reward_floor")
    c.shares(f"{po}.style_base_shares", STYLES, "post style")
    c.shares(f"{po}.influencer_style_shares", STYLES, "post style")
    c.probability(f"{po}.style_learning_rate")
    c.non_negative(f"{po}.style_inverse_temperature")
    c.per_key(f"{po}.quality_logit_mean", STYLES, "post style", c.finite)
    c.non_negative(f"{po}.quality_logit_sd")
    if c.get(f"{po}.feedback_delay_hours") < 1:
        fail(f"{po}.feedback_delay_hours", c.get(f"{po}.feedback_delay_hours"), "must be at least 1")

    r = "behaviour.response"
    for key in ("like_intercept", "like_tie", "like_agreement", "like_outrage", "like_outrage_agreement",
                "like_idealised", "like_quality", "like_popularity", "like_supportive_tie",
                "continue_intercept", "continue_engagement", "continue_habit"):
        c.finite(f"{r}.{key}")
    c.positive(f"{r}.dwell_base_s", f"{r}.max_session_minutes")
    c.non_negative(f"{r}.dwell_engagement_s", f"{r}.dwell_sd_log", f"{r}.continue_fatigue_per_item")
    c.probability(f"{r}.hostile_reply_prob", f"{r}.engagement_memory", f"{r}.reshown_like_factor")
    if c.get(f"{r}.max_session_minutes") > 60:
        fail(f"{r}.max_session_minutes", c.get(f"{r}.max_session_minutes"),
             "must be at most 60 (a step is one hour)")

    cm = "behaviour.comparison"
    c.non_negative(f"{cm}.upward_mood", f"{cm}.upward_self_esteem", f"{cm}.downward_mood",
                   f"{cm}.follower_status_weight", f"{cm}.like_status_weight", f"{cm}.upward_habituation")
    c.positive(f"{cm}.status_scale")
    c.probability(f"{cm}.hidden_counts_status_factor")

    w = "behaviour.wellbeing"
    c.positive(f"{w}.mood_half_life_h", f"{w}.symptoms_time_constant_days", f"{w}.session_mood_cap")
    c.non_negative(f"{w}.mood_noise_sd", f"{w}.session_event_threshold")
    for key in ("hostile_mood", "negativity_bias", "feedback_event_threshold", "symptoms_positive_share", "supportive_mood", "like_given_mood", "feedback_mood",
                "hostile_reply_mood", "sleep_deficit_mood", "self_esteem_feedback",
                "symptoms_negative_share", "symptoms_sleep_debt", "symptoms_loneliness",
                "symptoms_self_esteem", "symptoms_mood", "loneliness_displacement_per_h",
                "loneliness_displacement_free_h", "loneliness_meaningful", "mood_self_esteem",
                "mood_symptoms", "mood_loneliness"):
        c.non_negative(f"{w}.{key}")
    c.probability(f"{w}.self_esteem_relax_per_day", f"{w}.loneliness_relax_per_day")
    comps = ("mood", "self_esteem", "symptoms", "loneliness")
    c.shares(f"{w}.composite_weights", comps, "wellbeing component")

    o = "behaviour.opinion"
    c.probability(f"{o}.initial_base", f"{o}.relax_per_day", f"{o}.outgroup_hostile_rate",
                  f"{o}.civil_crosscut_rate")
    c.non_negative(f"{o}.initial_per_extremity", f"{o}.initial_sd")
    if not 0 < c.finite(f"{o}.outgroup_distance") <= 2:
        fail(f"{o}.outgroup_distance", c.get(f"{o}.outgroup_distance"), "must be in (0, 2]")

    # policy
    p = "policy"
    c.choice(f"{p}.pool_key", POOL_KEYS)
    for key in ("k", "m", "max_age_hours"):
        if c.get(f"{p}.{key}") <= 0:
            fail(f"{p}.{key}", c.get(f"{p}.{key}"), "must be a positive integer")
    c.probability(f"{p}.pool_share")
    for key in ("oon_candidates", "author_cap", "per_followee_cap"):
        if c.get(f"{p}.{key}") < 0:
            fail(f"{p}.{key}", c.get(f"{p}.{key}"), "must be 0 or a positive integer")
    k, mm = c.get(f"{p}.k"), c.get(f"{p}.m")
    if k > mm:
        fail(f"{p}.k", k, f"must not exceed the candidate pool policy.m ({mm})")
    if c.get(f"{p}.max_age_hours") < c.get("behaviour.posting.feedback_delay_hours"):
        fail(f"{p}.max_age_hours", c.get(f"{p}.max_age_hours"),
             "must be at least behaviour.posting.feedback_delay_hours "
             f"({c.get('behaviour.posting.feedback_delay_hours')})")
    if c.get(f"{p}.out_of_network"):
        if c.get(f"{p}.oon_candidates") > mm:
            fail(f"{p}.oon_candidates", c.get(f"{p}.oon_candidates"),
                 f"must not exceed the candidate pool policy.m ({mm})")
        if c.get(f"{p}.pool_share") <= 0:
            fail(f"{p}.pool_share", c.get(f"{p}.pool_share"),
                 "must be greater than 0 when policy.out_of_network is true")
    c.non_negative(f"{p}.estimation_noise", f"{p}.protected_factor")
    from sim.ranking.features import FEATURES

    for name in c.get(f"{p}.weights"):
        if name not in FEATURES:
            fail(f"{p}.weights.{name}", c.get(f"{p}.weights")[name],
                 "unknown feature; known: " + ", ".join(FEATURES))
        c.finite(f"{p}.weights.{name}")

    score = c.get(f"{p}.score")
    if score not in ("", None) and not _takes_score(c.get(f"{p}.name")):
        name = c.get(f"{p}.name")
        fail(f"{p}.score", score, f"it applies only to policy=custom (policy={name} would be reported as {name} "
             f"but ranked by {score}); name the rule as the policy instead: policy={score}")
    if score not in ("", None):
        from sim.ranking.plugins import resolve
        from sim.ranking.policies import weight_vector

        resolve(score, weight_vector(c.get(f"{p}.weights")))

    # platform
    from sim.platform.display import COUNT_MODES
    from sim.platform.limits import FEED_ENDS, LIMIT_GROUPS, LIMIT_MODES
    from sim.platform.notifications import MODES as NOTIFICATION_MODES

    pl = "platform"
    c.choice(f"{pl}.counts", COUNT_MODES)
    c.choice(f"{pl}.notifications.mode", NOTIFICATION_MODES)
    c.hour(f"{pl}.notifications.quiet_start", f"{pl}.notifications.quiet_end")
    if (c.get(f"{pl}.notifications.mode") == "quiet_hours"
            and c.get(f"{pl}.notifications.quiet_start") == c.get(f"{pl}.notifications.quiet_end")):
        fail(f"{pl}.notifications.quiet_end", c.get(f"{pl}.notifications.quiet_end"),
             "must differ from platform.notifications.quiet_start (an empty quiet window)")
    bh = c.get(f"{pl}.notifications.batch_hours")
    if not isinstance(bh, int) or not 1 <= bh <= 24:
        fail(f"{pl}.notifications.batch_hours", bh, "must be an integer from 1 to 24")
    c.choice(f"{pl}.feed_end", FEED_ENDS)
    if c.get(f"{pl}.stopping_cue_items") <= 0:
        fail(f"{pl}.stopping_cue_items", c.get(f"{pl}.stopping_cue_items"), "must be a positive integer")
    c.probability(f"{pl}.stopping_cue_stop")
    if c.get(f"{pl}.feed_end") == "stopping_cue" and c.get(f"{pl}.stopping_cue_items") >= c.get("policy.k"):
        fail(f"{pl}.stopping_cue_items", c.get(f"{pl}.stopping_cue_items"),
             f"must be below the feed length policy.k ({c.get('policy.k')}), or the cue is never shown")
    pn = f"{pl}.pause_nudge"
    c.positive(f"{pn}.after_minutes")
    c.probability(f"{pn}.compliance")
    tl = f"{pl}.time_limit"
    c.choice(f"{tl}.mode", LIMIT_MODES)
    c.choice(f"{tl}.applies_to", LIMIT_GROUPS)
    c.positive(f"{tl}.minutes")
    if c.get(f"{tl}.minutes") >= 24 * 60:
        fail(f"{tl}.minutes", c.get(f"{tl}.minutes"), "must be below 1440 (the minutes in a day)")
    c.probability(f"{tl}.reminder_compliance")
    ta = f"{pl}.teen_accounts"
    c.hour(f"{ta}.quiet_start", f"{ta}.quiet_end")
    if c.get(f"{ta}.enabled") and c.get(f"{ta}.quiet_start") == c.get(f"{ta}.quiet_end"):
        fail(f"{ta}.quiet_end", c.get(f"{ta}.quiet_end"),
             f"must differ from {ta}.quiet_start (an empty quiet window)")
    mo = f"{pl}.moderation"
    c.probability(f"{mo}.recall", f"{mo}.precision")
    if c.get(f"{mo}.enabled") and c.get(f"{mo}.precision") == 0:
        fail(f"{mo}.precision", 0, "must be above 0 (a moderator that removes only innocent posts)")
    lat = c.get(f"{mo}.latency_hours")
    if not isinstance(lat, int) or lat < 0:
        fail(f"{mo}.latency_hours", lat, "must be 0 (before anyone sees a post) or a positive number of hours")
    if lat > c.get("policy.max_age_hours"):
        fail(f"{mo}.latency_hours", lat, f"must be at most policy.max_age_hours ({c.get('policy.max_age_hours')}); "
             "later, the post has left every feed")
    if c.get(f"{mo}.strikes") < 1:
        fail(f"{mo}.strikes", c.get(f"{mo}.strikes"), "must be a positive integer")
    c.non_negative(f"{mo}.suspension_days")
    de = f"{pl}.deactivation"
    c.probability(f"{de}.share")
    start, end, days = c.get(f"{de}.start_day"), c.get(f"{de}.end_day"), c.get("days")
    for key, day in ((f"{de}.start_day", start), (f"{de}.end_day", end)):  # a day, even while switched off
        if day < 0:
            fail(key, day, "must be a day number, 0 or more")
    if c.get(f"{de}.enabled"):
        if not 0 <= start < days:
            fail(f"{de}.start_day", start, f"must be a day of the run, 0 to {days - 1} (days={days})")
        if not start < end <= days:
            fail(f"{de}.end_day", end, f"must be after {de}.start_day ({start}) and at most days ({days})")
    groups = c.get(f"{de}.groups")
    for i, g in enumerate(groups):
        if g not in AGE_GROUPS:
            fail(f"{de}.groups[{i}]", g, "unknown age group; known: " + ", ".join(AGE_GROUPS))
    if c.get(f"{de}.enabled") and not groups:
        fail(f"{de}.groups", "[]", "must name at least one age group: " + ", ".join(AGE_GROUPS))
    ml = f"{pl}.media_literacy"
    c.probability(f"{ml}.share")
    c.probability(f"{ml}.comparison_factor", f"{ml}.outrage_factor",
                  allowed="must be in [0, 1]: training scales the trait down (1 = no effect)")
    bm = f"{pl}.bridging_model"
    c.positive(f"{bm}.prior_obs")
    c.probability(f"{bm}.learning_rate", f"{bm}.factor_learning_rate_min", f"{bm}.mean_rate")
    c.non_negative(f"{bm}.reg_intercept", f"{bm}.reg_factor", f"{bm}.initial_factor_sd")

    # metrics
    mt = "metrics"
    c.finite(f"{mt}.elevated_symptoms_threshold")
    c.hour(f"{mt}.late_onset_hour", integer=False)
    if c.get(f"{mt}.late_onset_hour") >= 12:
        fail(f"{mt}.late_onset_hour", c.get(f"{mt}.late_onset_hour"),
             "must be before noon (0 <= h < 12): onsets from noon on count as the previous night's")
    c.hour(f"{mt}.night_start_hour", f"{mt}.night_end_hour")
    if c.get(f"{mt}.night_start_hour") == c.get(f"{mt}.night_end_hour"):
        fail(f"{mt}.night_end_hour", c.get(f"{mt}.night_end_hour"),
             "must differ from metrics.night_start_hour (the night window would be empty)")
    c.probability(f"{mt}.bridging_min_rate")
    if c.get(f"{mt}.bridging_min_impressions") < 0:
        fail(f"{mt}.bridging_min_impressions", c.get(f"{mt}.bridging_min_impressions"),
             "must be 0 or a positive integer")
