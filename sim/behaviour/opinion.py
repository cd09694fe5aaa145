"""Affective polarisation: out-group animosity on a 0-1 feeling-thermometer scale.

Once a day, at wake-up,

    A += outgroup_hostile_rate * n_hostile_outgroup * (1 - A)
         - civil_crosscut_rate * n_civil_crosscutting * A
         + relax * (A_trait - A)

where n_hostile_outgroup counts hostile posts by authors of the other side (ideological distance above
``outgroup_distance``) seen that day and n_civil_crosscutting counts civil, informational posts from the
other side. Out-group animosity drives engagement with and is fed by hostile content (Rathje et al.
2021); civil cross-cutting exposure softens it slowly; attitudes are stable over weeks, so the pull
back to the trait is slow (Iyengar et al. 2019; Guess et al. 2023 found no change in three months).
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

from sim.checks import Checker, fail, from_sections
from sim.state import UD_CIVIL_CROSSCUT, UD_OUTGROUP_HOSTILE


class OpinionParams(NamedTuple):
    outgroup_hostile_rate: float
    civil_crosscut_rate: float
    relax_per_day: float
    outgroup_distance: float


def params(cfg) -> OpinionParams:
    return from_sections(OpinionParams, cfg.behaviour.opinion)


@njit(cache=True)
def daily_update(p, woke, polarization, polarization_trait, user_day):
    for u in range(polarization.shape[0]):
        if woke[u] == 0:
            continue
        a = polarization[u]
        a += (
            p.outgroup_hostile_rate * user_day[u, UD_OUTGROUP_HOSTILE] * (1.0 - a)
            - p.civil_crosscut_rate * user_day[u, UD_CIVIL_CROSSCUT] * a
            + p.relax_per_day * (polarization_trait[u] - a)
        )
        polarization[u] = min(max(a, 0.0), 1.0)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``behaviour.opinion`` settings (run by ``sim.config.validate``)."""
    o = "behaviour.opinion"
    c.probability(f"{o}.initial_base", f"{o}.relax_per_day", f"{o}.outgroup_hostile_rate", f"{o}.civil_crosscut_rate")
    c.non_negative(f"{o}.initial_per_extremity", f"{o}.initial_sd")
    if not 0 < c.finite(f"{o}.outgroup_distance") <= 2:
        fail(f"{o}.outgroup_distance", c.get(f"{o}.outgroup_distance"), "must be in (0, 2]")
