"""Matplotlib figures of the explorer, as pure functions of tables (no Solara, no model).

Figures are built with ``matplotlib.figure.Figure``, not pyplot, so the page's threads never share
pyplot's global state and figures are freed when dropped.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from sim.metrics import DAILY
from sim.state import BED_SESSION, DAY_SESSION, NIGHT_SESSION
from sim.vocabulary import STYLES

GROUPS = {
    "all": ("all users", "#404040"),
    "adolescent": ("adolescents", "#1f77b4"),
    "vulnerable": ("vulnerable", "#d62728"),
}
# daily column -> title; units come from sim/metrics.py
OUTCOMES = {
    "wellbeing": "Wellbeing index",
    "sleep_hours": "Sleep",
    "late_sleep_onset_share": "Late sleep onset",
    "minutes_on_platform": "Time on platform",
    "night_minutes": "Night use",
    "exposure_hostile_share": "Hostile exposure",
    "exposure_idealised_share": "Idealised exposure",
    "affective_polarization": "Affective polarisation",
}
STYLE_COLOURS = {"personal": "#2ca02c", "idealised": "#9467bd", "outrage": "#d62728", "informational": "#7f7f7f"}
SESSION_KINDS = {
    DAY_SESSION: ("by day", "#17becf"),
    BED_SESSION: ("in bed", "#ff7f0e"),
    NIGHT_SESSION: ("woken at night", "#d62728"),
}
ASLEEP_COLOUR = "#283b6b"
DPI = 90
# The smallest difference worth reading on each outcome's axis, in its unit: an axis spans at least four
# of them, so a flat or nearly flat series sits on a readable scale instead of one magnified to
# floating-point noise (tick labels like 1e-16).
RESOLUTION = {
    "wellbeing": 0.01,
    "sleep_hours": 0.05,
    "late_sleep_onset_share": 0.005,
    "minutes_on_platform": 1.0,
    "night_minutes": 0.5,
    "exposure_hostile_share": 0.005,
    "exposure_idealised_share": 0.005,
    "affective_polarization": 0.005,
}
SIGNED = {"wellbeing"}  # outcomes that can be negative; the others start their axis at 0 at most
MIN_STEPS = 4
# Differences within this share of the values' size are rounding of the same number, shown as 0.
RELATIVE_NOISE = 1e-9


def unit(column: str) -> str:
    return DAILY[column][0]


def latest_day(daily: pd.DataFrame) -> int | None:
    """The last simulated day in ``daily``, counted from 1 as the page counts days (the table's
    ``day`` column counts from 0)."""
    return None if daily.empty else int(daily["day"].max()) + 1


def _series(daily: pd.DataFrame, group: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(days counted from 1, values) of one group."""
    rows = daily[daily["group"] == group]
    return rows["day"].to_numpy() + 1, rows[column].to_numpy(dtype=float)


def differences(daily_a: pd.DataFrame, daily_b: pd.DataFrame) -> pd.DataFrame:
    """B - A per (day, group) for every outcome, for the days both sides have; a difference that is
    only rounding (the same number computed along two paths) is exactly 0."""
    keys = ["day", "group"]
    cols = list(OUTCOMES)
    merged = daily_a[keys + cols].merge(daily_b[keys + cols], on=keys, suffixes=("_a", "_b"))
    out = merged[keys].copy()
    for c in cols:
        out[c] = without_noise(merged[f"{c}_b"].to_numpy(float), merged[f"{c}_a"].to_numpy(float))
    return out


def without_noise(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """b - a, with differences below RELATIVE_NOISE of the values' size set to 0."""
    diff = b - a
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(np.abs(diff) <= RELATIVE_NOISE * scale, 0.0, diff)


def y_limits(values: np.ndarray, resolution: float, include_zero: bool = False, floor: float | None = None):
    """Axis limits for ``values``: at least MIN_STEPS resolutions wide (so a flat series is not
    magnified to its rounding errors), with a margin, 0 included if asked, and never below ``floor``
    (e.g. 0 for a share) when no value is."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    min_span = MIN_STEPS * resolution
    if hi - lo < min_span:
        middle = (lo + hi) / 2
        lo, hi = middle - min_span / 2, middle + min_span / 2
    margin = 0.08 * (hi - lo)
    lo, hi = lo - margin, hi + margin
    if floor is not None and lo < floor <= (finite.min() if finite.size else floor):
        lo, hi = floor, max(hi, floor + min_span)
    return lo, hi


def tick_decimals(step: float) -> int:
    """The decimals a tick step needs: 0 for 20, 1 for 0.5, 2 for 0.25 (at most 6)."""
    if not np.isfinite(step) or step <= 0:
        return 0
    for decimals in range(7):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 6


def tick_text(value: float, decimals: int) -> str:
    """A tick label with a fixed number of decimals, never "-0" and with a true minus sign."""
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        text = f"{0.0:.{decimals}f}"
    return text.replace("-", "\N{MINUS SIGN}")


def tick_labels(values) -> list[str]:
    """Labels for ticks at ``values``, all with the decimals their step needs."""
    values = np.asarray(values, dtype=float)
    step = float(np.min(np.diff(np.sort(values)))) if values.size > 1 else float(np.abs(values).max(initial=0.0))
    decimals = tick_decimals(step)
    return [tick_text(v, decimals) for v in values]


def number_text(value: float, decimals: int, signed: bool = False) -> str:
    """A table's number: ``signed`` ones (differences) carry their sign, except one that rounds to 0,
    which is shown as 0 rather than as -0.000 or +0.000."""
    text = f"{value:{'+' if signed else ''}.{decimals}f}"
    return f"{0.0:.{decimals}f}" if float(text) == 0 else text


class PlainTicks(Formatter):
    """Tick labels without an offset or scientific notation, with as many decimals as the tick step
    needs: matplotlib's default turns a nearly flat series into labels like "1e-16" or "+7.5"."""

    def format_ticks(self, values):
        return tick_labels(values)

    def __call__(self, value, pos=None):
        return tick_labels([value])[0]


def _style_axis(ax) -> None:
    ax.grid(alpha=0.3)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(PlainTicks())
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    ax.xaxis.set_major_formatter(PlainTicks())
    ax.tick_params(labelsize=9)


def _day_limits(days: int) -> tuple[float, float]:
    """The x axis spans the whole run (days counted from 1), so lines grow instead of rescaling."""
    return 0.7, max(days, 2) + 0.3


class OutcomePanels:
    """Every outcome by group over the days: A and B side by side on the same y scale, or (with
    ``difference=True``) B - A around a zero line. Two outcomes per row (four with ``difference``),
    large enough to read on a laptop screen.

    The figure is built once and only its lines and limits change from day to day: building a grid of
    axes costs several times more than drawing it, and the page redraws after every simulated day."""

    def __init__(self, difference: bool = False):
        self.difference = difference
        sides = ("B − A",) if difference else ("A", "B")
        per_row = 4 if difference else 2
        rows = -(-len(OUTCOMES) // per_row)
        height = 2.4 * rows + 0.9
        self.fig = Figure(figsize=(11.5, height), dpi=DPI, layout="constrained")
        cells = self.fig.subfigures(rows, per_row, squeeze=False).ravel()
        self.axes: dict[tuple[str, str], object] = {}  # (outcome, side) -> axes
        self.lines = {}
        unit_break = "\n" if difference else " "  # four panels a row leave no room for title and unit on one line
        for cell, (column, title) in zip(cells, OUTCOMES.items()):
            cell.suptitle(f"{title}{unit_break}({unit(column)})", fontsize=11)
            for i, side in enumerate(sides):
                ax = cell.add_subplot(1, len(sides), i + 1)
                if difference or column in SIGNED:
                    ax.axhline(0, color="black", lw=0.6)
                for group, (label, colour) in GROUPS.items():
                    (self.lines[column, side, group],) = ax.plot([], [], color=colour, label=label, ms=4)
                _style_axis(ax)
                if not difference:
                    ax.set_title(side, fontsize=10, loc="left", fontweight="bold")
                if i:
                    ax.tick_params(labelleft=False)
                self.axes[column, side] = ax
        self.sides = sides
        handles, labels = next(iter(self.axes.values())).get_legend_handles_labels()
        self.fig.legend(handles, labels, loc="outside upper right", ncol=len(labels), frameon=False, fontsize=10)
        self.title = self.fig.suptitle("", x=0.01, ha="left", fontsize=11)

    def draw(self, daily_a: pd.DataFrame, daily_b: pd.DataFrame, title_a: str, title_b: str, days: int = 0) -> bytes:
        """The figure for these tables, as PNG, with the x axis spanning ``days`` (the run's length)."""
        if self.difference:
            tables = {"B − A": differences(daily_a, daily_b)}
            self.title.set_text(f"{title_b}  minus  {title_a}")
        else:
            tables = {"A": daily_a, "B": daily_b}
            self.title.set_text(f"{title_a}      {title_b}")
        shown = max([days] + [latest_day(t) or 0 for t in tables.values()])
        for column in OUTCOMES:
            values = []
            for side, daily in tables.items():
                for group in GROUPS:
                    day, value = _series(daily, group, column)
                    line = self.lines[column, side, group]
                    line.set_data(day, value)
                    line.set_marker("o" if day.size < 3 else "None")
                    values.append(value)
            limits = y_limits(
                np.concatenate(values),
                RESOLUTION[column],
                include_zero=self.difference or column in SIGNED,
                floor=None if self.difference or column in SIGNED else 0.0,
            )
            for side in self.sides:
                self.axes[column, side].set_ylim(limits)
                self.axes[column, side].set_xlim(_day_limits(shown))
        return png(self.fig)


def latest_table(daily_a: pd.DataFrame, daily_b: pd.DataFrame) -> pd.DataFrame:
    """The last day both sides have: one row per outcome and group with A, B and B - A."""
    day = min(latest_day(daily_a) or 0, latest_day(daily_b) or 0) - 1  # the tables count days from 0
    rows = []
    for column, title in OUTCOMES.items():
        for group, (label, _) in GROUPS.items():
            a = daily_a[(daily_a["day"] == day) & (daily_a["group"] == group)][column]
            b = daily_b[(daily_b["day"] == day) & (daily_b["group"] == group)][column]
            if a.empty or b.empty:
                continue
            rows.append(
                {
                    "outcome": f"{title} ({unit(column)})",
                    "group": label,
                    "A": float(a.iloc[0]),
                    "B": float(b.iloc[0]),
                    "B − A": float(without_noise(b.to_numpy(float), a.to_numpy(float))[0]),
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "group", "A", "B", "B − A"])


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # day 1 is a Monday (sim/model.py)
MOOD_RESOLUTION = 0.05  # trait SD


def window_label(start: int, end: int) -> str:
    """The days an hour window [start, end) covers, counted from 1 as the day counter counts them."""
    first, last = start // 24 + 1, (end - 1) // 24 + 1
    return f"day {first}" if first == last else f"days {first}-{last}"


def hour_labels(hours: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Ticks every six hours; midnight names the day as the page counts it (from 1) and its weekday."""
    ticks = hours[hours % 6 == 0]
    labels = [f"day {h // 24 + 1} {WEEKDAYS[(h // 24) % 7]}" if h % 24 == 0 else f"{h % 24:02d}h" for h in ticks]
    return ticks, labels


def user_day(hours_a: pd.DataFrame, hours_b: pd.DataFrame, title_a: str, title_b: str) -> Figure:
    """A user's recent hours under A (left) and B (right): sleep and time on the platform by kind of
    session, the feed's items by style, and mood."""
    fig = Figure(figsize=(11.5, 8.0), dpi=DPI, layout="constrained")
    axes = fig.subplots(3, 2, sharex=True, sharey="row", squeeze=False)
    for col, (hours, title) in enumerate(((hours_a, title_a), (hours_b, title_b))):
        h = hours["hour"].to_numpy()
        ax = axes[0, col]
        ax.bar(h, hours["asleep_min"], width=1.0, color=ASLEEP_COLOUR, label="asleep", align="edge")
        for kind, (label, colour) in SESSION_KINDS.items():
            minutes = np.where(hours["session"] == kind, hours["minutes"], 0.0)
            ax.bar(
                h,
                minutes,
                width=1.0,
                bottom=hours["asleep_min"],
                color=colour,
                label=f"on platform {label}",
                align="edge",
            )
        ax.set_ylim(0, 60)
        ax.set_title(title, fontsize=11)
        ax = axes[1, col]
        bottom = np.zeros(len(h))
        for style in STYLES:
            count = hours[f"items_{style}"].to_numpy(dtype=float)
            ax.bar(h, count, width=1.0, bottom=bottom, color=STYLE_COLOURS[style], label=f"{style} items", align="edge")
            bottom += count
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax = axes[2, col]
        ax.axhline(0, color="black", lw=0.6)
        ax.step(h, hours["mood"], where="post", color="black")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
            ax.yaxis.set_major_formatter(PlainTicks())
            ax.tick_params(labelsize=9)
        if len(h):
            ticks, labels = hour_labels(h)
            axes[2, col].set_xticks(ticks, labels, fontsize=9, rotation=45, ha="right")
    moods = np.concatenate([hours["mood"].to_numpy(dtype=float) for hours in (hours_a, hours_b)])
    axes[2, 0].set_ylim(y_limits(moods, MOOD_RESOLUTION, include_zero=True))
    axes[0, 0].set_ylabel("minutes of the hour", fontsize=10)
    axes[1, 0].set_ylabel("feed items seen", fontsize=10)
    axes[2, 0].set_ylabel("mood (trait SD)", fontsize=10)
    handles = [h for ax in axes[:2, 0] for h in ax.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=10)
    return fig


def network(
    positions: np.ndarray,
    edges: np.ndarray,
    values: list[np.ndarray],
    titles: list[str],
    colour_label: str,
    cmap: str,
    limits: tuple[float, float],
    highlight: int | None = None,
    sizes: np.ndarray | None = None,
) -> Figure:
    """The sampled follow network, once per array in ``values`` (same layout), nodes coloured by it."""
    fig = Figure(figsize=(7.0 * len(values) + 1.5, 6.5), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    segments = positions[edges] if len(edges) else np.zeros((0, 2, 2))
    for ax, value, title in zip(axes, values, titles):
        ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.3, alpha=0.25))
        points = ax.scatter(
            positions[:, 0],
            positions[:, 1],
            c=value,
            cmap=cmap,
            vmin=limits[0],
            vmax=limits[1],
            s=sizes if sizes is not None else 25,
            edgecolors="white",
            linewidths=0.4,
            zorder=2,
        )
        if highlight is not None:
            ax.scatter(*positions[highlight], s=160, facecolors="none", edgecolors="black", linewidths=1.5, zorder=3)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
        ax.set_aspect("equal")
    fig.colorbar(points, ax=list(axes), shrink=0.8, label=colour_label)
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
