"""Deactivation experiment: a random share of users leaves the platform for a period.

As in the deactivation studies (Allcott, Braghieri, Eichmeyer & Gentzkow 2020, AER: four weeks off
Facebook), a random ``share`` of the users in ``groups`` is assigned to treatment (``UserState.treated``,
drawn from its own random stream, so everyone else's draws stay the same). From the start of
``start_day`` to the start of ``end_day`` their accounts are inactive (``Platform.active``): they open no
sessions, post nothing, receive no notifications and their posts are not shown. Everything else about
them (sleep, mood, symptoms, loneliness, habit) keeps being simulated, so their outcomes can be compared
with the control group's; habit strength decays while they are away (``behaviour/sessions.py``), which
is how use after reactivation can stay below the control group's.
"""

from __future__ import annotations

import numpy as np

from sim.checks import Checker, fail
from sim.platform.intervention import Intervention
from sim.rng import Streams
from sim.state import UserState
from sim.vocabulary import AGE_GROUPS


def assign(cfg, users: UserState, streams: Streams) -> np.ndarray:
    """Mark and return the treatment group (empty when the experiment is off)."""
    dc = cfg.platform.deactivation
    treated = np.zeros(users.n, bool)
    if not dc.enabled:
        return treated
    eligible = np.isin(users.age_group, [AGE_GROUPS.index(g) for g in dc.groups])
    draw = streams.generator("deactivation").random(users.n)
    treated = eligible & (draw < float(dc.share))
    users.treated[:] = treated
    return treated


class Deactivation(Intervention):
    def __init__(self, cfg, treated: np.ndarray):
        dc = cfg.platform.deactivation
        self.treated = treated
        self.start_h = int(dc.start_day) * 24
        self.end_h = int(dc.end_day) * 24

    def start_hour(self, model, hour: int) -> None:
        if hour == self.start_h:
            model.platform.active[self.treated] = 0
        elif hour == self.end_h:
            model.platform.active[self.treated] = 1


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.deactivation`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
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
