"""The report's figures (matplotlib, Agg backend: no display needed). Each function saves a PNG and
returns its path."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from sim.report.effects import GROUP_TITLES, GROUPS, OUTCOME_BY_COLUMN, OUTCOMES  # noqa: E402

DPI = 110


def _colours(labels: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {label: cycle[i % len(cycle)] for i, label in enumerate(labels)}


def time_series(series: pd.DataFrame, labels: list[str], baseline: str, path: Path) -> Path:
    """One panel per outcome: the mean over seeds per day and label, with its 95% interval."""
    colours = _colours(labels)
    n = len(OUTCOMES)
    cols = 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), sharex=True, squeeze=False)
    for ax, o in zip(axes.flat, OUTCOMES):
        for label in labels:
            s = series[(series["label"] == label) & (series["outcome"] == o.column)].sort_values("day")
            ax.plot(
                s["day"],
                s["mean"] * o.scale,
                color=colours[label],
                lw=2 if label == baseline else 1.5,
                ls="--" if label == baseline else "-",
                label=label,
            )
            ax.fill_between(s["day"], s["lower"] * o.scale, s["upper"] * o.scale, color=colours[label], alpha=0.2, lw=0)
        unit = {"pp": "%"}.get(o.unit, o.unit)
        ax.set_title(f"{o.title} ({unit})", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("day", fontsize=8)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(labels), 6), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def effect_forest(effects: pd.DataFrame, baseline: str, path: Path) -> Path:
    """Wellbeing effect against the baseline in SD units with 95% CIs, per group and label."""
    e = effects[effects["outcome"] == "wellbeing"]
    labels = list(dict.fromkeys(e["label"]))
    colours = _colours([baseline, *labels])
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(GROUPS) * max(1, len(labels))))
    y, ticks, names = 0, [], []
    for group in GROUPS:
        for label in labels:
            r = e[(e["label"] == label) & (e["group"] == group)]
            if r.empty:
                continue
            r = r.iloc[0]
            lo, hi = r["lower_sd"], r["upper_sd"]
            if math.isfinite(lo) and math.isfinite(hi):
                ax.plot([lo, hi], [y, y], color=colours[label], lw=2)
            ax.plot(
                [r["effect_sd"]], [y], "o", color=colours[label], mfc=colours[label] if math.isfinite(lo) else "white"
            )
            ticks.append(y)
            names.append(f"{GROUP_TITLES[group]}: {label}")
            y -= 1
        y -= 0.5
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlabel(f"wellbeing effect against '{baseline}' (SD), 95% CI paired by seed", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def trade_off(eff: pd.DataFrame, labels: list[str], baseline: str, path: Path) -> Path:
    """The change in minutes on the platform (the platform's business metric) against the change in
    wellbeing, for everyone, one point per label with its 95% intervals paired by seed in both directions;
    the baseline is the origin. Paired intervals, because the labels share people and random numbers: two
    labels' levels can have overlapping intervals while their difference is clear."""
    colours = _colours(labels)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.axvline(0.0, color="0.6", lw=0.8)
    ax.plot([0.0], [0.0], "s", color=colours[baseline], ms=8, label=baseline + " (baseline)")
    for label in labels:
        if label == baseline:
            continue
        rows = eff[(eff["label"] == label) & (eff["group"] == "all")].set_index("outcome")
        x, y = rows.loc["minutes_on_platform"], rows.loc["wellbeing"]
        xerr = [[x["effect"] - x["lower"]], [x["upper"] - x["effect"]]] if math.isfinite(x["lower"]) else None
        yerr = [[y["effect"] - y["lower"]], [y["upper"] - y["effect"]]] if math.isfinite(y["lower"]) else None
        ax.errorbar(
            [x["effect"]],
            [y["effect"]],
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=colours[label],
            capsize=3,
            ms=8,
            label=label,
        )
    ax.set_xlabel(
        f"change in {OUTCOME_BY_COLUMN['minutes_on_platform'].title} (min/user/day) against {baseline}", fontsize=9
    )
    ax.set_ylabel(f"change in wellbeing (SD) against {baseline}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(len(labels), 4), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
