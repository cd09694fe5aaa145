"""Content moderation: an imperfect classifier removes hostile posts, with strikes for repeat offenders.

Each hour the moderation system reviews the posts created ``latency_hours`` earlier (0: in the hour of
posting, before anyone can see them, as pre-screening does; later: after they have been in feeds, as
user reports and review queues take time). A hostile (outrage) post is removed with probability
``recall``; other posts are removed by mistake at the rate that gives the configured ``precision``
among the removals of that batch,

    false-positive rate = recall * n_hostile * (1 - precision) / precision / n_other   (at most 1).

A removed post (``PostStore.removed``) is never shown again and earns no more likes, so its author's
reward learning (``behaviour/posting.py``) sees less reward for it. Every removal is a strike against the
author (``UserState.strikes``); at ``strikes`` strikes the author is suspended from posting for
``suspension_days`` days (0 = for good) (``UserState.suspended_until_h``), as in platforms' strike
systems (e.g. YouTube's three-strike rule). Reported trade-offs of automated moderation: recall well
below 1 at useful precision (Gorwa, Binns & Katzenbach 2020; Gillespie 2020).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from sim.checks import Checker, fail, from_sections
from sim.platform.intervention import Intervention
from sim.rng import uniform
from sim.state import CD_POSTS_REMOVED, OUTRAGE

FOREVER = np.iinfo(np.int64).max


class ModerationParams(NamedTuple):
    recall: float
    precision: float
    strikes: int
    suspension_hours: int  # 0 = for good


def params(cfg) -> ModerationParams:
    m = cfg.platform.moderation
    return from_sections(ModerationParams, m, suspension_hours=int(round(float(m.suspension_days) * 24)))


@njit(cache=True)
def review(key, hour, p, first_id, end_id, post_id, author, style, removed, strikes, suspended_until_h, calendar_day):
    """Review posts with ids first_id .. end_id - 1; returns (hostile removed, others removed)."""
    cap = post_id.shape[0]
    n_hostile = 0
    n_other = 0
    for pid in range(first_id, end_id):
        slot = pid % cap
        if post_id[slot] != pid or removed[slot] == 1:
            continue
        if style[slot] == OUTRAGE:
            n_hostile += 1
        else:
            n_other += 1
    fpr = 0.0
    if n_other > 0 and p.precision > 0:
        fpr = min(1.0, p.recall * n_hostile * (1.0 - p.precision) / p.precision / n_other)
    hits = 0
    mistakes = 0
    for pid in range(first_id, end_id):
        slot = pid % cap
        if post_id[slot] != pid or removed[slot] == 1:
            continue
        hostile = style[slot] == OUTRAGE
        if uniform(key, hour, pid, 0) >= (p.recall if hostile else fpr):
            continue
        removed[slot] = 1
        if hostile:
            hits += 1
        else:
            mistakes += 1
        a = author[slot]
        if a >= strikes.shape[0]:  # an outside account (sim/external.py): its post goes, it has no strikes
            continue
        calendar_day[a, CD_POSTS_REMOVED] += 1
        strikes[a] += 1
        if strikes[a] >= p.strikes:
            until = FOREVER if p.suspension_hours == 0 else hour + p.suspension_hours
            suspended_until_h[a] = max(suspended_until_h[a], until)
    return hits, mistakes


class Moderation(Intervention):
    """Reviews each hour's batch of posts ``latency_hours`` after they were created."""

    def __init__(self, cfg, key):
        self.p = params(cfg)
        self.latency = int(cfg.platform.moderation.latency_hours)
        self.key = key
        self.removed_hostile = 0
        self.removed_other = 0

    def end_hour(self, model, hour: int) -> None:
        h = hour - self.latency
        if h < 0:
            return
        first, end = int(model.hour_first_post[h]), int(model.hour_first_post[h + 1])
        if end <= first:
            return
        p, u = model.posts, model.users
        hits, mistakes = review(
            self.key,
            hour,
            self.p,
            first,
            end,
            p.post_id,
            p.author,
            p.style,
            p.removed,
            u.strikes,
            u.suspended_until_h,
            u.calendar_day,
        )
        self.removed_hostile += hits
        self.removed_other += mistakes


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.moderation`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    mo = f"{pl}.moderation"
    c.probability(f"{mo}.recall", f"{mo}.precision")
    if c.get(f"{mo}.enabled") and c.get(f"{mo}.precision") == 0:
        fail(f"{mo}.precision", 0, "must be above 0 (a moderator that removes only innocent posts)")
    lat = c.whole_number(
        f"{mo}.latency_hours", allowed="must be 0 (before anyone sees a post) or a positive number of hours"
    )
    if lat > c.get("policy.max_age_hours"):
        fail(
            f"{mo}.latency_hours",
            lat,
            f"must be at most policy.max_age_hours ({c.get('policy.max_age_hours')}); "
            "later, the post has left every feed",
        )
    if c.get(f"{mo}.strikes") < 1:
        fail(f"{mo}.strikes", c.get(f"{mo}.strikes"), "must be a positive integer")
    c.non_negative(f"{mo}.suspension_days")
