"""Platform design features: what the platform shows and when it interrupts.

Each feature names the state it acts on:

* ``counts`` (visible / hidden / hidden_for_minors) -> per-viewer ``counts_visible``: the like-count term
  of the response model and the status signal in social comparison.
* ``notifications`` (instant / batched / quiet_hours / off) -> ``notif_pending`` is released into
  ``notif_delivered``, which raises the session hazard, phone use in bed and night wake-ups.
* ``feed_end`` (infinite / stopping_cue) -> the scroll kernel's stop decision after N items.

Notifications arise from likes on one's posts (one per hour with new likes, as platforms aggregate
"X and others liked your post") and from new posts by close ties.
"""

from __future__ import annotations

import numpy as np

from sim.state import UserState

ADOLESCENT = 0


def counts_visible(cfg, users: UserState) -> np.ndarray:
    mode = cfg.platform.counts
    if mode == "visible":
        return np.ones(users.n, np.uint8)
    if mode == "hidden":
        return np.zeros(users.n, np.uint8)
    return (users.age_group != ADOLESCENT).astype(np.uint8)


def protected_viewers(users: UserState) -> np.ndarray:
    """Minors and vulnerable users, whom the civic rule protects more strongly."""
    return ((users.age_group == ADOLESCENT) | (users.vulnerable == 1)).astype(np.uint8)


def in_window(hour_of_day: int, start: int, end: int) -> bool:
    """Whether an hour lies in a daily window [start, end) that may wrap past midnight."""
    if start < end:
        return start <= hour_of_day < end
    return hour_of_day >= start or hour_of_day < end


class Notifications:
    def __init__(self, cfg):
        nc = cfg.platform.notifications
        self.mode = nc.mode
        self.batch_hours = int(nc.batch_hours)
        self.quiet = (int(nc.quiet_start), int(nc.quiet_end))

    def deliver(self, hour: int, users: UserState) -> None:
        """Move pending notifications into this hour's deliveries according to the policy."""
        hod = hour % 24
        if self.mode == "off":
            release = False
            users.notif_pending[:] = 0
        elif self.mode == "batched":
            release = hour % self.batch_hours == 0
        elif self.mode == "quiet_hours":
            release = not in_window(hod, *self.quiet)
        else:
            release = True
        if release:
            users.notif_delivered[:] = users.notif_pending
            users.notif_pending[:] = 0
        else:
            users.notif_delivered[:] = 0

    @staticmethod
    def collect(users: UserState) -> None:
        """New notifications of this hour: one per user whose posts received likes."""
        users.notif_pending += users.likes_this_hour > 0
        users.likes_this_hour[:] = 0
