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

# The phases of FeedModel.step in the order they run (docs/design.md section 3).
PHASES = (
    "clock_platform",  # midnight roll-over of the seen memory, platform hooks, permissions
    "sleep",  # advance_sleep: the two-process model up to bedtime
    "notifications",
    "sessions",  # who opens the app
    "pool",  # the hour's out-of-network pool
    "ranking",  # candidates, scores, top K
    "scrolling",  # items viewed, likes, exposure effects
    "impressions",  # serial bookkeeping and the platform's bridging model
    "settle_sleep",  # bedtime after phone use in bed
    "posting",
    "feedback",
    "platform_end",  # moderation
    "wellbeing",  # hourly mood, daily slow updates, notifications collected
    "metrics",  # end-of-day tables at 23:00
)


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
