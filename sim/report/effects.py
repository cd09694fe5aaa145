"""The quantities a policy report derives from a sweep. Each is defined here once, with its unit; the
outcomes themselves are the daily table's columns, defined in ``sim/metrics.py``.

**Window mean** (unit of the outcome): the mean of a daily outcome over the last ``last_days`` days of a
run, for one group. It is what "the outcome under a scenario" means in the report.

**Paired difference** (unit of the outcome): for a label L, the baseline label B and a seed s,
``d_s = window_mean(L, s) - window_mean(B, s)``. Runs with the same seed share the population, the
follow network and every random number (common random numbers), so ``d_s`` is the effect of the
scenario in one simulated world, and its spread over seeds is the model's stochastic uncertainty.

**Effect** (unit of the outcome): the mean of ``d_s`` over the seeds present for both labels, with a 95%
confidence interval from Student's t with n - 1 degrees of freedom: ``mean +- t(0.975, n - 1) * sd(d) /
sqrt(n)``. With fewer than 2 seeds the interval cannot be computed: it is NaN and the report says so.

**Effect in SD units**: the effect divided by the outcome's between-person standard deviation:

- ``wellbeing`` is already in SD units (SDs of the population's no-platform state; ``sim/metrics.py``),
  so its effect is not rescaled;
- outcomes with a per-person counterpart in the users table (sleep, minutes, night minutes, affective
  polarisation) are divided by the SD across persons of that column under the baseline, in the same
  group, pooled over the baseline's seeds (the square root of the mean within-seed variance): a Glass's
  delta, the usual "SD units" of field experiments;
- shares of persons (elevated symptoms, late sleep onset) are divided by ``sqrt(p * (1 - p))``, the
  person-level SD of the indicator at the baseline's prevalence ``p``;
- shares of feed items (hostile, idealised exposure) have no person-level SD and are reported in
  percentage points only.

The divisor is treated as known, so the interval in SD units is the interval of the effect divided by it.

**Interval across seeds** (time series): per day, the mean over seeds and its 95% t-interval; it shows
where the average simulated trajectory lies, not the spread of single runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

GROUPS = ("all", "adolescent", "young_adult", "adult", "vulnerable")
GROUP_TITLES = {
    "all": "everyone",
    "adolescent": "adolescents (13-17)",
    "young_adult": "young adults (18-25)",
    "adult": "adults (26+)",
    "vulnerable": "vulnerable users",
}


@dataclass(frozen=True)
class Outcome:
    column: str  # daily table column (sim/metrics.py)
    title: str
    unit: str  # unit of the effect as reported (pp: percentage points of a share)
    scale: float  # multiply the daily value by this to get ``unit`` (shares -> percentage points)
    person_sd: str  # "index", a users-table column, "share" (of persons) or "" (none)
    higher_is_better: bool | None


OUTCOMES = (
    Outcome("wellbeing", "wellbeing", "SD", 1.0, "index", True),
    Outcome("elevated_symptoms_share", "elevated-symptom prevalence", "pp", 100.0, "share", False),
    Outcome("sleep_hours", "sleep", "h/night", 1.0, "sleep_hours_mean", True),
    Outcome("late_sleep_onset_share", "late sleep onset", "pp", 100.0, "share", False),
    Outcome("minutes_on_platform", "time on platform", "min/day", 1.0, "minutes_per_day", None),
    Outcome("night_minutes", "night-time use", "min/day", 1.0, "night_minutes_per_day", False),
    Outcome("exposure_hostile_share", "hostile exposure", "pp", 100.0, "", False),
    Outcome("exposure_idealised_share", "idealised exposure", "pp", 100.0, "", False),
    Outcome("affective_polarization", "affective polarisation", "0-1", 1.0, "affective_polarization_end", False),
)
OUTCOME_BY_COLUMN = {o.column: o for o in OUTCOMES}


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, lower, upper, n) of the mean of ``values`` (NaN bounds when n < 2)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    if np.all(v == v[0]):  # no spread: SciPy's t-test would give NaN, the interval is the point
        return mean, mean, mean, n
    ci = stats.ttest_1samp(v, 0.0).confidence_interval(confidence_level=level)
    return mean, float(ci.low), float(ci.high), n


def window_means(daily: pd.DataFrame, last_days: int) -> pd.DataFrame:
    """One row per (label, seed, group): each outcome's window mean (units of sim/metrics.py)."""
    last_day = daily.groupby("job")["day"].transform("max")
    window = daily[daily["day"] > last_day - last_days]
    cols = [o.column for o in OUTCOMES]
    return window.groupby(["label", "seed", "group"], sort=False)[cols].mean().reset_index()


def series_intervals(daily: pd.DataFrame, group: str = "all") -> pd.DataFrame:
    """Per (label, day, outcome): mean over seeds and its 95% interval (units of sim/metrics.py)."""
    rows = []
    d = daily[daily["group"] == group]
    for (label, day), part in d.groupby(["label", "day"], sort=True):
        for o in OUTCOMES:
            mean, lo, hi, n = t_interval(part[o.column].to_numpy())
            rows.append(
                {
                    "label": label,
                    "day": int(day),
                    "outcome": o.column,
                    "mean": mean,
                    "lower": lo,
                    "upper": hi,
                    "seeds": n,
                }
            )
    return pd.DataFrame(rows)


def person_sd(users: pd.DataFrame, baseline: str, group: str, column: str) -> float:
    """Between-person SD of a users-table column under the baseline, pooled over seeds."""
    u = users[users["label"] == baseline]
    if group == "vulnerable":
        u = u[u["vulnerable"]]
    elif group != "all":
        u = u[u["age_group"] == group]
    variances = u.groupby("seed")[column].var(ddof=1).dropna()
    return float(math.sqrt(variances.mean())) if len(variances) else math.nan


def effects(daily: pd.DataFrame, users: pd.DataFrame, baseline: str, last_days: int) -> pd.DataFrame:
    """One row per (label != baseline, group, outcome): the paired effect with its 95% CI, in the
    outcome's reporting unit and in SD units (see the module docstring)."""
    wm = window_means(daily, last_days)
    base = wm[wm["label"] == baseline].set_index(["seed", "group"])
    rows = []
    for label in [lab for lab in wm["label"].unique() if lab != baseline]:
        alt = wm[wm["label"] == label].set_index(["seed", "group"])
        for group in GROUPS:
            seeds = (
                sorted(set(alt.xs(group, level="group").index) & set(base.xs(group, level="group").index))
                if group in alt.index.get_level_values("group")
                else []
            )
            for o in OUTCOMES:
                diffs = np.array([alt.loc[(s, group), o.column] - base.loc[(s, group), o.column] for s in seeds])
                mean, lo, hi, n = t_interval(diffs * o.scale)
                base_level = float(base.xs(group, level="group")[o.column].mean()) if seeds else math.nan
                if o.person_sd == "index":
                    sd = 1.0
                elif o.person_sd == "share":
                    sd = math.sqrt(base_level * (1 - base_level)) * o.scale if 0 < base_level < 1 else math.nan
                elif o.person_sd:
                    sd = person_sd(users, baseline, group, o.person_sd) * o.scale
                else:
                    sd = math.nan
                rows.append(
                    {
                        "label": label,
                        "group": group,
                        "outcome": o.column,
                        "unit": o.unit,
                        "baseline_level": base_level * o.scale,
                        "effect": mean,
                        "lower": lo,
                        "upper": hi,
                        "seeds": n,
                        "person_sd": sd,
                        "effect_sd": mean / sd if sd else math.nan,
                        "lower_sd": lo / sd if sd else math.nan,
                        "upper_sd": hi / sd if sd else math.nan,
                    }
                )
    return pd.DataFrame(rows)


def level_intervals(daily: pd.DataFrame, last_days: int, group: str = "all") -> pd.DataFrame:
    """Per (label, outcome): the window mean over seeds and its 95% interval (units of sim/metrics.py)."""
    wm = window_means(daily, last_days)
    wm = wm[wm["group"] == group]
    rows = []
    for label, part in wm.groupby("label", sort=False):
        for o in OUTCOMES:
            mean, lo, hi, n = t_interval(part[o.column].to_numpy())
            rows.append({"label": label, "outcome": o.column, "mean": mean, "lower": lo, "upper": hi, "seeds": n})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# societal cost (Trimbos 2022, as cited by the whitepaper behind this project)

EUR_PER_PERCENT_PER_PERSON_YEAR = 28.86
COST_SHARES = {"productivity": 0.54, "care costs": 0.44, "personal costs": 0.02}
# Default translation of SD units into "% improvement in mental wellbeing": on the Warwick-Edinburgh
# Mental Well-being Scale the population SD is about 17% of the mean (mean 50.7, SD 8.79 in its
# validation sample, Tennant et al. 2007), so an improvement of 1 SD is about a 17.3% higher score.
DEFAULT_PERCENT_PER_SD = 100 * 8.79 / 50.7


def societal_value(effect_sd: float, percent_per_sd: float, population: int) -> dict[str, float]:
    """EUR per year saved (negative: cost) for ``population`` persons by a wellbeing change of
    ``effect_sd`` SD, read as ``effect_sd * percent_per_sd`` % improvement in mental wellbeing, at
    EUR 28.86 per 1% per person per year, split 54/44/2 over productivity, care and personal costs."""
    percent = effect_sd * percent_per_sd
    per_person = percent * EUR_PER_PERCENT_PER_PERSON_YEAR
    out = {"percent_improvement": percent, "eur_per_person_year": per_person, "eur_per_year": per_person * population}
    for name, share in COST_SHARES.items():
        out[f"eur_per_year_{name}"] = per_person * population * share
    return out
