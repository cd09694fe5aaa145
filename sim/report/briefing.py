"""The report's first page: what was compared, each scenario's effect on wellbeing, time, sleep and
polarisation in plain words with its interval paired by seed, and the warnings a reader needs before quoting
a number (few seeds, a small population, short runs, facts the model does not reproduce)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.confdir import CONF_DIR
from sim.experiments import base as experiments
from sim.report.document import Section, Table, Text, User
from sim.report.format import num as _num
from sim.report.format import seed_counts

# The outcomes the briefing puts in words: column, what it is, how a change reads (higher_is_better None:
# neither, e.g. time on the platform), and how the change is shown.
BRIEF = (
    ("wellbeing", "wellbeing"),
    ("minutes_on_platform", "time on the platform"),
    ("sleep_hours", "sleep"),
    ("affective_polarization", "affective polarisation"),
)
# Runs are calibrated and validated at 1,000 to 2,000 users, 28 days (docs/reference/validation.md)
FEW_SEEDS, CALIBRATED_USERS, SETTLED_DAYS = 5, 1_000, 28


def describe_label(label: str) -> str:
    """What a label is, in the words of its preset's or rule's file (conf/scenario, conf/policy), if any."""
    for group in ("scenario", "policy"):
        path = Path(CONF_DIR) / group / f"{label}.yaml"
        if path.is_file():
            lines = [ln[1:].strip() for ln in path.read_text().splitlines() if ln.startswith("#")]
            text = " ".join(ln for ln in lines if ln and not ln.startswith("@package"))
            if text:
                return text
    return ""


def _amount(value: float, lower: float, upper: float, has_ci: bool, unit: str, digits: int) -> str:
    """A size with its unit and, where there is one, its interval in the same unit: "-7.9 min/day [-8.5, -7.3]"."""
    return f"{_num(value, digits)} {unit}" + (f" [{_num(lower, digits)}, {_num(upper, digits)}]" if has_ci else "")


def _change_words(e, what: str, baseline_level: float) -> str:
    """One outcome's paired effect in plain words: whether it is a clear change (its interval excludes zero),
    and its size in the outcome's unit with the interval in that unit."""
    if not math.isfinite(e.effect):
        return f"{what}: not available"
    has_ci = e.seeds >= 2 and math.isfinite(e.lower)
    clear = has_ci and (e.lower > 0 or e.upper < 0)
    if e.outcome == "wellbeing":
        amount = _amount(e.effect, e.lower, e.upper, has_ci, "SD", 3)
    elif e.outcome == "minutes_on_platform":
        # minutes are what a user lives; the percent of the baseline's time is what a platform reports
        pct = [100 * v / baseline_level if baseline_level else math.nan for v in (e.effect, e.lower, e.upper)]
        amount = _amount(e.effect, e.lower, e.upper, has_ci, "min/day", 1) + (
            f" ({_num(pct[0], 1)}%" + (f" [{_num(pct[1], 1)}%, {_num(pct[2], 1)}%])" if has_ci else ")")
        )
    elif e.outcome == "sleep_hours":
        amount = _amount(60 * e.effect, 60 * e.lower, 60 * e.upper, has_ci, "min/night", 1)
    else:
        # thousandths of a 0-1 scale say little on their own: also in SDs of the spread between persons
        amount = _amount(e.effect, e.lower, e.upper, has_ci, "on the 0-1 scale", 4)
        if math.isfinite(e.effect_sd):
            amount += f" ({_amount(e.effect_sd, e.lower_sd, e.upper_sd, has_ci, 'SD between persons', 3)})"
    if not has_ci:
        verdict = "no interval (one seed)"
    elif not clear:
        verdict = "no clear change"
    else:
        verdict = "higher" if e.effect > 0 else "lower"
    return f"{what} {verdict}, {amount}"


def section(ck, eff: pd.DataFrame) -> Section:
    """The first page: what was compared, each scenario's effect in plain words with its paired interval,
    and the warnings a reader needs before quoting a number."""
    r, sw = ck.request, ck.sweep
    seeds = seed_counts(sw, ck.labels)
    configs = {}
    for m in sw.manifests.values():
        configs.setdefault(m.get("label"), m.get("config", {}))
    base_cfg = configs.get(r.baseline, {})
    n_users, days = base_cfg.get("n_users"), base_cfg.get("days")
    s = Section("In brief")
    n_seeds, most = min(len(v) for v in seeds.values()), max(len(v) for v in seeds.values())
    times = f"{n_seeds} times" if n_seeds == most else f"{n_seeds} to {most} times"
    s.blocks.append(
        Text(
            [
                f"Each scenario was simulated for {n_users:,} users over {days} days"
                if isinstance(n_users, int) and isinstance(days, int)
                else "Each scenario was simulated",
                f", {times} with different random populations (seeds). Every scenario is compared with the baseline ",
                User(r.baseline),
                f" on the same populations, and the effects below are averages over the last {ck.last_days} "
                "days with 95% intervals over the seeds: where an interval includes zero, the simulation "
                "cannot tell the scenario from the baseline.",
            ]
        )
    )
    rows = []
    for lab in ck.labels:
        text = describe_label(lab)
        rows.append(
            {
                "scenario": lab + (" (baseline)" if lab == r.baseline else ""),
                "what it is": text or "see the settings in the methods appendix",
            }
        )
    s.blocks.append(Table(pd.DataFrame(rows), "The scenarios"))
    for lab in ck.labels[1:]:
        parts = []
        for col, what in BRIEF:
            e = eff[(eff["label"] == lab) & (eff["group"] == "all") & (eff["outcome"] == col)]
            if not e.empty:
                e = e.iloc[0]
                parts.append(_change_words(e, what, e.baseline_level))
        s.blocks.append(Text([User(lab), " against ", User(r.baseline), ", for everyone: " + "; ".join(parts) + "."]))
    warnings = []
    if n_seeds < FEW_SEEDS:
        warnings.append(
            f"Only {n_seeds} seed{'' if n_seeds == 1 else 's'} per scenario: the intervals rest on few replications and are wide; "
            f"{FEW_SEEDS} or more are advised before quoting an effect."
        )
    if isinstance(n_users, int) and n_users < CALIBRATED_USERS:
        warnings.append(
            f"{n_users:,} users is below the {CALIBRATED_USERS:,} to 2,000 users the model is calibrated and "
            "validated at; group results (adolescents, vulnerable users) rest on few persons."
        )
    if isinstance(days, int) and days < SETTLED_DAYS:
        warnings.append(
            f"{days} days is shorter than the {SETTLED_DAYS} days of the validation runs: slow outcomes "
            "(symptoms, affective polarisation) may not have settled."
        )
    unmet = sorted(
        (spec.fact, spec.title)
        for spec in (experiments.load(n) for n in experiments.names())
        if experiments.declared_unmet(spec.name)
    )
    if unmet:
        warnings.append(
            "Published facts the model does not reproduce: "
            + "; ".join(f"{fact} ({title})" for fact, title in unmet)
            + " (docs/reference/validation.md)."
        )
    warnings.append(
        "The intervals show the simulation's variation between seeds only, not how sure the model's "
        "constants are (the sensitivity analysis, docs/guide/studies.md, varies those)."
    )
    for w in warnings:
        s.blocks.append(Text([w], note=True))
    return s
