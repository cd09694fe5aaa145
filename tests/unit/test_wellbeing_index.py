"""The wellbeing index (sim/metrics.py): each component enters with its sign and its configured weight, in
SD units of the day-0 population, so a sign flip or a lost weight changes a number this test pins."""

from __future__ import annotations

import numpy as np
import pytest

from sim import metrics

WEIGHTS = {"mood": 0.4, "self_esteem": 0.3, "symptoms": 0.2, "loneliness": 0.1}
SIGNS = {"mood": 1.0, "self_esteem": 1.0, "symptoms": -1.0, "loneliness": -1.0}


def baseline(sd=2.0):
    names = [*WEIGHTS, "composite", "polarization"]
    return metrics.Baseline({k: 1.0 for k in names}, {k: sd for k in names})


@pytest.mark.parametrize("component", list(WEIGHTS))
def test_one_sd_more_of_a_component_moves_the_composite_by_its_signed_weight(component):
    base = baseline()
    at_mean = {k: np.array([1.0]) for k in WEIGHTS}
    one_sd_more = {**at_mean, component: np.array([1.0 + 2.0])}
    change = metrics._composite(one_sd_more, base, WEIGHTS) - metrics._composite(at_mean, base, WEIGHTS)
    assert change[0] == pytest.approx(SIGNS[component] * WEIGHTS[component])


def test_the_signs_are_those_of_wellbeing():
    """More mood and self-esteem are better; more symptoms and loneliness are worse."""
    assert dict(metrics.COMPONENTS) == SIGNS
