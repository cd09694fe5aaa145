"""Assemble the policy report of a sweep: check the request, compute the effects, draw the figures and
write HTML, PDF (where WeasyPrint runs), Markdown, PNG and CSV into a fresh directory that replaces the old
report only when complete."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from sim import sweep as sweeps
from sim.report import briefing, figures, pdf
from sim.report import effects as fx
from sim.report.document import (
    Code,
    Document,
    Figure,
    Section,
    Table,
    Text,
    User,
    html,
    markdown,
)
from sim.report.format import num as _num
from sim.report.format import seed_counts as _seed_counts


class ReportError(ValueError):
    """The report cannot be made as asked. The message is one line naming the setting, the value and
    what is allowed."""


@dataclass
class Request:
    sweep_dir: Path
    baseline: str
    last_days: int | None = None  # None: the last 7 days, or the whole run if shorter
    population: int = 1_000_000
    percent_per_sd: float = fx.DEFAULT_PERCENT_PER_SD
    out: Path | None = None  # None: <sweep_dir>/report


@dataclass
class Checked:
    request: Request
    sweep: sweeps.Sweep
    labels: list[str]  # baseline first
    last_days: int
    out: Path


def check(request: Request) -> Checked:
    """Everything that can be wrong with the request, found before anything is written."""
    if request.population <= 0:
        raise ReportError(f"--population {request.population} is not allowed: must be a positive number of persons")
    if not (request.percent_per_sd > 0 and math.isfinite(request.percent_per_sd)):
        raise ReportError(f"--percent-per-sd {request.percent_per_sd:g} is not allowed: must be a positive number")
    try:
        sweep = sweeps.load(request.sweep_dir)
    except sweeps.SweepError as e:
        raise ReportError(f"sweep-dir: {e}") from None
    complete = sweep.complete
    if complete.empty:
        raise ReportError(
            f"sweep-dir {str(request.sweep_dir)!r} is not allowed: it has no complete job "
            f"({len(sweep.jobs)} jobs, none complete; see {sweeps.SWEEP_MANIFEST} or the job manifests)"
        )
    labels = sorted(complete["label"].astype(str).unique())
    if request.baseline not in labels:
        raise ReportError(
            f"--baseline {request.baseline!r} is not allowed: choose one of {', '.join(labels)} "
            f"(the labels of the complete jobs in {request.sweep_dir})"
        )
    if len(labels) < 2:
        raise ReportError(
            f"sweep-dir {str(request.sweep_dir)!r} is not allowed: its complete jobs have only the "
            f"label {labels[0]!r}; a report compares two or more labels"
        )
    dup = complete[complete.duplicated(["label", "seed"], keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        same = dup[(dup["label"] == first["label"]) & (dup["seed"] == first["seed"])]["job"].tolist()
        raise ReportError(
            f"sweep-dir {str(request.sweep_dir)!r} is not allowed: jobs {', '.join(same)} share label "
            f"{first['label']!r} and seed {first['seed']}; sweep one setting per label (give each "
            f"scenario its own label) so that every (label, seed) is one run"
        )
    days = int(sweep.daily.groupby("job")["day"].max().min()) + 1
    last_days = min(7, days) if request.last_days is None else request.last_days
    if not 1 <= last_days <= days:
        raise ReportError(f"--last-days {last_days} is not allowed: must be between 1 and the run length ({days} days)")
    out = Path(request.out) if request.out else Path(request.sweep_dir) / "report"
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {str(out)!r} is not allowed: it is a file, not a directory")
    ordered = [request.baseline] + [lab for lab in labels if lab != request.baseline]
    return Checked(request, sweep, ordered, last_days, out)


# --------------------------------------------------------------------------------------------------
# formatting


def _ci(mean: float, lo: float, hi: float, n: int, digits: int = 3) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if n < 2 or not math.isfinite(lo):
        return f"{_num(mean, digits)} (no CI: {n} seed)"
    return f"{_num(mean, digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _digits(unit: str) -> int:
    return {"SD": 3, "pp": 2, "h/night": 3, "min/day": 1, "0-1": 4}.get(unit, 3)


def _level_unit(unit: str) -> str:
    return {"pp": "%", "0-1": "(0-1)"}.get(unit, unit)


def _eur(x: float) -> str:
    """Two significant figures (the translation behind it is an order of magnitude, not a forecast)."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "EUR 0"
    rounded = float(f"{x:.2g}")
    for size, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " thousand")):
        if abs(rounded) >= size:
            v = rounded / size
            return f"EUR {v:+.{max(0, 1 - int(math.floor(math.log10(abs(v)))))}f}{suffix}"
    return f"EUR {rounded:+.{max(0, 1 - int(math.floor(math.log10(abs(rounded)))))}f}"


# --------------------------------------------------------------------------------------------------
# sections


def summary_section(ck: Checked, eff: pd.DataFrame) -> Section:
    r, sw = ck.request, ck.sweep
    seeds = _seed_counts(sw, ck.labels)
    s = Section("Summary")
    s.blocks.append(
        Text(
            [
                "Sweep ",
                User(str(r.sweep_dir)),
                f": {len(ck.labels)} labels, compared with the baseline ",
                User(r.baseline),
                f" over the last {ck.last_days} simulated days of each run. "
                "Runs with the same seed share their population, network and random numbers, so each "
                "label's effect is the mean of its paired differences with the baseline across seeds.",
            ]
        )
    )
    rows = []
    for lab in ck.labels:
        rows.append({"label": lab, "complete runs (seeds)": f"{len(seeds[lab])} ({_seeds_text(seeds[lab])})"})
    s.blocks.append(Table(pd.DataFrame(rows), "Complete runs per label"))
    head = eff[(eff["outcome"] == "wellbeing") & (eff["group"] == "all")]
    rows = [
        {
            "label": e.label,
            "wellbeing effect (SD), 95% CI": _ci(e.effect_sd, e.lower_sd, e.upper_sd, e.seeds),
            "seeds paired": e.seeds,
        }
        for e in head.itertuples()
    ]
    s.blocks.append(Table(pd.DataFrame(rows), f"Wellbeing of everyone against '{r.baseline}' (positive: better)"))
    problems = sw.problems
    if len(problems):
        s.blocks.append(
            Text(
                [
                    f"{len(problems)} planned or started job(s) did not complete and are left out: ",
                    User(", ".join(f"{j.job} ({j.status})" for j in problems.itertuples())),
                    ". See the methods appendix.",
                ],
                note=True,
            )
        )
    few = [lab for lab in ck.labels if len(seeds[lab]) < 2]
    if few:
        s.blocks.append(
            Text(
                [
                    "Fewer than 2 seeds for ",
                    User(", ".join(few)),
                    ": confidence intervals that need them cannot be computed and are shown as 'no CI'.",
                ],
                note=True,
            )
        )
    return s


def _seeds_text(seeds: list[int]) -> str:
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(x) for x in seeds)


def time_series_section(ck: Checked, figure_dir: Path) -> Section:
    series = fx.series_intervals(ck.sweep.daily, "all")
    path = figures.time_series(series, ck.labels, ck.request.baseline, figure_dir / "time_series.png")
    s = Section("Time series")
    s.blocks.append(
        Text(
            [
                "Daily means of everyone per label (the baseline dashed). Bands are 95% confidence "
                "intervals of the mean across seeds (Student's t); a label with a single seed has no band. "
                "Wellbeing is in SDs of the population's state without the platform; shares are in %."
            ]
        )
    )
    s.blocks.append(Figure(path, "Outcomes per day and label, mean across seeds with 95% intervals"))
    last = series[series["day"] == series["day"].max()]
    rows = []
    for o in fx.OUTCOMES:
        row = {"outcome (last day)": f"{o.title}, {_level_unit(o.unit)}"}
        for lab in ck.labels:
            x = last[(last["label"] == lab) & (last["outcome"] == o.column)]
            row[lab] = (
                _ci(
                    *(x.iloc[0][["mean", "lower", "upper"]] * o.scale), int(x.iloc[0]["seeds"]), _digits(o.unit)
                ).replace("+", "")
                if len(x)
                else "n/a"
            )
        rows.append(row)
    s.blocks.append(
        Text(
            [
                "The table below is one day's values: weekly rhythms (alarms on weekdays, later sleep at weekends) "
                f"show in them. The effects in the other sections average the last {ck.last_days} days."
            ]
        )
    )
    s.blocks.append(Table(pd.DataFrame(rows), "The last day's values (mean [95% CI across seeds])"))
    return s


def effects_section(ck: Checked, eff: pd.DataFrame, figure_dir: Path) -> Section:
    r = ck.request
    s = Section("Effects against the baseline")
    s.blocks.append(
        Text(
            [
                "Effect of each label against ",
                User(r.baseline),
                f", as the mean over seeds of the paired "
                f"difference of the last {ck.last_days} days' means (same seed: same people and random "
                "numbers), with 95% confidence intervals from Student's t. SD units: wellbeing is already in "
                "SDs of the no-platform state; other outcomes are divided by their between-person SD under "
                "the baseline (definitions in the methods appendix). Positive wellbeing is better.",
            ]
        )
    )
    wb = eff[eff["outcome"] == "wellbeing"]
    rows = []
    for lab in ck.labels[1:]:
        for g in fx.GROUPS:
            e = wb[(wb["label"] == lab) & (wb["group"] == g)]
            if e.empty:
                continue
            e = e.iloc[0]
            rows.append(
                {
                    "label": lab,
                    "group": fx.GROUP_TITLES[g],
                    "wellbeing effect (SD) [95% CI]": _ci(e.effect_sd, e.lower_sd, e.upper_sd, e.seeds),
                    "seeds paired": int(e.seeds),
                }
            )
    s.blocks.append(Table(pd.DataFrame(rows), "Wellbeing effect by group: the table to quote"))
    path = figures.effect_forest(eff, r.baseline, figure_dir / "wellbeing_effects.png")
    s.blocks.append(Figure(path, f"Wellbeing effect against '{r.baseline}' by group, 95% CIs paired by seed"))
    for g in fx.GROUPS:
        rows = []
        for lab in ck.labels[1:]:
            for o in fx.OUTCOMES:
                e = eff[(eff["label"] == lab) & (eff["group"] == g) & (eff["outcome"] == o.column)]
                if e.empty:
                    continue
                e = e.iloc[0]
                rows.append(
                    {
                        "label": lab,
                        "outcome": o.title,
                        "baseline level": f"{_num(e.baseline_level, _digits(o.unit), sign=False)} "
                        f"{_level_unit(o.unit)}",
                        "effect [95% CI]": f"{_ci(e.effect, e.lower, e.upper, e.seeds, _digits(o.unit))} {o.unit}",
                        "effect in SD [95% CI]": _ci(e.effect_sd, e.lower_sd, e.upper_sd, e.seeds)
                        if math.isfinite(e.effect_sd)
                        else "no person-level SD (item shares)",
                    }
                )
        s.blocks.append(Table(pd.DataFrame(rows), f"All outcomes, {fx.GROUP_TITLES[g]}"))
    if (eff["seeds"] < 2).any():
        s.blocks.append(
            Text(
                [
                    "Some effects rest on fewer than 2 paired seeds: their confidence intervals cannot be "
                    "computed ('no CI'). Run more seeds (seed='range(0,10)') before quoting them."
                ],
                note=True,
            )
        )
    return s


def trade_off_section(ck: Checked, eff: pd.DataFrame, figure_dir: Path) -> Section:
    levels = fx.level_intervals(ck.sweep.daily, ck.last_days, "all")
    path = figures.trade_off(eff, ck.labels, ck.request.baseline, figure_dir / "trade_off.png")
    s = Section("Engagement and wellbeing")
    s.blocks.append(
        Text(
            [
                "Time on the platform is the platform's business metric; wellbeing is the public's. Each "
                "point is a label's change in both against the baseline (the origin), for everyone: the mean "
                "over seeds of the paired differences of the last days' means, with 95% intervals paired by "
                "seed (the labels share people and random numbers, so this is the interval of the difference; "
                "the table below also gives each label's level). A label up and to the left buys wellbeing "
                "with engagement; up and to the right improves both."
            ]
        )
    )
    s.blocks.append(Figure(path, "Change in minutes on the platform against change in wellbeing, per label"))
    rows = []
    for lab in ck.labels:
        m = levels[(levels["label"] == lab) & (levels["outcome"] == "minutes_on_platform")].iloc[0]
        w = levels[(levels["label"] == lab) & (levels["outcome"] == "wellbeing")].iloc[0]
        row = {
            "label": lab,
            "minutes/day [95% CI]": _ci(m["mean"], m["lower"], m["upper"], int(m["seeds"]), 1).replace("+", ""),
            "wellbeing (SD) [95% CI]": _ci(w["mean"], w["lower"], w["upper"], int(w["seeds"])),
        }
        if lab == ck.request.baseline:
            row["change in minutes"] = row["change in wellbeing (SD)"] = "baseline"
        else:
            em = eff[(eff["label"] == lab) & (eff["group"] == "all") & (eff["outcome"] == "minutes_on_platform")].iloc[
                0
            ]
            ew = eff[(eff["label"] == lab) & (eff["group"] == "all") & (eff["outcome"] == "wellbeing")].iloc[0]
            row["change in minutes"] = _ci(em.effect, em.lower, em.upper, em.seeds, 1)
            row["change in wellbeing (SD)"] = _ci(ew.effect, ew.lower, ew.upper, ew.seeds)
        rows.append(row)
    s.blocks.append(Table(pd.DataFrame(rows), "Engagement against wellbeing, everyone"))
    return s


def cost_section(ck: Checked, eff: pd.DataFrame) -> Section:
    r = ck.request
    s = Section("Societal value")
    shares = ", ".join(f"{int(v * 100)}% {k}" for k, v in fx.COST_SHARES.items())
    s.blocks.append(
        Text(
            [
                f"Trimbos (2022), as cited in the whitepaper behind this project, estimates that each 1% "
                f"improvement in mental wellbeing saves about EUR {fx.EUR_PER_PERCENT_PER_PERSON_YEAR:.2f} "
                f"per person per year ({shares}). The simulated effect is in SD units; it is translated "
                f"into a '% improvement' as effect (SD) x {r.percent_per_sd:.1f}% per SD, the ratio of a "
                "wellbeing scale's population SD to its mean (default: the Warwick-Edinburgh Mental "
                "Well-being Scale, mean 50.7, SD 8.79, Tennant et al. 2007; set with --percent-per-sd). "
                f"Shown for a population of {r.population:,} persons (set with --population)."
            ]
        )
    )
    s.blocks.append(
        Text(
            [
                "Caveat: an order of magnitude, not a forecast. The simulated wellbeing index is a "
                "composite of mood, self-esteem, symptoms and loneliness, not the scale Trimbos used; the "
                "SD-to-percent translation is an assumption; the simulated window is weeks while the saving "
                "is per year, so it assumes the effect persists for a year; the Trimbos figure is Dutch, "
                "in 2022 euros, and linear in the improvement; the intervals reflect only the simulation's "
                "seed-to-seed variation, not the uncertainty of the model's assumptions (see the "
                "sensitivity analysis, docs/guide/studies.md). A negative value is a cost."
            ],
            note=True,
        )
    )
    rows = []
    for lab in ck.labels[1:]:
        e = eff[(eff["label"] == lab) & (eff["group"] == "all") & (eff["outcome"] == "wellbeing")]
        if e.empty:
            continue
        e = e.iloc[0]
        mid = fx.societal_value(e.effect_sd, r.percent_per_sd, r.population)
        lo = fx.societal_value(e.lower_sd, r.percent_per_sd, r.population)
        hi = fx.societal_value(e.upper_sd, r.percent_per_sd, r.population)

        def ci(k, lo=lo, hi=hi):
            return f" [{_eur(lo[k])}, {_eur(hi[k])}]" if math.isfinite(lo[k]) else " (no CI)"

        rows.append(
            {
                "label": lab,
                "wellbeing effect (SD)": _num(e.effect_sd),
                "% improvement": f"{_num(mid['percent_improvement'], 2)}%",
                "per person per year": _eur(mid["eur_per_person_year"]) + ci("eur_per_person_year"),
                f"per year, {r.population:,} persons": _eur(mid["eur_per_year"]) + ci("eur_per_year"),
                **{f"of which {k}": _eur(mid[f"eur_per_year_{k}"]) + ci(f"eur_per_year_{k}") for k in fx.COST_SHARES},
            }
        )
    s.blocks.append(Table(pd.DataFrame(rows), f"Savings per year against '{r.baseline}' (95% CI from the effect's CI)"))
    return s


def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    else:
        out[prefix[:-1]] = d
    return out


def methods_section(ck: Checked) -> Section:
    sw, r = ck.sweep, ck.request
    s = Section("Methods appendix")
    s.blocks.append(
        Text(
            [
                "Definitions (sim/report/effects.py). Window mean: the mean of a daily outcome over the last "
                f"{ck.last_days} days of a run. Paired difference: a label's window mean minus the "
                "baseline's for the same seed. Effect: mean of the paired differences over the seeds "
                "present for both, with a 95% CI from Student's t (n - 1 degrees of freedom; not "
                "computable with fewer than 2 seeds). SD units: wellbeing as is (SDs of the no-platform "
                "state); sleep, minutes, night minutes and polarisation divided by their between-person SD "
                "under the baseline (pooled within seeds); shares of persons by sqrt(p(1-p)) at the "
                "baseline prevalence; item shares have none. Outcome definitions: docs/reference/outputs.md."
            ]
        )
    )
    plan = sw.plan or {}
    s.blocks.append(
        Text(
            [
                "Sweep directory: ",
                User(str(r.sweep_dir)),
                ". Command: ",
                User(plan.get("command", "not recorded")),
                ". Launcher: ",
                User(plan.get("launcher") or "not recorded"),
                ". Started: ",
                User(plan.get("started", "not recorded")),
                ". Report made: ",
                dt.datetime.now().isoformat(timespec="seconds"),
                ".",
            ]
        )
    )
    jobs = sw.jobs.copy()
    shown = jobs[["job", "label", "seed", "status", "wall_time_s", "finished", "error"]].fillna("")
    s.blocks.append(Table(shown.astype(str), "Jobs: every planned or found job and its status"))
    problems = sw.problems
    if len(problems):
        s.blocks.append(
            Text(
                [
                    f"{len(problems)} job(s) failed, are missing or invalid, and are not in the results: ",
                    User("; ".join(f"{j.job}: {j.status} ({j.error})" for j in problems.itertuples())),
                    ". Re-run the sweep's command to run them; complete jobs are skipped.",
                ],
                note=True,
            )
        )
    else:
        s.blocks.append(Text(["Every planned job completed; none failed or is missing."]))
    manifests = sw.manifests
    versions = {}
    for m in manifests.values():
        for k, v in m.get("versions", {}).items():
            versions.setdefault(k, set()).add(str(v))
    rows = [{"package": k, "version": ", ".join(sorted(v))} for k, v in sorted(versions.items())]
    s.blocks.append(Table(pd.DataFrame(rows, columns=["package", "version"]), "Versions (all complete runs)"))
    commits = sorted({str(m.get("git_commit")) for m in manifests.values()})
    s.blocks.append(Text(["Git commit(s) of the runs: ", User(", ".join(commits)), "."]))
    if len(commits) > 1 or any(c.endswith("-dirty") for c in commits):
        s.blocks.append(
            Text(
                [
                    "The runs come from more than one commit, or from a working tree with uncommitted "
                    "changes: results may mix versions of the model."
                ],
                note=True,
            )
        )
    if any(len(v) > 1 for v in versions.values()):
        s.blocks.append(Text(["The runs used different package versions (see the table)."], note=True))
    seeds = _seed_counts(sw, ck.labels)
    s.blocks.append(
        Table(
            pd.DataFrame([{"label": lab, "seeds": _seeds_text(v)} for lab, v in seeds.items()]),
            "Seeds per label (complete runs)",
        )
    )
    by_label = {}
    for job, m in sorted(manifests.items()):
        by_label.setdefault(m.get("label"), m.get("config", {}))
    base_cfg = {k: v for k, v in by_label.get(r.baseline, {}).items() if k not in ("seed",)}
    flat_base = _flatten(base_cfg)
    rows = []
    for lab in ck.labels[1:]:
        flat = _flatten({k: v for k, v in by_label.get(lab, {}).items() if k not in ("seed",)})
        for key in sorted(set(flat) | set(flat_base)):
            if flat.get(key) != flat_base.get(key) and not key.startswith(("output.", "progress", "threads")):
                rows.append(
                    {
                        "label": lab,
                        "setting": key,
                        "baseline's value": str(flat_base.get(key, "(not set)")),
                        "label's value": str(flat.get(key, "(not set)")),
                    }
                )
    diff = pd.DataFrame(rows, columns=["label", "setting", "baseline's value", "label's value"])
    s.blocks.append(Table(diff, f"Settings in which each label differs from '{r.baseline}'"))
    s.blocks.append(
        Code(
            yaml.safe_dump(base_cfg, sort_keys=False, default_flow_style=None, width=110),
            f"Full configuration of the baseline '{r.baseline}' (every run also sets its seed)",
        )
    )
    return s


# --------------------------------------------------------------------------------------------------
# writing


def write(ck: Checked) -> Path:
    """Build the report in a temporary directory next to the target and move it into place at the end."""
    out = ck.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the report is for sharing, like any new folder
    try:
        figure_dir = tmp / "figures"
        figure_dir.mkdir()
        eff = fx.effects(ck.sweep.daily, ck.sweep.users, ck.request.baseline, ck.last_days)
        doc = Document(
            f"Policy report: {len(ck.labels)} labels against '{ck.request.baseline}'",
            [
                briefing.section(ck, eff),
                summary_section(ck, eff),
                time_series_section(ck, figure_dir),
                effects_section(ck, eff, figure_dir),
                trade_off_section(ck, eff, figure_dir),
                cost_section(ck, eff),
                methods_section(ck),
            ],
        )
        (tmp / "report.html").write_text(html(doc), encoding="utf-8")
        pdf.write(tmp / "report.html", tmp / pdf.PDF_NAME)  # nothing without WeasyPrint: pdf.MISSING says why
        (tmp / "report.md").write_text(markdown(doc, "figures"), encoding="utf-8")
        eff.to_csv(tmp / "effects.csv", index=False)
        fx.level_intervals(ck.sweep.daily, ck.last_days, "all").to_csv(tmp / "levels.csv", index=False)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
