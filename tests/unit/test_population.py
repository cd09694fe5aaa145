"""Population: shares, vulnerable prevalence, traits and posting phenotypes (Turner et al. 2025)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import network, population
from sim.rng import Streams


@pytest.fixture(scope="module")
def people():
    from sim.config import compose

    cfg = compose(["n_users=20000", "progress=false"])
    streams = Streams(cfg.seed)
    users = population.generate(cfg, cfg.n_users, streams)
    network.generate(cfg, users, streams)
    population.finalize_posting(cfg, users, streams)
    return cfg, users


def test_age_shares_and_vulnerable_prevalence(people):
    cfg, u = people
    for i, g in enumerate(("adolescent", "young_adult", "adult")):
        in_group = u.age_group == i
        assert in_group.mean() == pytest.approx(cfg.population.age_shares[g], abs=0.015)
        assert u.vulnerable[in_group].mean() == pytest.approx(cfg.population.vulnerable_share[g], abs=0.02)


def test_vulnerable_users_compare_more_are_more_sensitive_and_start_with_more_symptoms(people):
    _, u = people
    v = u.vulnerable == 1
    assert u.comparison[v].mean() > 1.3 * u.comparison[~v].mean()
    assert u.feedback_sensitivity[v].mean() > 1.5 * u.feedback_sensitivity[~v].mean()
    assert u.symptoms[v].mean() > u.symptoms[~v].mean() + 1.0
    assert u.use_propensity[v].mean() > 1.3 * u.use_propensity[~v].mean()


def test_comparison_orientation_is_zero_for_a_large_minority(people):
    cfg, u = people
    assert (u.comparison == 0).mean() == pytest.approx(cfg.population.traits.comparison_zero_share, abs=0.02)


def test_posting_phenotypes_reproduce_the_turner_sample(people):
    """Among regular posters (not professional accounts): median time between posts and habit weight."""
    cfg, u = people
    regular = (u.poster == 1) & (u.influencer == 0)
    tpost_days = u.habit_delay_h[regular] / cfg.population.phenotypes.awake_hours_per_day
    fit = json.loads((population.PARAMS_DIR / "turner2025_phenotypes.json").read_text())["summary"]
    assert np.median(tpost_days) == pytest.approx(fit["mean_tpost_days"]["median"], rel=0.1)
    assert np.median(u.habit_weight[regular]) == pytest.approx(fit["habit_weight"]["median"], abs=0.03)
    lurkers = u.poster == 0
    ratio = np.median(u.habit_delay_h[lurkers]) / np.median(u.habit_delay_h[regular])
    assert ratio == pytest.approx(cfg.population.phenotypes.lurker_tpost_factor, rel=0.15)


def test_phenotype_dependence_is_kept(people):
    """The copula keeps the negative rank correlation of habit weight and habit learning rate (-0.47)."""
    from scipy.stats import spearmanr

    _, u = people
    rho = spearmanr(u.habit_weight, u.alpha_habit).statistic
    assert rho == pytest.approx(-0.47, abs=0.06)


def test_same_seed_same_people_different_seed_different_people():
    from sim.config import compose

    a = population.generate(compose(["n_users=500"]), 500, Streams(1))
    b = population.generate(compose(["n_users=500"]), 500, Streams(1))
    c = population.generate(compose(["n_users=500"]), 500, Streams(2))
    assert np.array_equal(a.ideology, b.ideology) and np.array_equal(a.comparison, b.comparison)
    assert not np.array_equal(a.ideology, c.ideology)
