"""The statistics the validation experiments compute, against values worked out by hand or by SciPy."""

import numpy as np
import pytest
from scipy import stats as sps

from sim.experiments import stats


def test_odds_ratio_of_a_two_by_two_table():
    # a=30 exposed with the outcome, b=10 without; c=15 unexposed with, d=45 without: (30*45)/(10*15) = 9
    exposed = np.array([True] * 40 + [False] * 60)
    outcome = np.array([True] * 30 + [False] * 10 + [True] * 15 + [False] * 45)
    assert stats.odds_ratio_2x2(exposed, outcome) == pytest.approx(9.0)


def test_an_empty_cell_gives_the_haldane_anscombe_ratio_not_infinity():
    exposed = np.array([True] * 40 + [False] * 60)
    outcome = np.array([True] * 30 + [False] * 10 + [False] * 60)  # no unexposed unit has the outcome
    assert stats.odds_ratio_2x2(exposed, outcome) == pytest.approx((30.5 * 60.5) / (10.5 * 0.5))


def test_hedges_g_is_the_small_sample_corrected_standardised_difference():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0.5, 1, 12), rng.normal(0, 1, 15)
    pooled = np.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2))
    d = (x.mean() - y.mean()) / pooled
    assert stats.hedges_g(x, y) == pytest.approx(d * (1 - 3 / (4 * (len(x) + len(y)) - 9)), rel=1e-3)


def test_the_interval_over_seeds_is_the_t_interval_of_the_mean():
    values = [1.0, 2.0, 4.0]
    mean, lo, hi = stats.interval(values)
    half = sps.t.ppf(0.975, 2) * np.std(values, ddof=1) / np.sqrt(3)
    assert (mean, lo, hi) == pytest.approx((7 / 3, 7 / 3 - half, 7 / 3 + half))


def test_the_adjusted_treatment_effect_removes_a_chance_imbalance_at_baseline():
    """Outcome = baseline + 0.1 * treated + small noise, with the treated arm 0.3 better at baseline by
    chance: the raw difference of means is about 0.4, the baseline-adjusted coefficient 0.1."""
    rng = np.random.default_rng(0)
    treated = np.repeat([1.0, 0.0], 500)
    baseline = rng.normal(size=1000) + 0.3 * treated
    outcome = baseline + 0.1 * treated + 0.01 * rng.normal(size=1000)
    raw = outcome[treated == 1].mean() - outcome[treated == 0].mean()
    assert raw == pytest.approx(0.4, abs=0.1)
    assert stats.adjusted_treatment_effect(outcome, treated, baseline) == pytest.approx(0.1, abs=0.005)
