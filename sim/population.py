"""The simulated population: age groups, the vulnerable subgroup, traits and posting phenotypes.

Draws use the ``population`` (traits) and ``posting`` (initial posting clocks) named streams, so two
scenarios with the same seed share the same people (common random numbers). Sources of each constant are given in ``conf/population/default.yaml``
and ``docs/reference/model.md``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import (
    ndtr,  # the normal CDF (scipy.stats.norm.cdf calls it; importing stats costs 0.4 s)
)

from sim.behaviour.interests import draw_user_interests
from sim.behaviour.sleep import draw_threshold_offsets
from sim.checks import Checker, fail
from sim.ranking.seen import memory_days
from sim.rng import Streams
from sim.state import UserState
from sim.vocabulary import AGE_GROUPS, STYLES

PARAMS_DIR = Path(__file__).resolve().parent / "params"


@lru_cache(maxsize=4)
def load_phenotype_model(source: str) -> dict:
    path = PARAMS_DIR / f"{source}_phenotypes.json"
    return json.loads(path.read_text())


def sample_phenotypes(model: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw n posting phenotypes from the Gaussian copula fitted by sim.calibration.phenotypes."""
    corr = np.asarray(model["correlation"])
    probs = np.asarray(model["probabilities"])
    z = rng.multivariate_normal(np.zeros(len(corr)), corr, size=n, method="cholesky")
    u = ndtr(z)
    out = {}
    for j, name in enumerate(model["variables"]):
        marginal = model["marginals"][name]
        y = np.interp(u[:, j], probs, np.asarray(marginal["knots"]))
        out[name] = np.exp(y) if marginal["transform"] == "log" else 1.0 / (1.0 + np.exp(-y))
    return out


def generate(cfg, n: int, streams: Streams) -> UserState:
    """Draw every user's traits and initial state except what depends on the follow graph."""
    pc, tr = cfg.population, cfg.population.traits
    rng = streams.generator("population")

    users = UserState(n, seen_days=memory_days(cfg.policy.max_age_hours))

    shares = np.array([pc.age_shares[g] for g in AGE_GROUPS])
    age = rng.choice(len(AGE_GROUPS), size=n, p=shares / shares.sum())
    users.age_group[:] = age
    vuln_p = np.array([pc.vulnerable_share[g] for g in AGE_GROUPS])[age]
    vulnerable = rng.random(n) < vuln_p
    users.vulnerable[:] = vulnerable

    side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    users.ideology[:] = np.clip(side * tr.ideology_mode + rng.normal(0, tr.ideology_sd, n), -1, 1)

    comparison = np.where(
        rng.random(n) < tr.comparison_zero_share, 0.0, rng.gamma(tr.comparison_shape, tr.comparison_scale, n)
    )
    users.comparison[:] = comparison * np.where(vulnerable, tr.comparison_vulnerable_factor, 1.0)
    fs = rng.lognormal(-0.5 * tr.feedback_sensitivity_sd**2, tr.feedback_sensitivity_sd, n)
    users.feedback_sensitivity[:] = fs * np.where(vulnerable, tr.feedback_vulnerable_factor, 1.0)
    users.outrage_susceptibility[:] = rng.lognormal(
        -0.5 * tr.outrage_susceptibility_sd**2, tr.outrage_susceptibility_sd, n
    )
    use = rng.lognormal(-0.5 * tr.use_propensity_sd**2, tr.use_propensity_sd, n)
    users.use_propensity[:] = use * np.where(vulnerable, tr.use_vulnerable_factor, 1.0)

    shift_h = np.array([tr.chronotype_shift_h[g] for g in AGE_GROUPS])[age] + rng.normal(0, tr.chronotype_sd_h, n)
    sc = cfg.behaviour.sleep
    dt_h = 1.0 / sc.substeps_per_hour
    users.circadian_shift[:] = np.round((sc.circadian_phase_h + shift_h) / dt_h).astype(np.int32)

    users.mood_trait[:] = rng.normal(0, 1, n)
    users.self_esteem_trait[:] = rng.normal(0, 1, n) + vulnerable * tr.vulnerable_self_esteem_shift
    users.symptoms_trait[:] = rng.normal(0, 1, n) + vulnerable * tr.vulnerable_symptom_shift
    users.loneliness_trait[:] = rng.normal(0, 1, n) + vulnerable * tr.vulnerable_loneliness_shift
    oc = cfg.behaviour.opinion
    users.polarization_trait[:] = np.clip(
        oc.initial_base + oc.initial_per_extremity * np.abs(users.ideology) + rng.normal(0, oc.initial_sd, n), 0, 1
    )

    ph = pc.phenotypes
    pheno = sample_phenotypes(load_phenotype_model(ph.source), n, rng)
    users.poster[:] = rng.random(n) < ph.poster_share
    tpost_days = pheno["mean_tpost_days"] * np.where(users.poster, 1.0, ph.lurker_tpost_factor)
    # The posting clock runs in awake hours (DESIGN: "in hours, only while awake").
    users.habit_delay_h[:] = tpost_days * ph.awake_hours_per_day
    users.habit_weight[:] = pheno["habit_weight"]
    users.alpha_habit[:] = pheno["alpha_habit"]
    users.alpha_reward[:] = pheno["alpha_reward"]

    users.mood[:] = users.mood_trait
    users.self_esteem[:] = users.self_esteem_trait
    users.symptoms[:] = users.symptoms_trait
    users.loneliness[:] = users.loneliness_trait
    users.polarization[:] = users.polarization_trait
    users.habit[:] = cfg.behaviour.sessions.initial_habit
    users.recent_value[:] = cfg.behaviour.sessions.value_reference  # sessions as valuable as usual
    users.mf_factor[:] = rng.normal(0, cfg.platform.bridging_model.initial_factor_sd, n)
    # Drawn last so that adding it left every earlier draw (and so every other trait) unchanged.
    users.sleep_threshold_offset[:] = draw_threshold_offsets(cfg, tr.sleep_threshold_sd, n, rng)
    draw_user_interests(cfg, users, streams)  # a stream of its own
    return users


def finalize_posting(cfg, users: UserState, streams: Streams) -> None:
    """Posting state that depends on the follow graph (followers, influencer status)."""
    ph = cfg.population.phenotypes
    rng = streams.generator("posting")
    infl = users.influencer.astype(bool)
    users.poster[infl] = 1
    users.habit_delay_h[infl] = ph.influencer_tpost_days * ph.awake_hours_per_day
    r0 = ph.initial_likes_intercept + ph.initial_likes_per_follower * users.followers
    users.expected_likes[:] = np.maximum(r0, cfg.behaviour.posting.reward_floor)
    # Cost C such that the reward-driven delay C / R starts equal to the habitual delay H (the user's
    # observed mean time between posts), so both parts of P = w*H + (1-w)*C/R agree at the outset.
    users.post_cost[:] = users.habit_delay_h * users.expected_likes
    users.style_value[:] = np.log1p(users.expected_likes)[:, None]
    # First post after an exponential delay with mean H, as for every later post.
    users.post_clock_h[:] = users.habit_delay_h * rng.exponential(1.0, users.n)


def style_prior(cfg, users: UserState) -> np.ndarray:
    """Per-user base shares of the four post styles (influencers post mostly idealised content)."""
    pc = cfg.behaviour.posting
    base = np.array([pc.style_base_shares[s] for s in STYLES], dtype=np.float32)
    infl = np.array([pc.influencer_style_shares[s] for s in STYLES], dtype=np.float32)
    return np.where(users.influencer[:, None].astype(bool), infl[None, :], base[None, :]).astype(np.float32)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``population`` settings (run by ``sim.config.validate``)."""
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
    c.positive(
        f"{tr}.comparison_shape",
        f"{tr}.comparison_scale",
        f"{tr}.comparison_vulnerable_factor",
        f"{tr}.feedback_vulnerable_factor",
        f"{tr}.use_vulnerable_factor",
    )
    c.non_negative(
        f"{tr}.feedback_sensitivity_sd",
        f"{tr}.outrage_susceptibility_sd",
        f"{tr}.use_propensity_sd",
        f"{tr}.chronotype_sd_h",
        f"{tr}.sleep_threshold_sd",
        f"{tr}.ideology_sd",
    )
    c.per_group(f"{tr}.chronotype_shift_h", c.finite)
    m = c.finite(f"{tr}.ideology_mode")
    if not 0 <= m <= 1:
        fail(f"{tr}.ideology_mode", m, "must be in [0, 1] (ideology lies in [-1, 1])")
