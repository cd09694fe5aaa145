"""Notifications: when the platform interrupts.

Notifications arise from likes on one's posts (one per hour with new likes, as platforms aggregate
"X and others liked your post") and from new posts by close ties (``behaviour/posting.py``). They wait
in ``notif_pending`` until the platform delivers them into ``notif_delivered``, which raises the
session hazard, phone use in bed and night wake-ups (``behaviour/sessions.py``; notifications start a
minority of phone interactions, Heitmayer & Lahlou 2021). ``platform.notifications.mode``:

* ``instant``: delivered in the hour they arise;
* ``batched``: delivered every ``batch_hours`` hours (a digest);
* ``quiet_hours``: held from ``quiet_start`` to ``quiet_end`` (wrapping past midnight), then delivered;
* ``off``: never delivered (dropped).

Teen accounts add their own overnight window for adolescents (``teen_accounts.py``). A deactivated
account receives nothing: its pending notifications are dropped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.checks import Checker, fail
from sim.state import UserState

MODES = ("instant", "batched", "quiet_hours", "off")
NO_WINDOW = -1


def in_window(hour_of_day: int, start: int, end: int) -> bool:
    """Whether an hour lies in a daily window [start, end) that may wrap past midnight."""
    if start < end:
        return start <= hour_of_day < end
    return hour_of_day >= start or hour_of_day < end


@njit
def _in_window(hod, start, end):
    if start == NO_WINDOW:
        return False
    if start < end:
        return start <= hod < end
    return hod >= start or hod < end


@njit(cache=True)
def deliver(
    hour, batch_release, drop_all, quiet_start, quiet_end, teen, teen_start, teen_end, active, pending, delivered
):
    """Release each user's pending notifications unless held: the batch is not due, or the hour lies in
    the platform's quiet window or (for teen accounts) the teen window."""
    hod = hour % 24
    global_quiet = _in_window(hod, quiet_start, quiet_end)
    teen_quiet = _in_window(hod, teen_start, teen_end)
    for u in range(pending.shape[0]):
        if drop_all or active[u] == 0:
            pending[u] = 0.0
            delivered[u] = 0.0
        elif batch_release and not global_quiet and not (teen[u] and teen_quiet):
            delivered[u] = pending[u]
            pending[u] = 0.0
        else:
            delivered[u] = 0.0


class Notifications:
    """The delivery policy; ``teen`` marks users whose teen account holds notifications overnight."""

    def __init__(self, cfg, teen: np.ndarray):
        nc, tc = cfg.platform.notifications, cfg.platform.teen_accounts
        self.mode = nc.mode
        self.batch_hours = int(nc.batch_hours)
        quiet = self.mode == "quiet_hours"
        self.quiet = (int(nc.quiet_start), int(nc.quiet_end)) if quiet else (NO_WINDOW, NO_WINDOW)
        self.teen = teen.astype(np.uint8)
        self.teen_quiet = (int(tc.quiet_start), int(tc.quiet_end)) if teen.any() else (NO_WINDOW, NO_WINDOW)

    def deliver(self, hour: int, users: UserState, active: np.ndarray) -> None:
        batch_release = self.mode != "batched" or hour % self.batch_hours == 0
        deliver(
            hour,
            batch_release,
            self.mode == "off",
            *self.quiet,
            self.teen,
            *self.teen_quiet,
            active,
            users.notif_pending,
            users.notif_delivered,
        )

    @staticmethod
    def collect(users: UserState) -> None:
        """New notifications of this hour: one per user whose posts received likes."""
        users.notif_pending += users.likes_this_hour > 0
        users.likes_this_hour[:] = 0


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.notifications`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    c.choice(f"{pl}.notifications.mode", MODES)
    c.hour(f"{pl}.notifications.quiet_start", f"{pl}.notifications.quiet_end")
    if c.get(f"{pl}.notifications.mode") == "quiet_hours" and c.get(f"{pl}.notifications.quiet_start") == c.get(
        f"{pl}.notifications.quiet_end"
    ):
        fail(
            f"{pl}.notifications.quiet_end",
            c.get(f"{pl}.notifications.quiet_end"),
            "must differ from platform.notifications.quiet_start (an empty quiet window)",
        )
    c.whole_number(f"{pl}.notifications.batch_hours", 1, 24, "must be an integer from 1 to 24")
