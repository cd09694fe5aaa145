"""Where the time of a simulated hour goes: an optional timer of the phases of ``FeedModel.step``.

    timer = PhaseTimer()
    model.phase_timer = timer      # None (the default) costs nothing
    model.run_days(2)
    timer.seconds                  # {"sleep": 1.2, "ranking": 8.4, ...}, summed over the hours run

The timer only reads the clock between phases; it never touches the model's state, so a timed run gives
the same tables as an untimed one. The benchmark (``benchmarks/run.py``) reports these phases.
"""

from __future__ import annotations

import time

from sim import phases

# The phases of FeedModel.step in the order they run (sim/phases.py)
PHASES = phases.NAMES


class PhaseTimer:
    """Accumulates wall time per phase; ``lap(name)`` closes the phase that started at the last lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.hours = 0
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now

    def end_hour(self) -> None:
        self.hours += 1

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def reset(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.hours = 0
