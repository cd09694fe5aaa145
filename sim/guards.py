"""Numerical guards: a run stops at the first number in its state that is not finite, and says which
mechanism made it, at which hour, for which user.

Every floating-point array of the model's state is checked: the users' arrays (``UserState``, including
the per-user counters), the platform's and the model's per-user arrays, and the post store's. Only
``users.awake_until_h`` may hold -inf (its "no bedtime constraint yet" value); NaN and +inf never.

The ``check_finite`` setting decides how often:

- ``hour`` (the default): one scan of the whole state at the end of every simulated hour (also of the
  sleep spin-up and the offline burn-in). The scan is a single parallel Numba kernel over users, which
  reads each array once: under 1% of the time of an hour (docs/reference/reproducibility.md gives measurements).
  When it finds a non-finite number, the run is replayed from its seed (runs are deterministic) with a
  check after every mechanism of that hour, which names the mechanism that produced it and the first
  user it affects.
- ``mechanism``: a scan after every mechanism of every hour; names the culprit without a replay, at
  about ten times the cost. For debugging a model change.
- ``off``: no checks.

A failed check raises ``NonFiniteState``; ``sim.runner.execute`` records it in the manifest (``status:
failed``, ``error`` and the structured ``nonfinite`` entry) and removes the partial tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit, prange

from sim import phases

MODES = ("hour", "mechanism", "off")
# Arrays whose -inf is a meaningful value (NaN and +inf are still errors).
NEG_INF_ALLOWED = ("users.awake_until_h",)
# The code behind each checkpoint, for the message: the hour's phases (sim/phases.py) and the others.
MECHANISMS = {**{phase.name: phase.runs for phase in phases.HOUR}, **phases.OUTSIDE_THE_HOUR}


class NonFiniteState(FloatingPointError):
    """A state array holds NaN or an infinity. The message is one line naming the array, the value, the user,
    the mechanism and the hour; ``details`` holds the same as a dict (recorded in the manifest)."""

    def __init__(self, message: str, details: dict):
        super().__init__(message)
        self.details = details


# --------------------------------------------------------------------------------------------------
# the scan
#
# Arrays are scanned one after the other, each as one flat, contiguous run of memory (a 2-D array of
# per-user counters is one run), so that the scan streams through memory at its full bandwidth. One call
# per element type scans all arrays of that type.


@njit(cache=True)
def first_bad_array(arrays, neg_inf_ok):
    """Index in the tuple ``arrays`` of the first array that holds NaN or an infinity (with ``neg_inf_ok``,
    -inf is allowed), or -1 if none does."""
    for k in range(len(arrays)):
        a = arrays[k]
        bad = False
        if neg_inf_ok:
            for i in range(a.shape[0]):
                bad |= not a[i] < np.inf
        else:
            for i in range(a.shape[0]):
                bad |= not np.isfinite(a[i])
        if bad:
            return k
    return -1


@njit(parallel=True, cache=True)
def first_bad_array_parallel(arrays, neg_inf_ok):
    """As ``first_bad_array``, each array split among the Numba threads (for large states)."""
    for k in range(len(arrays)):
        a = arrays[k]
        count = 0
        if neg_inf_ok:
            for i in prange(a.shape[0]):
                count += not a[i] < np.inf
        else:
            for i in prange(a.shape[0]):
                count += not np.isfinite(a[i])
        if count > 0:
            return k
    return -1


# From this many numbers in a call on, the scan uses the Numba threads.
PARALLEL_FROM = 2_000_000


@dataclass
class Part:
    """One array of the state: its name, whose rows it has (users, post slots or neither), and the array."""

    name: str
    rows: str  # "users", "posts" or ""
    array: np.ndarray


def _float_arrays(owner, prefix: str, n_users: int, n_posts: int, parts: list[Part]) -> None:
    for name, a in vars(owner).items():
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f" or a.size == 0:
            continue
        rows = (
            "users"
            if a.shape[0] == n_users and prefix != "posts"
            else ("posts" if prefix == "posts" and a.shape[0] == n_posts else "")
        )
        parts.append(Part(f"{prefix}.{name}", rows, a))


def state_of(model) -> list[Part]:
    """Every floating-point array of the model: the users', the platform's (and its features'), the model's
    own and the post store's."""
    n = model.users.n
    posts = getattr(model, "posts", None)
    n_posts = int(posts.capacity) if posts is not None else -1
    parts: list[Part] = []
    _float_arrays(model.users, "users", n, n_posts, parts)
    platform = getattr(model, "platform", None)
    if platform is not None:
        _float_arrays(platform, "platform", n, n_posts, parts)
        for name, obj in vars(platform).items():
            if hasattr(obj, "__dict__") and not isinstance(obj, np.ndarray):
                _float_arrays(obj, f"platform.{name}", n, n_posts, parts)
    _float_arrays(model, "model", n, n_posts, parts)
    if posts is not None:
        _float_arrays(posts, "posts", n, n_posts, parts)
    return parts


@dataclass
class Finding:
    array: str
    value: float
    user: int | None
    post: int | None = None


def _flat(a: np.ndarray) -> np.ndarray:
    flat = a.reshape(-1) if a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)
    return flat if flat.dtype in (np.float32, np.float64) else flat.astype(np.float64)


def scan(model) -> Finding | None:
    """A non-finite number in the model's state (the first row of the first array found), or None."""
    parts = state_of(model)
    groups: dict[tuple, list[Part]] = {}
    for part in parts:
        flat = _flat(part.array)
        groups.setdefault((flat.dtype.str, part.name in NEG_INF_ALLOWED), []).append((part, flat))
    for (_, neg_ok), members in groups.items():
        arrays = tuple(flat for _, flat in members)
        size = sum(a.size for a in arrays)
        kernel = first_bad_array_parallel if size >= PARALLEL_FROM else first_bad_array
        k = int(kernel(arrays, neg_ok))
        if k < 0:
            continue
        part, flat = members[k]
        bad = ~(flat < np.inf) if neg_ok else ~np.isfinite(flat)
        i = int(np.flatnonzero(bad)[0])
        value = float(flat[i])
        row = i // max(1, flat.size // max(1, part.array.shape[0]))
        if part.rows == "users":
            return Finding(part.name, value, row)
        if part.rows == "posts":
            p = model.posts
            return Finding(part.name, value, int(p.author[row]), int(p.post_id[row]))
        index = np.unravel_index(i, part.array.shape)
        return Finding(f"{part.name}[{', '.join(map(str, index))}]", value, None)
    return None


# --------------------------------------------------------------------------------------------------
# messages


def when(hour: int) -> str:
    day, hod = divmod(int(hour), 24)
    phase = "" if hour >= 0 else ", before day 0 (spin-up or offline burn-in)"
    return f"hour {hour} (day {day}, {hod:02d}:00{phase})"


def error(found: Finding, hour: int, mechanism: str | None, note: str = "") -> NonFiniteState:
    who = f"user {found.user}" if found.user is not None else "no single user"
    if found.post is not None:
        who = f"post {found.post} by user {found.user}"
    where = (
        f"after mechanism '{mechanism}' ({MECHANISMS.get(mechanism, mechanism)})"
        if mechanism
        else "in the hour's mechanisms"
    )
    msg = f"non-finite state: {found.array} = {found.value} for {who} {where} at {when(hour)}"
    if note:
        msg += f"; {note}"
    details = {
        "array": found.array,
        "value": str(found.value),
        "user": found.user,
        "post": found.post,
        "mechanism": mechanism,
        "hour": int(hour),
        "day": int(hour) // 24,
    }
    return NonFiniteState(msg, details)


# --------------------------------------------------------------------------------------------------
# the guard the model calls


class Guard:
    """Called by ``FeedModel`` after each mechanism (``after``) and at the end of each hour (``end_of_hour``)."""

    def __init__(self, mode: str, replay: Callable[["Guard", int], None] | None = None, replay_hour: int | None = None):
        """``replay(guard, hour)`` reruns the run from its seed up to the end of ``hour`` with ``guard`` watching
        (the model supplies it, so this module does not need to know how a model is built)."""
        if mode not in MODES and mode != "replay":
            raise ValueError(f"check_finite={mode!r}: choose one of {', '.join(MODES)}")
        self.mode = mode
        self.replay = replay
        self.replay_hour = replay_hour

    def after(self, model, mechanism: str, hour: int) -> None:
        if self.mode == "mechanism" or (self.mode == "replay" and hour == self.replay_hour):
            found = scan(model)
            if found is not None:
                raise error(found, hour, mechanism)

    def end_of_hour(self, model, hour: int) -> None:
        if self.mode in ("off", "replay"):
            return
        found = scan(model)
        if found is None:
            return
        if self.mode == "mechanism":  # every mechanism was checked: the hour's own bookkeeping did it
            raise error(found, hour, "end_of_hour")
        raise locate(self.replay, hour, found)


def locate(replay: Callable[[Guard, int], None] | None, hour: int, found: Finding) -> NonFiniteState:
    """Replay the run from its seed with a check after every mechanism of ``hour``; the error names the
    mechanism. If the replay does not reproduce the value, the error names the hour only."""
    if replay is None:
        return error(found, hour, None)
    try:
        replay(Guard("replay", replay_hour=hour), hour)
    except NonFiniteState as located:
        return located
    except Exception as e:  # the replay itself failed: report what the hourly check saw
        return error(found, hour, None, f"replaying the hour to find the mechanism failed ({type(e).__name__}: {e})")
    return error(found, hour, None, "a replay from the seed did not reproduce it, so the mechanism is unknown")
