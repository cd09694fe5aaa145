"""The schema of a run's configuration: Hydra structured configs, one dataclass per section.

The YAML files in ``conf/`` give the values and cite the sources of the behavioural constants (see also
``docs/reference/model.md``); the tree mirrors the code tree: ``population`` <-> ``sim/population.py``, ``network`` <->
``sim/network.py``, ``behaviour.*`` <-> ``sim/behaviour/*.py``, ``policy`` <-> ``sim/ranking/policies.py``,
``platform`` <-> ``sim/platform/``, ``metrics`` <-> ``sim/metrics.py``. ``sim.config`` composes and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

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
class ExternalAccountsConfig:
    accounts_per_user: float = MISSING
    min_accounts: int = MISSING
    follow_share: float = MISSING
    posts_per_day_mean: float = MISSING
    posts_per_day_sd_log: float = MISSING
    style_shares: dict[str, float] = MISSING
    style_consistency: float = MISSING


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
    external: ExternalAccountsConfig = field(default_factory=ExternalAccountsConfig)


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
    return_value_effect: float = MISSING
    value_reference: float = MISSING
    value_memory: float = MISSING


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
    like_interest: float = MISSING
    dwell_base_s: float = MISSING
    dwell_engagement_s: float = MISSING
    dwell_sd_log: float = MISSING
    continue_intercept: float = MISSING
    continue_engagement: float = MISSING
    continue_habit: float = MISSING
    continue_fatigue_per_item: float = MISSING
    engagement_memory: float = MISSING
    continue_arousal: float = MISSING
    reshown_like_factor: float = MISSING
    hostile_reply_prob: float = MISSING
    max_session_minutes: float = MISSING


@dataclass
class InterestsConfig:
    topics: int = MISSING
    topic_consistency: float = MISSING


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
    interests: InterestsConfig = field(default_factory=InterestsConfig)
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
class EngagementModelConfig:
    kind: str = MISSING
    learning_rate: float = MISSING
    user_learning_rate: float = MISSING
    shrinkage: float = MISSING
    dwell_learning_rate: float = MISSING
    initial_like_rate: float = MISSING


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
    engagement_model: EngagementModelConfig = field(default_factory=EngagementModelConfig)
    counts: str = MISSING
    notifications: NotificationConfig = field(default_factory=NotificationConfig)
    feed_end: str = MISSING
    stopping_cue_items: int = MISSING
    stopping_cue_stop: float = MISSING
    page_items: int = MISSING
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
