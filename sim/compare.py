"""Compare ranking policies on the same populations (paired seeds): the README's default job.

    python -m sim.compare                                   # engagement vs civic, 2,000 users, 28 days, 5 seeds
    python -m sim.compare --policies engagement chronological n_users=5000 days=56 --seeds 10
    python -m sim.compare --policies engagement rules.py:my_rule      # a rule of your own, as a policy

For each of ``--seeds`` seeds (``seed``, ``seed + 1``, ...) every policy runs with identical people,
network and random numbers (common random numbers), so a difference within a seed is due to the policy.
The table shows, per group, each policy's mean over the last ``--last-days`` days (averaged over the
seeds) and each policy's difference to the first with its 95% interval over the seeds: the paired effect
of ``sim/report/effects.py``. Each outcome's levels and differences are in the one unit its row names
(``OUTCOMES``: sleep in minutes, shares in percent), and a note under the table says what wellbeing's 0 is.
The table is also written as CSV (numbers) and Markdown (as printed) next to the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import metrics, named_rules
from sim.config import ConfigError, compose, group_options
from sim.report import effects
from sim.runner import execute, unique_dir


@dataclass(frozen=True)
class Shown:
    """How the table shows one outcome of the daily table: levels and differences in one unit, the one
    its row names, with a fixed number of decimals."""

    label: str  # the row's name, with the unit of its levels and of its differences
    factor: float  # multiply the daily table's value (unit of sim/metrics.py) by this to get the unit shown
    decimals: int
    signed_levels: bool = False  # wellbeing's levels are themselves differences, from the no-platform state


OUTCOMES = {
    "wellbeing": Shown("wellbeing (SD)", 1.0, 3, signed_levels=True),
    # the paired differences are minutes, so the levels are too (metrics.py: hours)
    "sleep_hours": Shown("sleep (min/night)", 60.0, 1),
    "minutes_on_platform": Shown("time on platform (min/day)", 1.0, 1),
    "night_minutes": Shown("night use (min/day)", 1.0, 1),
    # a share of items seen, in percent; its differences are percentage points
    "exposure_hostile_share": Shown("hostile exposure (% of items seen)", 100.0, 1),
    # changes of a few thousandths are typical, so four decimals keep them apart from zero
    "affective_polarization": Shown("affective polarisation (0-1 scale)", 1.0, 4),
}
# The line under the table: what wellbeing's 0 is, in the words of its definition (sim/metrics.py).
_WELLBEING_DEFINITION = metrics.DAILY["wellbeing"][1]
WELLBEING_NOTE = (
    "wellbeing (SD): "
    + _WELLBEING_DEFINITION[_WELLBEING_DEFINITION.index("0 = ") :]
    + "; 1 SD = the population's SD in that no-platform state"
)
GROUP_ORDER = ("all", "adolescent", "young_adult", "adult", "vulnerable")


def pooled(results: dict[tuple[str, int], object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The daily and users tables of runs keyed by (policy, seed), tagged with job, label and seed as a
    sweep's tables are (what ``comparison_table`` and ``sim/report/effects.py`` read)."""
    dailies, users = [], []
    for (policy, seed), result in results.items():
        tag = {"job": f"{policy}_s{seed}", "label": policy, "seed": seed}
        dailies.append(result.daily.assign(**tag))
        users.append(result.users.assign(**tag))
    return pd.concat(dailies, ignore_index=True), pd.concat(users, ignore_index=True)


def comparison_table(daily: pd.DataFrame, users: pd.DataFrame, policies: list[str], last_days: int) -> pd.DataFrame:
    """Long table: one row per (group, outcome) with each policy's window mean (over seeds) and, for each
    policy after the first, its paired difference to the first with the 95% interval over seeds, all in
    the unit the outcome's row names (``OUTCOMES``)."""
    levels = effects.window_means(daily, last_days).groupby(["label", "group"])[list(OUTCOMES)].mean()
    eff = effects.effects(daily, users, policies[0], last_days).set_index(["label", "group", "outcome"])
    rows = []
    for group in GROUP_ORDER:
        for col, shown in OUTCOMES.items():
            row = {"group": group, "outcome": shown.label}
            for name in policies:
                row[name] = float(levels.loc[(name, group), col]) * shown.factor
            # effects() reports in its own unit (shares in points): back to the daily table's, then the row's
            factor = shown.factor / effects.OUTCOME_BY_COLUMN[col].scale
            for name in policies[1:]:
                e = eff.loc[(name, group, col)]
                row[f"{name} - {policies[0]}"] = e["effect"] * factor
                row[f"{name} - {policies[0]} lower"] = e["lower"] * factor
                row[f"{name} - {policies[0]} upper"] = e["upper"] * factor
            rows.append(row)
    return pd.DataFrame(rows)


def _signed(x: float, decimals: int) -> str:
    return f"{x:+.{decimals}f}"


def _difference(v: float, lo: float, hi: float, decimals: int) -> str:
    if v != v:
        return "n/a"
    if lo != lo:  # one seed: no interval
        return _signed(v, decimals)
    return f"{_signed(v, decimals)} [{_signed(lo, decimals)}, {_signed(hi, decimals)}]"


def headline(table: pd.DataFrame, policies: list[str]) -> list[str]:
    """One line per policy after the first: its trade-off for all users, time on the platform in min/day and
    in percent of the first policy's (the interval divides the paired interval by that level) and wellbeing
    in SD."""
    rows = table[table["group"] == "all"].set_index("outcome")
    minutes, wellbeing = OUTCOMES["minutes_on_platform"], OUTCOMES["wellbeing"]
    lines = []
    for name in policies[1:]:
        d = f"{name} - {policies[0]}"
        base = rows.loc[minutes.label, policies[0]]
        mins = [rows.loc[minutes.label, d + x] for x in ("", " lower", " upper")]
        pct = [100 * v / base for v in mins]
        wb = [rows.loc[wellbeing.label, d + x] for x in ("", " lower", " upper")]
        interval = pct[1] == pct[1]
        lines.append(
            f"{name} against {policies[0]}, all users: time on the platform {mins[0]:+.1f} min/day"
            + (f" [{mins[1]:+.1f}, {mins[2]:+.1f}]" if interval else "")
            + f" ({pct[0]:+.1f}%"
            + (f" [{pct[1]:+.1f}%, {pct[2]:+.1f}%])" if interval else ")")
            + f", wellbeing {wb[0]:+.3f} SD"
            + (f" [{wb[1]:+.3f}, {wb[2]:+.3f}]" if interval else "")
        )
    return lines


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """``comparison_table`` as text: each outcome's levels and differences with its row's decimals, each
    difference with its interval in one column."""
    by_label = {shown.label: shown for shown in OUTCOMES.values()}
    decimals = [by_label[o].decimals for o in table["outcome"]]
    signed = [by_label[o].signed_levels for o in table["outcome"]]
    diffs = [c[: -len(" lower")] for c in table.columns if c.endswith(" lower")]
    levels = [c for c in table.columns if c not in ("group", "outcome") and " - " not in c]
    shown = table[["group", "outcome"]].copy()
    for c in levels:
        shown[c] = [_signed(v, n) if sign else f"{v:.{n}f}" for v, n, sign in zip(table[c], decimals, signed)]
    for c in diffs:
        shown[c + " [95% CI]"] = [
            _difference(v, lo, hi, n)
            for v, lo, hi, n in zip(table[c], table[c + " lower"], table[c + " upper"], decimals)
        ]
    return shown


def format_table(table: pd.DataFrame) -> str:
    shown = shown_table(table)
    shown["group"] = shown["group"].where(shown["group"] != shown["group"].shift(), "")
    return shown.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.compare", description=__doc__.splitlines()[0])

    def one_line_error(message: str) -> None:  # argparse's usage block would hide the one line that matters
        print(f"error: {message} (python -m sim.compare --help)", file=sys.stderr)
        sys.exit(2)

    parser.error = one_line_error
    parser.add_argument(
        "--policies",
        nargs="+",
        default=["engagement", "civic"],
        help="ranking policies to compare (the first is the reference)",
    )
    parser.add_argument("--last-days", type=int, default=7, help="days averaged at the end of the run")
    parser.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="paired replications: seeds seed, seed+1, ...; the intervals are over these (default 5)",
    )
    parser.add_argument("overrides", nargs="*", help="settings for every run, e.g. n_users=5000 seed=3")
    argv = sys.argv[1:] if argv is None else list(argv)
    # Settings (key=value) may stand anywhere, also after --policies; keep them away from argparse.
    settings = [a for a in argv if "=" in a and not a.startswith("-")]
    args = parser.parse_args([a for a in argv if a not in settings])
    args.overrides = settings

    try:
        known = group_options("policy")
        for p in args.policies:
            if p not in known and not named_rules.is_rule(p):
                raise ConfigError(
                    f"--policies {p!r} is not allowed: choose from "
                    + ", ".join(known)
                    + ", or name a rule of your own as file.py:function"
                )
        # a rule of one's own is reported under its function's name, like a built-in under its own
        args.policies = [named_rules.register_rule(p) if named_rules.is_rule(p) else p for p in args.policies]
        if len(set(args.policies)) != len(args.policies) or len(args.policies) < 2:
            raise ConfigError(
                f"--policies {' '.join(args.policies)} is not allowed: give two or more different policies"
            )
        if any(o.split("=")[0].lstrip("+") == "policy" for o in args.overrides):
            raise ConfigError("policy=... is not allowed here: use --policies")
        # each run is reported under its policy, not under the default scenario's label
        cfgs = {p: compose(args.overrides + [f"policy={p}", f"label={p}"]) for p in args.policies}
        days = int(next(iter(cfgs.values())).days)
        if not 1 <= args.last_days <= days:
            raise ConfigError(f"--last-days {args.last_days} is not allowed: must be between 1 and days ({days})")
        if not 1 <= args.seeds <= 1000:
            raise ConfigError(f"--seeds {args.seeds} is not allowed: must be a whole number from 1 to 1000")
        first = int(next(iter(cfgs.values())).seed)
        seeds = list(range(first, first + args.seeds))
        if args.seeds > 1:  # every seed composes (a seed out of range is refused before anything runs)
            runs = {
                (p, s): compose(args.overrides + [f"policy={p}", f"label={p}", f"seed={s}"])
                for p in cfgs
                for s in seeds
            }
        else:
            runs = {(p, first): cfg for p, cfg in cfgs.items()}
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    cfg0 = next(iter(cfgs.values()))
    stamp = f"{dt.datetime.now():%Y-%m-%d_%H-%M-%S}"
    seed_text = f"s{seeds[0]}" if len(seeds) == 1 else f"s{seeds[0]}-{seeds[-1]}"
    out_dir = unique_dir(Path(cfg0.output.dir).parent / "compare" / f"{stamp}_{'_vs_'.join(args.policies)}_{seed_text}")
    results = {}
    for i, ((p, s), cfg) in enumerate(runs.items(), start=1):
        print(
            f"[{i}/{len(runs)}] simulating {cfg.n_users} users for {cfg.days} days under '{p}' (seed {s}) ...",
            file=sys.stderr,
            flush=True,
        )
        result = execute(cfg, out_dir / (p if len(seeds) == 1 else f"{p}_s{s}"))
        results[(p, s)] = result
        print(f"  done in {result.manifest['wall_time_s']:.0f} s -> {result.path}", file=sys.stderr, flush=True)

    table = comparison_table(*pooled(results), args.policies, args.last_days)
    table.to_csv(out_dir / "comparison.csv", index=False)
    (out_dir / "comparison.md").write_text(
        shown_table(table).to_markdown(index=False, disable_numparse=True) + "\n\n" + WELLBEING_NOTE + "\n"
    )
    print()
    seeds_said = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    print(
        f"{' vs '.join(args.policies)}: {cfg0.n_users} users, {cfg0.days} days, {seeds_said}; "
        f"means over the last {args.last_days} days and over the seeds"
    )
    print(
        "differences: paired by seed (same people and random numbers under each policy), in the row's unit "
        "(percentage points for a percentage); "
        + (
            f"[95% CI] over the {len(seeds)} seeds (Student's t)"
            if len(seeds) > 1
            else "one seed gives no interval (use --seeds 5 or more)"
        )
    )
    print()
    print(format_table(table))
    print(WELLBEING_NOTE)
    print()
    for line in headline(table, args.policies):
        print(line)
    print()
    print(f"tables: {out_dir}/comparison.csv; runs: {out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
