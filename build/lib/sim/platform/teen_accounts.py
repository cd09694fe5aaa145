"""Teen-account defaults: a bundle of protections switched on for adolescents (13-17).

Modelled on the defaults platforms introduced for minors (e.g. Instagram Teen Accounts, 2024: a "sleep
mode" muting notifications overnight, limits on sensitive and recommended content; like counts hidden
as in Instagram's 2021 option). With ``platform.teen_accounts.enabled``, each adolescent gets

* ``quiet_start``-``quiet_end``: notifications held overnight (``notifications.py``);
* ``hide_counts``: like and follower counts hidden (``display.py``);
* ``no_out_of_network_idealised``: no idealised posts among out-of-network candidates
  (``ranking/kernels.py``, ``UserArrays.oon_idealised_blocked``).
"""

from __future__ import annotations

import numpy as np

from sim.checks import Checker, fail
from sim.state import UserState

ADOLESCENT = 0


def teen_users(cfg, users: UserState) -> np.ndarray:
    """Users who get the teen-account defaults (adolescents, when the bundle is enabled)."""
    if not cfg.platform.teen_accounts.enabled:
        return np.zeros(users.n, bool)
    return users.age_group == ADOLESCENT


def oon_idealised_blocked(cfg, teen: np.ndarray) -> np.ndarray:
    blocked = teen & bool(cfg.platform.teen_accounts.no_out_of_network_idealised)
    return blocked.astype(np.uint8)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.teen_accounts`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    ta = f"{pl}.teen_accounts"
    c.hour(f"{ta}.quiet_start", f"{ta}.quiet_end")
    if c.get(f"{ta}.enabled") and c.get(f"{ta}.quiet_start") == c.get(f"{ta}.quiet_end"):
        fail(f"{ta}.quiet_end", c.get(f"{ta}.quiet_end"), f"must differ from {ta}.quiet_start (an empty quiet window)")
