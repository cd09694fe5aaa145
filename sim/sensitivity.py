"""Sensitivity of a scenario comparison to what nobody knows: ``python -m sim analysis=sensitivity``.

In the vocabulary of exploratory modelling (EMA workbench): the *levers* are the two labels compared
(``analysis.compare``: the baseline and the alternative, each a list of settings); the *uncertainties*
are behavioural constants whose values the literature does not pin down (``analysis.parameters``,
each a range); the *outcomes* are daily columns of ``sim/metrics.py``, analysed as the paired
difference alternative - baseline of their mean over the last ``last_days`` days for one group. Both
labels of a sample run with the same seed and the same parameter values, so the difference is the
lever's effect in that world.

Two stages (SALib): Morris elementary effects screen every uncertainty (mu*: how much it moves the
difference; sigma: how non-linear or interacting that is); then Sobol indices (first order S1 and total
ST) for the ``sobol.top`` most influential ones, the others held at their configured values. The
output says which assumptions drive the difference and whether its sign survives them.

Each sample's result is written as it finishes (``samples/``), so re-running the same command resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError, compose, job_label, validate
from sim.metrics import DAILY
from sim.model import FeedModel
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
from sim.results import temporary_name, write_manifest_as, write_table
from sim.runner import git_commit, set_threads, versions

GROUPS = ("all", "adolescent", "young_adult", "adult", "vulnerable")


@dataclass
class Plan:
    cfg: DictConfig  # the composed analysis configuration
    labels: dict[str, dict]  # "baseline"/"alternative" -> resolved run configuration (container)
    names: list[str]  # uncertainties varied
    bounds: list[list[float]]
    nominal: dict[str, float]  # their configured values
    settings: dict[str, str]  # name -> the setting it stands for
    outcomes: list[str]
    group: str
    last_days: int
    out: Path


def _fail(setting: str, value, allowed: str) -> None:
    raise ConfigError(f"{setting}={value} is not allowed: {allowed}")


def prepare(overrides: list[str]) -> Plan:
    """Compose and check everything before any run starts."""
    cfg = compose(overrides)
    exp = cfg.analysis
    if exp is None or exp.get("name") != "sensitivity":
        _fail("analysis", exp.get("name") if exp else None, "must be a sensitivity analysis")
    for side in ("baseline", "alternative"):
        if not list(exp.compare.get(side) or []):
            _fail(f"analysis.compare.{side}", [], "give a list of settings, e.g. [policy=civic]")
    labels = {}
    for side in ("baseline", "alternative"):
        try:
            labels[side] = compose(overrides + list(exp.compare[side]))
        except ConfigError as e:
            raise ConfigError(f"analysis.compare.{side}: {e}") from None
    if labels["baseline"] == labels["alternative"]:
        _fail(
            "analysis.compare.alternative",
            list(exp.compare.alternative),
            "must differ from analysis.compare.baseline in some setting",
        )
    outcomes = list(exp.outcomes)
    for o in outcomes:
        if o not in DAILY or o in ("day", "group", "n_users"):
            _fail(
                "analysis.outcomes",
                o,
                "each must be a daily outcome column: "
                + ", ".join(k for k in DAILY if k not in ("day", "group", "n_users")),
            )
    if not outcomes:
        _fail("analysis.outcomes", [], "name at least one daily outcome column, e.g. [wellbeing]")
    if exp.group not in GROUPS:
        _fail("analysis.group", exp.group, "choose one of " + ", ".join(GROUPS))
    last_days = int(exp.last_days)
    if not 1 <= last_days <= int(cfg.days):
        _fail("analysis.last_days", last_days, f"must be between 1 and days ({cfg.days})")
    params = dict(exp.parameters)
    vary = list(exp.vary) or list(params)
    for name in vary:
        if name not in params:
            _fail("analysis.vary", name, "each must be a key of analysis.parameters: " + ", ".join(params))
    if len(vary) < 2:
        _fail("analysis.vary", vary, "vary at least 2 parameters")
    bounds, nominal, settings = [], {}, {}
    for name in vary:
        entry = params[name]
        setting = str(entry.get("setting", ""))
        rng = list(entry.get("range") or [])
        value = OmegaConf.select(labels["baseline"], setting, default=None) if setting else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(
                f"analysis.parameters.{name}.setting",
                setting or "''",
                "must name a numeric setting of the configuration, e.g. behaviour.comparison.upward_mood",
            )
        if len(rng) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in rng) or rng[0] >= rng[1]:
            _fail(f"analysis.parameters.{name}.range", rng, "give [low, high] with low < high")
        for side, c in labels.items():  # the ends of every range must be valid settings
            for end in rng:
                trial = OmegaConf.create(OmegaConf.to_container(c, resolve=True))
                OmegaConf.update(trial, setting, float(end))
                try:
                    validate(trial)
                except ConfigError as e:
                    raise ConfigError(f"analysis.parameters.{name}.range={rng} is not allowed: {e}") from None
        bounds.append([float(rng[0]), float(rng[1])])
        nominal[name] = float(value)
        settings[name] = setting
    for key in ("trajectories", "levels"):
        if int(exp.morris[key]) < 2:
            _fail(f"analysis.morris.{key}", exp.morris[key], "must be at least 2")
    if int(exp.morris.levels) % 2:
        _fail("analysis.morris.levels", exp.morris.levels, "must be even (SALib's Morris design)")
    if not 1 <= int(exp.sobol.top) <= len(vary):
        _fail("analysis.sobol.top", exp.sobol.top, f"must be between 1 and the number varied ({len(vary)})")
    n = int(exp.sobol.base_samples)
    if n < 2 or n & (n - 1):
        _fail("analysis.sobol.base_samples", n, "must be a power of 2, at least 2 (Sobol sequences)")
    containers = {side: OmegaConf.to_container(c, resolve=True) for side, c in labels.items()}
    digest = hashlib.sha256(
        json.dumps(
            [{k: v for k, v in c.items() if k not in ("output", "progress", "threads")} for c in containers.values()]
            + [OmegaConf.to_container(exp)],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:10]
    name = f"{job_label(labels['alternative'])}_vs_{job_label(labels['baseline'])}_{digest}"
    return Plan(
        cfg, containers, vary, bounds, nominal, settings, outcomes, str(exp.group), last_days, Path(str(exp.dir)) / name
    )


# --------------------------------------------------------------------------------------------------
# running


def simulate_pair(
    labels: dict[str, dict], values: dict[str, float], outcomes: list[str], group: str, last_days: int, threads: int
) -> dict[str, float]:
    """``values``: setting -> value."""
    """Both labels with the same parameter values and seed; the outcomes' window means and differences."""

    set_threads(threads)
    out = {}
    for side, container in labels.items():
        cfg = OmegaConf.create(container)
        for name, value in values.items():
            OmegaConf.update(cfg, name, float(value))
        validate(cfg)
        model = FeedModel(cfg)
        model.run_days(int(cfg.days))
        daily = model.daily_table()
        window = daily[(daily["group"] == group) & (daily["day"] > daily["day"].max() - last_days)]
        for o in outcomes:
            out[f"{side}_{o}"] = float(window[o].mean())
    for o in outcomes:
        out[f"diff_{o}"] = out[f"alternative_{o}"] - out[f"baseline_{o}"]
    return out


def _run_stage(plan: Plan, stage: str, names: list[str], X: np.ndarray, n_jobs: int) -> pd.DataFrame:
    """Run every row of X (values for ``names``; the other uncertainties at their configured values),
    reusing samples already on disk."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    sample_dir = plan.out / "samples"
    sample_dir.mkdir(parents=True, exist_ok=True)
    todo, rows = [], {}
    for i, x in enumerate(X):
        values = dict(zip(names, map(float, x)))
        path = sample_dir / f"{stage}-{i:05d}.json"
        if path.is_file():
            saved = json.loads(path.read_text())
            if saved["values"] == values:
                rows[i] = saved
                continue
        todo.append((i, values, path))
    workers = n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    threads = max(1, (os.cpu_count() or 1) // workers)

    def one(i, values, path):
        by_setting = {plan.settings[n]: v for n, v in values.items()}
        result = simulate_pair(plan.labels, by_setting, plan.outcomes, plan.group, plan.last_days, threads)
        record = {"stage": stage, "sample": i, "values": values, "outcomes": result}
        tmp = temporary_name(path)
        tmp.write_text(json.dumps(record))
        os.replace(tmp, path)
        return i, record

    if todo:
        print(
            f"{stage}: {len(todo)} pairs of runs to do ({len(X) - len(todo)} already done)", file=sys.stderr, flush=True
        )
        jobs = Parallel(n_jobs=workers, return_as="generator_unordered")(delayed(one)(*t) for t in todo)
        for i, record in tqdm(jobs, total=len(todo), desc=stage, unit="pair", file=sys.stderr):
            rows[i] = record
    table = []
    for i in range(len(X)):
        r = rows[i]
        table.append(
            {"stage": stage, "sample": i, **{n: plan.nominal[n] for n in plan.names}, **r["values"], **r["outcomes"]}
        )
    return pd.DataFrame(table)


def run(plan: Plan) -> dict:
    """Morris on every uncertainty, Sobol on the top ones; writes the results and the report."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    exp = plan.cfg.analysis
    seed = int(plan.cfg.seed)
    n_jobs = int(exp.n_jobs)
    plan.out.mkdir(parents=True, exist_ok=True)
    headline = plan.outcomes[0]

    nominal = _run_stage(plan, "nominal", plan.names, np.array([[plan.nominal[n] for n in plan.names]]), n_jobs)
    problem = {"num_vars": len(plan.names), "names": plan.names, "bounds": plan.bounds}
    X = morris_sample.sample(problem, int(exp.morris.trajectories), num_levels=int(exp.morris.levels), seed=seed)
    morris = _run_stage(plan, "morris", plan.names, X, n_jobs)
    morris_rows = []
    for o in plan.outcomes:
        res = morris_analyze.analyze(
            problem, X, morris[f"diff_{o}"].to_numpy(), num_levels=int(exp.morris.levels), seed=seed
        )
        for j, name in enumerate(plan.names):
            morris_rows.append(
                {
                    "outcome": o,
                    "parameter": name,
                    "mu": float(res["mu"][j]),
                    "mu_star": float(res["mu_star"][j]),
                    "mu_star_conf": float(res["mu_star_conf"][j]),
                    "sigma": float(res["sigma"][j]),
                }
            )
    morris_table = pd.DataFrame(morris_rows)
    ranked = (
        morris_table[morris_table["outcome"] == headline].sort_values("mu_star", ascending=False)["parameter"].tolist()
    )
    top = ranked[: int(exp.sobol.top)]

    sub = {"num_vars": len(top), "names": top, "bounds": [plan.bounds[plan.names.index(n)] for n in top]}
    X2 = sobol_sample.sample(sub, int(exp.sobol.base_samples), calc_second_order=False, seed=seed)
    sobol = _run_stage(plan, "sobol", top, X2, n_jobs)
    sobol_rows = []
    for o in plan.outcomes:
        y = sobol[f"diff_{o}"].to_numpy()
        if np.ptp(y) == 0:
            res = {
                "S1": np.zeros(len(top)),
                "S1_conf": np.zeros(len(top)),
                "ST": np.zeros(len(top)),
                "ST_conf": np.zeros(len(top)),
            }
        else:
            res = sobol_analyze.analyze(sub, y, calc_second_order=False, seed=seed)
        for j, name in enumerate(top):
            sobol_rows.append(
                {
                    "outcome": o,
                    "parameter": name,
                    "S1": float(res["S1"][j]),
                    "S1_conf": float(res["S1_conf"][j]),
                    "ST": float(res["ST"][j]),
                    "ST_conf": float(res["ST_conf"][j]),
                }
            )
    sobol_table = pd.DataFrame(sobol_rows)
    samples = pd.concat([nominal, morris, sobol], ignore_index=True)
    return {"samples": samples, "morris": morris_table, "sobol": sobol_table, "ranked": ranked, "top": top}


def robustness(samples: pd.DataFrame, outcome: str) -> dict:
    """How the difference behaves across every sample: its value at the configured parameters, its range,
    and the share of samples in which it has the same sign."""
    nominal = float(samples[samples["stage"] == "nominal"][f"diff_{outcome}"].iloc[0])
    d = samples[samples["stage"] != "nominal"][f"diff_{outcome}"].to_numpy()
    same = float(np.mean(np.sign(d) == np.sign(nominal))) if nominal != 0 else float("nan")
    return {"nominal": nominal, "min": float(d.min()), "max": float(d.max()), "same_sign_share": same, "n": int(d.size)}


# --------------------------------------------------------------------------------------------------
# writing


def figure(plan: Plan, result: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    headline = plan.outcomes[0]
    m = result["morris"][result["morris"]["outcome"] == headline].sort_values("mu_star")
    s = result["sobol"][result["sobol"]["outcome"] == headline]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 0.9 + 0.38 * len(m)), gridspec_kw={"width_ratios": [3, 2]})
    y = np.arange(len(m))
    a.barh(y, m["mu_star"], xerr=m["mu_star_conf"], color="#4C72B0", alpha=0.85, label="mu* (95% CI)")
    a.plot(m["sigma"], y, "D", color="#DD8452", label="sigma (non-linearity, interactions)")
    a.set_yticks(y, m["parameter"], fontsize=8)
    a.set_xlabel(f"Morris elementary effects on the difference in {headline}", fontsize=9)
    a.legend(fontsize=8, loc="lower right")
    a.grid(axis="x", alpha=0.3)
    y2 = np.arange(len(s))
    b.barh(y2 - 0.2, s["S1"], 0.4, xerr=s["S1_conf"], label="S1 (first order)", color="#55A868")
    b.barh(y2 + 0.2, s["ST"], 0.4, xerr=s["ST_conf"], label="ST (total)", color="#C44E52")
    b.set_yticks(y2, s["parameter"], fontsize=8)
    b.set_xlim(-0.25, 1.25)  # indices live in [0, 1]; with few samples the intervals run far outside
    b.set_xlabel("Sobol indices (share of the variance of the difference)", fontsize=9)
    b.legend(fontsize=8)
    b.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"What drives {headline} ({plan.group}): {job_label(plan.labels['alternative'])} - "
        f"{job_label(plan.labels['baseline'])}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(plan: Plan, result: dict) -> Path:

    out = plan.out
    write_table(out, "samples", result["samples"])
    result["morris"].to_csv(out / "morris.csv", index=False)
    result["sobol"].to_csv(out / "sobol.csv", index=False)
    fig = figure(plan, result, out / "sensitivity.png")
    base, alt = job_label(plan.labels["baseline"]), job_label(plan.labels["alternative"])
    headline = plan.outcomes[0]
    exp = plan.cfg.analysis

    rob_rows, rob = [], {}
    for o in plan.outcomes:
        rob[o] = r = robustness(result["samples"], o)
        rob_rows.append(
            {
                "outcome": o,
                "difference at configured values": f"{r['nominal']:+.4f}",
                "range over samples": f"{r['min']:+.4f} to {r['max']:+.4f}",
                "same sign as configured": f"{100 * r['same_sign_share']:.0f}% of {r['n']}",
            }
        )
    h = rob[headline]
    verdict = (
        "survives"
        if h["same_sign_share"] == 1.0
        else "mostly survives"
        if h["same_sign_share"] >= 0.9
        else "does not survive"
    )
    m = result["morris"]
    morris_rows = [
        {
            "parameter": r.parameter,
            "setting": plan.settings[r.parameter],
            "mu*": f"{r.mu_star:.4g} +- {r.mu_star_conf:.2g}",
            "mu": f"{r.mu:+.4g}",
            "sigma": f"{r.sigma:.4g}",
            "range": f"{plan.bounds[plan.names.index(r.parameter)]}",
        }
        for r in m[m["outcome"] == headline].sort_values("mu_star", ascending=False).itertuples()
    ]
    s = result["sobol"]
    sobol_rows = [
        {
            "outcome": r.outcome,
            "parameter": r.parameter,
            "S1": f"{r.S1:.3f} +- {r.S1_conf:.3f}",
            "ST": f"{r.ST:.3f} +- {r.ST_conf:.3f}",
        }
        for r in s.itertuples()
    ]
    doc = Document(
        f"Sensitivity: {alt} against {base}",
        [
            Section(
                "Summary",
                [
                    Text(
                        [
                            "Difference ",
                            User(alt),
                            " - ",
                            User(base),
                            f" in {headline} ({plan.group}, mean of the last "
                            f"{plan.last_days} days; same seed {plan.cfg.seed} in both) under {len(plan.names)} uncertain "
                            f"assumptions. At the configured values it is {h['nominal']:+.4f}; over {h['n']} sampled "
                            f"combinations it ranges from {h['min']:+.4f} to {h['max']:+.4f} and keeps its sign in "
                            f"{100 * h['same_sign_share']:.0f}% of them: the conclusion {verdict} what is not known. The "
                            "assumptions that drive it most (Morris mu*): ",
                            User(", ".join(result["ranked"][:3])),
                            ".",
                        ]
                    ),
                    Figure(
                        fig,
                        "Morris screening (left) and Sobol indices of the top parameters (right; axis cut at "
                        "-0.25 and 1.25)",
                    ),
                    Table(pd.DataFrame(rob_rows), "The difference across the sampled assumptions"),
                ],
            ),
            Section(
                "Morris screening",
                [
                    Text(
                        [
                            f"{int(exp.morris.trajectories)} trajectories of {len(plan.names) + 1} pairs of runs, "
                            f"{int(exp.morris.levels)} levels. mu*: mean absolute elementary effect on the difference "
                            "(its unit); sigma: their spread (non-linearity or interactions); mu: signed mean."
                        ]
                    ),
                    Table(pd.DataFrame(morris_rows), f"Elementary effects on the difference in {headline}"),
                ],
            ),
            Section(
                "Sobol indices",
                [
                    Text(
                        [
                            f"The top {len(result['top'])} parameters by mu*, {int(exp.sobol.base_samples)} base samples "
                            f"({len(result['samples'][result['samples']['stage'] == 'sobol'])} pairs of runs); the others "
                            "at their configured values. S1: share of the difference's variance due to the parameter "
                            "alone; ST: including its interactions. Intervals are 95% bootstrap intervals; with few "
                            "samples the indices are noisy (and can be negative)."
                        ]
                    ),
                    Table(pd.DataFrame(sobol_rows), "Sobol indices per outcome"),
                ],
            ),
            Section(
                "Methods",
                [
                    Text(
                        [
                            "Levers: ",
                            User(" ".join(exp.compare.baseline)),
                            " (baseline) and ",
                            User(" ".join(exp.compare.alternative)),
                            " (alternative). Uncertainties: the ranges below, sampled uniformly. Outcomes: ",
                            User(", ".join(plan.outcomes)),
                            ". Samples: samples.parquet "
                            "(every pair of runs with its parameter values and outcomes), morris.csv, sobol.csv.",
                        ]
                    ),
                    Table(
                        pd.DataFrame(
                            [
                                {
                                    "parameter": n,
                                    "setting": plan.settings[n],
                                    "configured": f"{plan.nominal[n]:g}",
                                    "range": f"{b[0]:g} to {b[1]:g}",
                                }
                                for n, b in zip(plan.names, plan.bounds)
                            ]
                        ),
                        "Uncertainties",
                    ),
                    Code(OmegaConf.to_yaml(plan.cfg.analysis), "The analysis's configuration"),
                ],
            ),
        ],
    )
    (out / "sensitivity.md").write_text(markdown(doc, "."), encoding="utf-8")
    (out / "sensitivity.html").write_text(html(doc), encoding="utf-8")
    manifest = {
        "status": "complete",
        "analysis": OmegaConf.to_container(plan.cfg.analysis),
        "labels": {"baseline": base, "alternative": alt},
        "seed": int(plan.cfg.seed),
        "ranked": result["ranked"],
        "top": result["top"],
        "robustness": rob,
        "versions": versions(),
        "git_commit": git_commit(),
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "config": {"baseline": plan.labels["baseline"], "alternative": plan.labels["alternative"]},
    }
    write_manifest_as(out, "manifest.json", manifest)
    return out


def main(overrides: list[str]) -> int:
    try:
        plan = prepare(overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    exp = plan.cfg.analysis
    pairs = (
        1
        + (len(plan.names) + 1) * int(exp.morris.trajectories)
        + int(exp.sobol.base_samples) * (int(exp.sobol.top) + 2)
    )
    print(
        f"sensitivity of {job_label(plan.labels['alternative'])} - {job_label(plan.labels['baseline'])}: "
        f"{len(plan.names)} uncertainties, {pairs} pairs of runs -> {plan.out}",
        flush=True,
    )
    result = run(plan)
    out = write(plan, result)
    r = robustness(result["samples"], plan.outcomes[0])
    print(
        f"{plan.outcomes[0]} difference {r['nominal']:+.4f} at the configured values, {r['min']:+.4f} to "
        f"{r['max']:+.4f} over the samples ({100 * r['same_sign_share']:.0f}% same sign); drivers: "
        + ", ".join(result["ranked"][:3])
    )
    print(f"report: {out / 'sensitivity.html'} (also sensitivity.md, sensitivity.png, samples.parquet)")
    return 0
