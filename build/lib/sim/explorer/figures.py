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
from matplotlib.ticker import MaxNLocator

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
DPI = 80


def unit(column: str) -> str:
    return DAILY[column][0]


def latest_day(daily: pd.DataFrame) -> int | None:
    return None if daily.empty else int(daily["day"].max())


def _series(daily: pd.DataFrame, group: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    rows = daily[daily["group"] == group]
    return rows["day"].to_numpy(), rows[column].to_numpy(dtype=float)


def _group_legend(fig: Figure, ax) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), frameon=False, fontsize=9)


def differences(daily_a: pd.DataFrame, daily_b: pd.DataFrame) -> pd.DataFrame:
    """B - A per (day, group) for every outcome, for the days both sides have."""
    keys = ["day", "group"]
    cols = list(OUTCOMES)
    merged = daily_a[keys + cols].merge(daily_b[keys + cols], on=keys, suffixes=("_a", "_b"))
    out = merged[keys].copy()
    for c in cols:
        out[c] = merged[f"{c}_b"] - merged[f"{c}_a"]
    return out


class OutcomePanels:
    """Every outcome by group over the days: A and B side by side on shared y axes, or (with
    ``difference=True``) B - A around a zero line.

    The figure is built once and only its lines change from day to day: building a grid of axes costs
    several times more than drawing it, and the page redraws after every simulated day."""

    def __init__(self, difference: bool = False):
        self.difference = difference
        ncols = 1 if difference else 2
        self.fig = Figure(figsize=(7.2, 1.45 * len(OUTCOMES) + 0.6), dpi=DPI)
        self.axes = self.fig.subplots(len(OUTCOMES), ncols, sharex=True, sharey="row", squeeze=False)
        self.fig.subplots_adjust(left=0.16, right=0.98, top=0.94, bottom=0.05, hspace=0.12, wspace=0.05)
        self.lines = {}
        for row, (column, title) in enumerate(OUTCOMES.items()):
            for col in range(ncols):
                ax = self.axes[row, col]
                if difference or column == "wellbeing":
                    ax.axhline(0, color="black", lw=0.6)
                for group, (label, colour) in GROUPS.items():
                    (self.lines[row, col, group],) = ax.plot([], [], color=colour, label=label, ms=3)
                ax.grid(alpha=0.3)
                ax.yaxis.set_major_locator(MaxNLocator(4))
            self.axes[row, 0].set_ylabel(f"{title}\n({unit(column)})", fontsize=8)
        for ax in self.axes[-1]:
            ax.set_xlabel("day")
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        _group_legend(self.fig, self.axes[0, 0])

    def draw(self, daily_a: pd.DataFrame, daily_b: pd.DataFrame, title_a: str, title_b: str) -> bytes:
        """The figure for these tables, as PNG."""
        if self.difference:
            tables = [differences(daily_a, daily_b)]
            self.axes[0, 0].set_title(f"{title_b}  minus  {title_a}", fontsize=10)
        else:
            tables = [daily_a, daily_b]
            self.axes[0, 0].set_title(title_a, fontsize=10)
            self.axes[0, 1].set_title(title_b, fontsize=10)
        for row, column in enumerate(OUTCOMES):
            for col, daily in enumerate(tables):
                for group in GROUPS:
                    days, values = _series(daily, group, column)
                    line = self.lines[row, col, group]
                    line.set_data(days, values)
                    line.set_marker("o" if days.size < 3 else "None")
                ax = self.axes[row, col]
                ax.relim()
                ax.autoscale_view()
        return png(self.fig)


def latest_table(daily_a: pd.DataFrame, daily_b: pd.DataFrame) -> pd.DataFrame:
    """The last day both sides have: one row per outcome and group with A, B and B - A."""
    day = min(latest_day(daily_a) or 0, latest_day(daily_b) or 0)
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
                    "B − A": float(b.iloc[0] - a.iloc[0]),
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "group", "A", "B", "B − A"])


def _hour_labels(hours: np.ndarray) -> tuple[np.ndarray, list[str]]:
    ticks = hours[hours % 6 == 0]
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    labels = [f"{names[(h // 24) % 7]} {h % 24:02d}h" if h % 24 == 0 else f"{h % 24:02d}h" for h in ticks]
    return ticks, labels


def user_day(hours_a: pd.DataFrame, hours_b: pd.DataFrame, title_a: str, title_b: str) -> Figure:
    """A user's recent hours under A (left) and B (right): sleep and time on the platform by kind of
    session, the feed's items by style, and mood."""
    fig = Figure(figsize=(7.2, 6.6), dpi=DPI, layout="constrained")
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
        ax.set_title(title, fontsize=10)
        ax = axes[1, col]
        bottom = np.zeros(len(h))
        for style in STYLES:
            count = hours[f"items_{style}"].to_numpy(dtype=float)
            ax.bar(h, count, width=1.0, bottom=bottom, color=STYLE_COLOURS[style], label=f"{style} items", align="edge")
            bottom += count
        ax = axes[2, col]
        ax.axhline(0, color="black", lw=0.6)
        ax.step(h, hours["mood"], where="post", color="black")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
        if len(h):
            ticks, labels = _hour_labels(h)
            axes[2, col].set_xticks(ticks, labels, fontsize=7, rotation=45)
    axes[0, 0].set_ylabel("minutes of the hour", fontsize=8)
    axes[1, 0].set_ylabel("feed items seen", fontsize=8)
    axes[2, 0].set_ylabel("mood (trait SD)", fontsize=8)
    handles = [h for ax in axes[:2, 0] for h in ax.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=8)
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
    fig = Figure(figsize=(5.6 * len(values) + 1.2, 5.2), dpi=DPI, layout="constrained")
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
