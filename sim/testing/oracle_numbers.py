"""The oracle's arithmetic, written again in plain Python: float32 rounding, the counter-based random
numbers of ``sim/rng.py``, the seen-memory bits, and two small helpers (``sim/testing/oracle.py``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import struct

import numpy as np

from sim.state import (
    CALENDAR_DAY,
    SEEN_WORDS,
    TOTALS,
    USER_DAY,
    USER_FIELDS,
)

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV53 = 1.0 / 9007199254740992.0
_PACK = struct.Struct("f")


def _f32(x: float) -> float:
    """x rounded to the nearest float32, as a store into a float32 array does."""
    return _PACK.unpack(_PACK.pack(x))[0]


_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.log1pf.restype = ctypes.c_float
_libm.log1pf.argtypes = (ctypes.c_float,)


def _log1p_f32(x: float) -> float:
    """np.log1p of a float32 value as compiled code computes it: the C library's single-precision
    log1pf, which is not always the correctly rounded double result."""
    return _libm.log1pf(x)


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _M64
    z = ((z ^ (z >> 27)) * _M2) & _M64
    return z ^ (z >> 31)


def _hash3(key: int, a: int, b: int, c: int) -> int:
    h = _mix64((key + (a & _M64) * _GOLDEN) & _M64)
    h = _mix64(h ^ (((b & _M64) + _GOLDEN) & _M64))
    return _mix64(h ^ ((((c & _M64) * _M1) + _GOLDEN) & _M64))


def uniform(key: int, a: int, b: int, c: int) -> float:
    """The counter-based uniform draw (SplitMix64 finaliser per counter word; see sim/rng.py)."""
    return float(_hash3(key, a, b, c) >> 11) * _INV53


def normal(key: int, a: int, b: int, c: int) -> float:
    u1 = uniform(key, a, b, 2 * c)
    u2 = uniform(key, a, b, 2 * c + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def exponential(key: int, a: int, b: int, c: int) -> float:
    return -math.log(1.0 - uniform(key, a, b, c))


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


_F32_USER = {name for name, t in USER_FIELDS.items() if t == np.float32}
_INT_USER = {name for name, t in USER_FIELDS.items() if np.issubdtype(t, np.integer)}
UD = {name: i for i, name in enumerate(USER_DAY)}
CD = {name: i for i, name in enumerate(CALENDAR_DAY)}
TOT = {name: i for i, name in enumerate(TOTALS)}
_SEEN_BITS = SEEN_WORDS * 64


def _seen_bits(post_id: int) -> int:
    """The two bits of the seen filter that mark a post (a Bloom filter with two hash positions)."""
    h = _mix64((post_id + 0x632BE59BD9B4E019) & _M64)
    return (1 << (h % _SEEN_BITS)) | (1 << ((h >> 16) % _SEEN_BITS))


def sum_in_order(values) -> float:
    total = 0.0
    for v in values:
        total += v
    return total


def _in_window(hod: int, start: int, end: int) -> bool:
    if start < 0 and end < 0:
        return False
    if start < end:
        return start <= hod < end
    return hod >= start or hod < end
