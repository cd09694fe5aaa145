"""What the feed displays: like and follower counts.

``platform.counts`` (visible / hidden / hidden_for_minors) and teen accounts with ``hide_counts`` set the
per-viewer ``counts_visible``, which acts in two places: the like-count (popularity) term of the
response model (``behaviour/response.py``; Sherman et al. 2016) and the status signal of social
comparison (``behaviour/comparison.py``), which shrinks to ``hidden_counts_status_factor`` of its size
when counts are hidden (an assumption; Wallace & Buil 2021 found that hiding likes changes their
affective impact).
"""

from __future__ import annotations

import numpy as np

from sim.checks import Checker
from sim.state import UserState

ADOLESCENT = 0
COUNT_MODES = ("visible", "hidden", "hidden_for_minors")


def counts_visible(cfg, users: UserState, teen: np.ndarray) -> np.ndarray:
    """1 where the viewer sees like and follower counts. ``teen`` marks users with teen-account defaults."""
    mode = cfg.platform.counts
    if mode == "visible":
        visible = np.ones(users.n, bool)
    elif mode == "hidden":
        visible = np.zeros(users.n, bool)
    else:
        visible = users.age_group != ADOLESCENT
    if cfg.platform.teen_accounts.hide_counts:
        visible &= ~teen
    return visible.astype(np.uint8)


def protected_viewers(users: UserState) -> np.ndarray:
    """Minors and vulnerable users, whom the civic rule protects more strongly."""
    return ((users.age_group == ADOLESCENT) | (users.vulnerable == 1)).astype(np.uint8)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.counts`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    c.choice(f"{pl}.counts", COUNT_MODES)
