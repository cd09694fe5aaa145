"""Compare ranking policies on the same population (same seed): the README's default job.

    python -m sim.compare                                   # engagement vs civic, 2,000 users, 28 days
    python -m sim.compare --policies engagement chronological n_users=5000 days=56
    python -m sim.compare --policies engagement rules.py:my_rule      # a rule of your own, as a policy

Each policy runs with identical people, network and random numbers (common random numbers), so the
differences are due to the policy. The table shows means over the last ``--last-days`` days per group,
and is also written as CSV and Markdown next to the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from sim import named_rules
from sim.config import ConfigError, compose, group_options
from sim.runner import execute, unique_dir

OUTCOMES = {
    "wellbeing": ("wellbeing (SD)", "{:+.3f}"),
    "sleep_hours": ("sleep (h/night)", "{:.2f}"),
    "minutes_on_platform": ("time on platform (min/day)", "{:.1f}"),
    "night_minutes": ("night use (min/day)", "{:.1f}"),
    "exposure_hostile_share": ("hostile exposure (share)", "{:.3f}"),
    "affective_polarization": ("affective polarisation (0-1)", "{:.3f}"),
}
GROUP_ORDER = ("all", "adolescent", "young_adult", "adult", "vulnerable")


def comparison_table(summaries: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long table: one row per (group, outcome) with each policy's value and the difference to the first."""
    names = list(summaries)
    rows = []
    for group in GROUP_ORDER:
        for col, (label, _) in OUTCOMES.items():
            row = {"group": group, "outcome": label}
            for name in names:
                row[name] = float(summaries[name].loc[group, col])
            for name in names[1:]:
                row[f"{name} - {names[0]}"] = row[name] - row[names[0]]
            rows.append(row)
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    fmt = {label: f for label, f in OUTCOMES.values()}
    shown = table.copy()
    value_cols = [c for c in shown.columns if c not in ("group", "outcome")]
    for c in value_cols:
        shown[c] = [
            fmt[o].format(v).replace("+", "+" if " - " in c else "")
            if " - " not in c
            else ("{:+.3f}" if abs(v) < 10 else "{:+.1f}").format(v)
            for o, v in zip(shown["outcome"], shown[c])
        ]
    shown["group"] = shown["group"].where(shown["group"] != shown["group"].shift(), "")
    return shown.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.compare", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--policies",
        nargs="+",
        default=["engagement", "civic"],
        help="ranking policies to compare (the first is the reference)",
    )
    parser.add_argument("--last-days", type=int, default=7, help="days averaged at the end of the run")
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
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    cfg0 = next(iter(cfgs.values()))
    stamp = f"{dt.datetime.now():%Y-%m-%d_%H-%M-%S}"
    out_dir = unique_dir(
        Path(cfg0.output.dir).parent / "compare" / f"{stamp}_{'_vs_'.join(args.policies)}_s{cfg0.seed}"
    )
    summaries, paths = {}, {}
    for p, cfg in cfgs.items():
        print(
            f"simulating {cfg.n_users} users for {cfg.days} days under '{p}' (seed {cfg.seed}) ...",
            file=sys.stderr,
            flush=True,
        )
        result = execute(cfg, out_dir / p)
        summaries[p] = result.summary(args.last_days)
        paths[p] = result.path
        print(f"  done in {result.manifest['wall_time_s']:.0f} s -> {result.path}", file=sys.stderr, flush=True)

    table = comparison_table(summaries)
    table.to_csv(out_dir / "comparison.csv", index=False)
    (out_dir / "comparison.md").write_text(table.to_markdown(index=False, floatfmt=".3f") + "\n")
    print()
    print(
        f"{' vs '.join(args.policies)}: {cfg0.n_users} users, {cfg0.days} days, seed {cfg0.seed}; "
        f"means over the last {args.last_days} days (same people and random numbers in each run)"
    )
    print()
    print(format_table(table))
    print()
    print(f"tables: {out_dir}/comparison.csv; runs: " + ", ".join(str(v) for v in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
