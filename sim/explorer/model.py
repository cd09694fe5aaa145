"""ExplorerModel: two scenarios with the same seed, stepping in lockstep, one simulated day per step.

Scenario A is the reference, scenario B the alternative (a scenario preset or ranking rule plus the
platform interventions chosen in the page). With the same seed both sides have the same people, the
same follow graph and the same random numbers (common random numbers), so B - A is the effect of the
difference in settings, not noise.

Each side also records every user's recent hours (``HourTrace``): sleep, sessions, what the feed showed
and mood. It reads the engine's arrays after each ``FeedModel.step()`` and never writes to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from sim.explorer.settings import (
    PRESET,
    RULE,
    RuleFile,
    compose_side,
    default_choice,
    describe,
    parse_rule_file,
    parse_whole,
)
from sim.model import FeedModel
from sim.state import (
    N_STYLES,
    NIGHT_SESSION,
    TOT_LIKES_RECEIVED,
    TOT_MINUTES,
    TOT_POSTS,
    TOT_UPWARD,
)
from sim.vocabulary import AGE_GROUPS, STYLES

DEFAULT_REFERENCE = default_choice(PRESET + "status_quo", RULE + "engagement")
DEFAULT_ALTERNATIVE = default_choice(RULE + "civic", PRESET + "civic_platform")
DEFAULT_USERS = 1000  # about 0.2 s per simulated day and side on 2 cores, so the page stays responsive
HOURS_KEPT = 7 * 24

# Cumulative per-user totals whose hourly increments the trace keeps: trace name -> totals column.
HOURLY_INCREMENTS = {
    "minutes": TOT_MINUTES,
    "likes_received": TOT_LIKES_RECEIVED,
    "posts": TOT_POSTS,
    "upward_comparisons": TOT_UPWARD,
}


class HourTrace:
    """Every user's last ``hours_kept`` hours, in a ring buffer indexed by simulated hour."""

    def __init__(self, n_users: int, hours_kept: int = HOURS_KEPT):
        self.hours_kept = hours_kept
        self.end = 0  # hours recorded so far; the buffer holds [max(0, end - hours_kept), end)
        shape = (hours_kept, n_users)
        self.asleep_min = np.zeros(shape, np.float32)
        self.session = np.zeros(shape, np.int8)
        self.mood = np.zeros(shape, np.float32)
        self.items = np.zeros(shape + (N_STYLES,), np.int16)
        self.increments = {name: np.zeros(shape, np.float32) for name in HOURLY_INCREMENTS}
        self._totals_before = {name: np.zeros(n_users) for name in HOURLY_INCREMENTS}

    @property
    def start(self) -> int:
        return max(0, self.end - self.hours_kept)

    def record(self, model: FeedModel, style_of_slot: np.ndarray) -> None:
        """Book the hour ``model`` has just simulated. ``style_of_slot`` is the post store's style array
        as it was when the feeds were ranked: posting later in the hour may grow the store, which moves
        posts to new slots in new arrays, while ``last_feed`` still holds the old slots."""
        if model.hour != self.end + 1:
            raise RuntimeError(f"trace expects hour {self.end}, the model has just simulated hour {model.hour - 1}")
        u = model.users
        row = self.end % self.hours_kept
        self.session[row] = u.session_kind
        self.mood[row] = u.mood
        for name, column in HOURLY_INCREMENTS.items():
            total = u.totals[:, column]
            self.increments[name][row] = total - self._totals_before[name]
            self._totals_before[name] = total.copy()
        # A night check is not awake time of the sleep model: it costs the night its minutes on the
        # phone plus the time to fall asleep again (sim/behaviour/response.py).
        night_check = np.where(
            u.session_kind == NIGHT_SESSION, self.increments["minutes"][row] + model.scroll_p.fall_back_asleep_min, 0.0
        )
        self.asleep_min[row] = np.maximum(60.0 - u.awake_min - night_check, 0.0)
        self.items[row] = 0
        session_users, feed, _, n_viewed = model.last_feed
        if session_users.size:
            viewed = np.arange(feed.shape[1])[None, :] < n_viewed[:, None]
            viewers = np.broadcast_to(session_users[:, None], feed.shape)[viewed]
            np.add.at(self.items[row], (viewers, style_of_slot[feed[viewed]]), 1)
        self.end += 1

    def user_hours(self, uid: int, start: int, end: int) -> pd.DataFrame:
        """One row per hour in [start, end) for user ``uid``; hours no longer (or not yet) kept are
        left out."""
        hours = np.arange(max(start, self.start), min(end, self.end))
        rows = hours % self.hours_kept
        table = {
            "hour": hours,
            "asleep_min": self.asleep_min[rows, uid],
            "session": self.session[rows, uid],
            "mood": self.mood[rows, uid],
        }
        table.update({name: values[rows, uid] for name, values in self.increments.items()})
        table.update({f"items_{style}": self.items[rows, uid, i] for i, style in enumerate(STYLES)})
        return pd.DataFrame(table)


@dataclass
class Side:
    """One scenario of the comparison: its settings, its FeedModel and its trace."""

    name: str  # "A" or "B"
    choice: str  # the scenario preset or ranking rule, as named in the page
    cfg: object
    rule: RuleFile | None = None  # a plug-in rule that replaces the choice's ranking rule
    model: FeedModel = field(init=False)
    trace: HourTrace = field(init=False)

    def __post_init__(self):
        self.model = FeedModel(self.cfg)
        self.trace = HourTrace(self.model.users.n)

    @property
    def title(self) -> str:
        """E.g. "B: civic (ranking rule)", "B: friends_first (rules.py)" or
        "B: civic_platform (scenario) ranked by friends_first (rules.py)"."""
        kind, _, name = self.choice.partition(": ")
        if self.rule is None:
            return f"{self.name}: {name} ({kind})"
        own = f"{self.rule.function} ({self.rule.path.name})"
        return (
            f"{self.name}: {own}" if self.choice.startswith(RULE) else f"{self.name}: {name} ({kind}) ranked by {own}"
        )

    @property
    def settings(self) -> str:
        return describe(self.cfg)

    def step_hour(self) -> None:
        style_at_ranking = self.model.posts.style
        self.model.step()
        self.trace.record(self.model, style_at_ranking)

    def daily(self) -> pd.DataFrame:
        return self.model.daily_table()


class ExplorerModel(mesa.Model):
    """Scenario A (``reference``) and scenario B (``alternative``, ranked by the plug-in rule in
    ``rule_file`` if one is named, plus the platform controls in ``platform``, e.g. ``counts="hidden"``)
    with the same population and seed; ``step()`` simulates one day of both. Bad settings, including
    a rule file or function that cannot serve, raise ``ConfigError`` before anything is built."""

    def __init__(
        self,
        reference: str = DEFAULT_REFERENCE,
        alternative: str = DEFAULT_ALTERNATIVE,
        n_users: int | str = DEFAULT_USERS,
        seed: int | str = 0,
        days: int | str = 28,
        rule_file: str = "",
        *,
        scenario=None,
        **platform: str,
    ):
        # ``scenario`` is Mesa's experiment-scenario object, which SolaraViz passes when it rebuilds the
        # model; the settings here come from the Hydra config instead, so it is not used.
        n_users, seed, days = (
            parse_whole("n_users", n_users, 1),
            parse_whole("seed", seed),
            parse_whole("days", days, 1),
        )
        rule = parse_rule_file(rule_file)
        cfg_a = compose_side(reference, {}, n_users, seed, days, "reference")
        cfg_b = compose_side(alternative, platform, n_users, seed, days, "alternative", rule)
        super().__init__(rng=seed)
        self.n_users, self.seed, self.days = n_users, seed, days
        self.day = 0
        self.sides = (Side("A", reference, cfg_a), Side("B", alternative, cfg_b, rule))
        self.running = self.days > 0

    @property
    def a(self) -> Side:
        return self.sides[0]

    @property
    def b(self) -> Side:
        return self.sides[1]

    def step(self) -> None:
        if self.day >= self.days:
            self.running = False
            return
        for _ in range(24):
            for side in self.sides:
                side.step_hour()
        self.day += 1
        self.running = self.day < self.days

    def user_picks(self) -> list[tuple[int, str]]:
        """A heavy and a typical user (by use propensity) of every age group, vulnerable or not:
        (user id, label) pairs for the page's user picker. Traits are identical on both sides."""
        u = self.a.model.users
        picks = []
        for vulnerable in (1, 0):
            for g, group in enumerate(AGE_GROUPS):
                members = np.flatnonzero((u.age_group == g) & (u.vulnerable == vulnerable))
                if members.size == 0:
                    continue
                order = members[np.argsort(-u.use_propensity[members], kind="stable")]
                kind = f"{group.replace('_', ' ')}{', vulnerable' if vulnerable else ''}"
                picks.append((int(order[0]), f"user {order[0]}: {kind}, heavy user"))
                picks.append((int(order[order.size // 2]), f"user {order[order.size // 2]}: {kind}, typical user"))
        return picks
