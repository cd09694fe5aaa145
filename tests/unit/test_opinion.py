"""Affective polarisation rises with hostile out-group content and falls with civil cross-cutting content."""

from __future__ import annotations

import numpy as np

from sim.behaviour import opinion
from sim.state import UD_CIVIL_CROSSCUT, UD_OUTGROUP_HOSTILE, USER_DAY


def test_hostile_outgroup_content_polarises_and_civil_contact_depolarises(compose_small):
    # rates well above the calibrated ones, so that two months move the thermometer visibly
    p = opinion.params(compose_small())._replace(outgroup_hostile_rate=3e-4, civil_crosscut_rate=3e-4)
    pol = np.full(3, 0.5, np.float32)
    trait = np.full(3, 0.5, np.float32)
    ud = np.zeros((3, len(USER_DAY)))
    for _ in range(60):
        ud[:, UD_OUTGROUP_HOSTILE] = [0, 20, 0]
        ud[:, UD_CIVIL_CROSSCUT] = [0, 0, 20]
        opinion.daily_update(p, np.ones(3, np.uint8), pol, trait, ud)
    assert pol[0] == 0.5
    assert pol[1] > 0.55
    assert pol[2] < 0.45
    assert np.all((pol >= 0) & (pol <= 1))
