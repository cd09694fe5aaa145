"""Platform design: what the platform shows, when it interrupts, and the interventions on it.

One module per feature, each naming the state it acts on (config group ``platform``, ``conf/platform/``):

=========================  ==============================================================================
``display.py``             like and follower counts visible / hidden / hidden for minors
``notifications.py``       instant / batched / quiet hours / off
``limits.py``              stopping cue (feed end), pause nudge, daily time limit (soft / hard)
``teen_accounts.py``       teen-account defaults for adolescents (quiet nights, hidden counts, no
                           out-of-network idealised content)
``moderation.py``          removal of hostile posts (recall, precision, latency, strikes)
``deactivation.py``        a random share of users off the platform for a period
``media_literacy.py``      a share of users trained to compare less and resist outrage
=========================  ==============================================================================

All of them combine: ``Platform`` builds every feature from the config and gives the model the per-user
arrays the kernels read (``counts_visible``, ``active``, ``may_open``, ``may_post``, ...) and two hooks per
hour. A feature that is switched off leaves every array at its neutral value and draws no random
numbers, so it changes nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.platform import display, limits, media_literacy
from sim.platform.deactivation import Deactivation
from sim.platform.deactivation import assign as assign_deactivation
from sim.platform.intervention import Intervention
from sim.platform.moderation import Moderation
from sim.platform.notifications import Notifications, in_window
from sim.platform.teen_accounts import oon_idealised_blocked, teen_users
from sim.rng import Streams
from sim.state import LIMIT_LOCKED, UserState

__all__ = ["Platform", "in_window"]


@njit(cache=True)
def permissions(hour, active, limit_state, suspended_until_h, may_open, may_post):
    """Who can open the app (an active account not locked by its time limit) and who can post (an
    active account not suspended by moderation) this hour."""
    for u in range(active.shape[0]):
        may_open[u] = 1 if active[u] == 1 and limit_state[u] != LIMIT_LOCKED else 0
        may_post[u] = 1 if active[u] == 1 and suspended_until_h[u] <= hour else 0


class Platform:
    def __init__(self, cfg, users: UserState, streams: Streams):
        n = users.n
        self.teen = teen_users(cfg, users)
        self.counts_visible = display.counts_visible(cfg, users, self.teen)
        self.protected = display.protected_viewers(users)
        self.oon_idealised_blocked = oon_idealised_blocked(cfg, self.teen)
        self.notifications = Notifications(cfg, self.teen)
        self.limits = limits.params(cfg)
        self.limit_minutes = limits.limit_minutes(cfg, users)
        self.active = np.ones(n, np.uint8)
        self.may_open = np.ones(n, np.uint8)
        self.may_post = np.ones(n, np.uint8)
        media_literacy.train(cfg, users, streams)
        self.treated = assign_deactivation(cfg, users, streams)
        self.hooks: list[Intervention] = []
        if cfg.platform.deactivation.enabled:
            self.hooks.append(Deactivation(cfg, self.treated))
        self.moderation = Moderation(cfg, streams.key("moderation")) if cfg.platform.moderation.enabled else None
        if self.moderation is not None:
            self.hooks.append(self.moderation)

    def start_hour(self, model, hour: int) -> None:
        """Before sleep and sessions: switch accounts on or off, then who may open the app and post."""
        for hook in self.hooks:
            hook.start_hour(model, hour)
        permissions(
            hour, self.active, model.users.limit_state, model.users.suspended_until_h, self.may_open, self.may_post
        )

    def end_hour(self, model, hour: int) -> None:
        """After posting and feedback: moderation reviews its batch."""
        for hook in self.hooks:
            hook.end_hour(model, hour)

    @staticmethod
    def new_day(users: UserState) -> None:
        limits.new_day(users)
