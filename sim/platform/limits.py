"""Design features that end scrolling: the stopping cue, the pause nudge and the daily time limit.

All three act inside the scroll kernel (``behaviour/response.py``) before each item, on the state named:

* **Stopping cue** (``platform.feed_end = stopping_cue``): after ``stopping_cue_items`` items the feed
  says "you're all caught up" and the session ends with probability ``stopping_cue_stop``; an infinite
  feed gives no such cue (Rixen et al. 2023 on infinite scrolling; Wansink, Painter & North 2005 on
  missing stopping cues).
* **Page** (``platform.feed_end = page``): the feed is a page of ``page_items`` items and the session ends
  at its end, as feeds did before infinite scrolling (a hard stopping point; the lever that reproduces
  the closed, paged world of earlier versions of this model).
* **Pause nudge** (``platform.pause_nudge``): when continuous use, ``UserState.streak_min`` (minutes
  in consecutive hours with a session; reset by an hour without one), crosses a multiple of
  ``after_minutes``, a "take a break" prompt appears and the user complies (ends the session, and the
  streak) with probability ``compliance``.
* **Daily time limit** (``platform.time_limit``): once today's minutes would pass ``minutes``, a hard
  limit ends the session and keeps the app closed until midnight; a soft limit shows a reminder that
  the user obeys (same effect) with probability ``reminder_compliance`` or dismisses for the rest of the
  day. State: ``UserState.limit_state`` (under / locked / dismissed), reset at midnight.
  ``applies_to`` is ``all`` or ``minors`` (adolescents, as default limits for minors are set).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.checks import Checker, fail
from sim.state import UNDER_LIMIT, UserState

FEED_ENDS = ("infinite", "stopping_cue", "page")
LIMIT_MODES = ("none", "soft", "hard")
LIMIT_GROUPS = ("all", "minors")
ADOLESCENT = 0


class LimitParams(NamedTuple):
    stop_cue_items: int  # 0 = infinite scroll
    stop_cue_prob: float
    page_items: int  # 0 = no page: the session ends only by choice or when the ranked feed runs out
    nudge_after_min: float  # 0 = no pause nudge
    nudge_compliance: float
    limit_hard: bool
    reminder_compliance: float


def params(cfg) -> LimitParams:
    pl = cfg.platform
    nudge, limit = pl.pause_nudge, pl.time_limit
    return LimitParams(
        stop_cue_items=int(pl.stopping_cue_items) if pl.feed_end == "stopping_cue" else 0,
        stop_cue_prob=float(pl.stopping_cue_stop),
        page_items=int(pl.page_items) if pl.feed_end == "page" else 0,
        nudge_after_min=float(nudge.after_minutes) if nudge.enabled else 0.0,
        nudge_compliance=float(nudge.compliance),
        limit_hard=limit.mode == "hard",
        reminder_compliance=float(limit.reminder_compliance),
    )


def limit_minutes(cfg, users: UserState) -> np.ndarray:
    """Each user's daily limit in minutes, 0 where none applies."""
    limit = cfg.platform.time_limit
    out = np.zeros(users.n, np.float32)
    if limit.mode == "none":
        return out
    applies = np.ones(users.n, bool) if limit.applies_to == "all" else users.age_group == ADOLESCENT
    out[applies] = float(limit.minutes)
    return out


@njit
def crosses_limit(limit_min, state, minutes_before, dwell_min):
    """The next item would take a user who is under their daily limit past it."""
    return limit_min > 0 and state == UNDER_LIMIT and minutes_before + dwell_min > limit_min


@njit
def nudge_due(after_min, streak_before, dwell_min):
    """The next item would take continuous use past a multiple of ``after_min``."""
    if after_min <= 0:
        return False
    return np.floor((streak_before + dwell_min) / after_min) > np.floor(streak_before / after_min)


def new_day(users: UserState) -> None:
    users.limit_state[:] = UNDER_LIMIT


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of ``platform.feed_end``, ``pause_nudge`` and ``time_limit`` (run by
    ``sim.config.validate``)."""
    pl = "platform"
    c.choice(f"{pl}.feed_end", FEED_ENDS)
    if c.get(f"{pl}.stopping_cue_items") <= 0:
        fail(f"{pl}.stopping_cue_items", c.get(f"{pl}.stopping_cue_items"), "must be a positive integer")
    c.probability(f"{pl}.stopping_cue_stop")
    if c.get(f"{pl}.page_items") <= 0:
        fail(f"{pl}.page_items", c.get(f"{pl}.page_items"), "must be a positive integer")
    if c.get(f"{pl}.feed_end") == "stopping_cue" and c.get(f"{pl}.stopping_cue_items") >= c.get("policy.k"):
        fail(
            f"{pl}.stopping_cue_items",
            c.get(f"{pl}.stopping_cue_items"),
            f"must be below the feed length policy.k ({c.get('policy.k')}), or the cue is never shown",
        )
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
