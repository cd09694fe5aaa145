"""Media-literacy training: a share of users learns to see through idealised and outrage content.

A random ``share`` of users (``UserState.media_literacy``, drawn from its own stream) is trained before
day 0: their comparison orientation is multiplied by ``comparison_factor`` and their susceptibility to
outrage content by ``outrage_factor``. Social-media-literacy programmes reduce upward comparison and
its effects on body image (McLean, Wertheim, Masters & Paxton 2017) and digital-literacy training
improves discernment of manipulative content (Guess et al. 2020, PNAS); both effects are modest, hence
factors well above zero.
"""

from __future__ import annotations

from sim.checks import Checker
from sim.rng import Streams
from sim.state import UserState


def train(cfg, users: UserState, streams: Streams) -> None:
    mc = cfg.platform.media_literacy
    if not mc.enabled:
        return
    trained = streams.generator("media_literacy").random(users.n) < float(mc.share)
    users.media_literacy[:] = trained
    users.comparison[trained] *= float(mc.comparison_factor)
    users.outrage_susceptibility[trained] *= float(mc.outrage_factor)


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``platform.media_literacy`` settings (run by ``sim.config.validate``)."""
    pl = "platform"
    ml = f"{pl}.media_literacy"
    c.probability(f"{ml}.share")
    c.probability(
        f"{ml}.comparison_factor",
        f"{ml}.outrage_factor",
        allowed="must be in [0, 1]: training scales the trait down (1 = no effect)",
    )
