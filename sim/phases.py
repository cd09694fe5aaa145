"""The phases of the simulated hour, declared once.

``FeedModel.step`` runs them in this order, each as its method ``phase_<name>``; the numerical guard
(``sim/guards.py``) names them in its messages; the profiler (``sim/profiling.py``) times them; the
architecture page (``docs/design/architecture.md``) shows them.
"""

from __future__ import annotations

from typing import NamedTuple


class Phase(NamedTuple):
    name: str
    runs: str  # what the phase calls, for the guard's message
    end_of_day: bool = False  # runs only in the day's last hour


HOUR = (
    Phase("platform_start", "the seen memory's new day, Platform.start_hour: deactivation, permissions"),
    Phase("sleep", "sleep.advance_sleep"),
    Phase("notifications", "notifications.deliver"),
    Phase("sessions", "sessions.draw_sessions"),
    Phase("pool", "kernels.build_pool, the hour's out-of-network pool"),
    Phase("ranking", "the ranking kernel, sim/ranking/"),
    Phase("scrolling", "response.scroll_feeds"),
    Phase("impressions", "response.record_impressions"),
    Phase("sleep_settle", "sleep.settle_sleep"),
    Phase("posting", "posting.tick, posting.create_posts"),
    Phase("feedback", "wellbeing.feedback_mood, posting.learn_from_feedback"),
    Phase("platform_end", "Platform.end_hour: moderation"),
    Phase("wellbeing", "wellbeing.hourly"),
    Phase("daily_updates", "wellbeing.daily_update, sessions.update_habit, opinion.daily_update"),
    Phase("notifications_collect", "notifications.collect"),
    Phase("end_of_day", "metrics.end_of_day", end_of_day=True),
)
NAMES = tuple(phase.name for phase in HOUR)

# Where else the guard looks: outside the hour's phases.
OUTSIDE_THE_HOUR = {
    "spin_up": "sleep.advance_sleep in the spin-up",
    "end_of_hour": "FeedModel.step",
}
