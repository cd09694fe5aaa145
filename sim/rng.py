"""Named random streams and a counter-based generator for the kernels.

Two kinds of randomness, both derived from the single root seed:

* Set-up draws (population traits, the follow graph) use ordinary NumPy generators, one per named
  stream (``streams(seed).generator("population")``). Adding a new stream never shifts the others.
* Everything drawn during the simulation comes from a counter-based generator: a number is a pure
  hash of (stream key, hour, user, index). It needs no state, so parallel kernels give the same
  numbers on any thread count, and two scenarios with the same seed see the same coin flips for the
  same user at the same hour for the same purpose: common random numbers, which make paired scenario
  differences far less noisy (as in Starsim's CRN design).

The hash is the SplitMix64 finaliser (Steele, Lea & Flood 2014), applied once per counter word.
"""

from __future__ import annotations

import zlib

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

# Purposes of in-simulation draws. Each gets its own key so that, e.g., adding a draw to the
# scrolling kernel never changes the posting clock of any user.
STREAMS = (
    "session_open",
    "in_bed_use",
    "night_wake",
    "post_clock",
    "post_style",
    "post_quality",
    "ranking_noise",
    "oon_offset",
    "followee_offset",
    "dwell",
    "like",
    "continue",
    "hostile_reply",
    "nudge",
    "limit_reminder",
    "mood_noise",
    "post_topic",
)


@njit
def mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def hash3(key, a, b, c):
    h = mix64(key + np.uint64(a) * _GOLDEN)
    h = mix64(h ^ (np.uint64(b) + _GOLDEN))
    return mix64(h ^ (np.uint64(c) * _M1 + _GOLDEN))


@njit
def uniform(key, a, b, c):
    """A float in [0, 1) that depends only on (key, a, b, c)."""
    return float(hash3(key, a, b, c) >> _S11) * _INV53


@njit(inline="always")
def normal(key, a, b, c):
    """A standard normal draw (Box-Muller on two counter-based uniforms)."""
    u1 = uniform(key, a, b, 2 * c)
    u2 = uniform(key, a, b, 2 * c + 1)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


@njit
def exponential(key, a, b, c):
    return -np.log(1.0 - uniform(key, a, b, c))


class Streams:
    """The named random streams of one run, all derived from the root seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def _sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(entropy=self.seed, spawn_key=(zlib.crc32(name.encode()),))

    def generator(self, name: str) -> np.random.Generator:
        """A NumPy generator for set-up draws of one purpose (e.g. 'population', 'network')."""
        return np.random.Generator(np.random.PCG64(self._sequence(name)))

    def key(self, name: str) -> np.uint64:
        """A 64-bit key for counter-based draws of one purpose inside kernels."""
        return np.uint64(self._sequence("kernel:" + name).generate_state(1, np.uint64)[0])

    def keys(self) -> dict[str, np.uint64]:
        return {name: self.key(name) for name in STREAMS}
