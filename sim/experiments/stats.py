"""The statistics the studies report, computed the way they computed them."""

from __future__ import annotations

import math

import numpy as np

from sim.report.effects import t_interval


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference of a minus b with the small-sample correction (Hedges 1981)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    correction = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0)
    return float((a.mean() - b.mean()) / pooled * correction)


def within_standardised_slope(groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """Fixed-effect slope of y on x across units: x and y are standardised within each unit (which
    removes unit means and scales), then pooled in one regression through the origin. Returns the slope
    and its standard error."""
    xs, ys = [], []
    for x, y in groups:
        x, y = np.asarray(x, float), np.asarray(y, float)
        if len(x) < 3 or x.std() == 0 or y.std() == 0:
            continue
        xs.append((x - x.mean()) / x.std())
        ys.append((y - y.mean()) / y.std())
    x, y = np.concatenate(xs), np.concatenate(ys)
    beta = float(x @ y / (x @ x))
    resid = y - beta * x
    se = math.sqrt(float(resid @ resid) / (len(x) - len(xs) - 1) / float(x @ x))
    return beta, se


def person_slopes(x: np.ndarray, y: np.ndarray, min_obs: int = 10) -> np.ndarray:
    """Standardised slope of y on x for each column (one person per column); NaN where a person has too
    few observations or no variation. Rows with NaN are ignored."""
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j]) & np.isfinite(y[:, j])
        xj, yj = x[ok, j], y[ok, j]
        if ok.sum() >= min_obs and xj.std() > 0 and yj.std() > 0:
            out[j] = float(np.corrcoef(xj, yj)[0, 1])
    return out


def adjusted_treatment_effect(outcome: np.ndarray, treated: np.ndarray, baseline: np.ndarray) -> float:
    """Coefficient of the 0/1 treatment in a least-squares regression of the outcome on the treatment and
    the outcome's baseline value (with intercept): the estimator of randomised trials that measured the
    outcome before treatment (ANCOVA; Allcott et al. 2020). Unbiased like the difference of means, but
    without the chance imbalance of the arms at baseline in its sampling error."""
    X = np.column_stack([np.ones(len(outcome)), np.asarray(treated, float), np.asarray(baseline, float)])
    coef = np.linalg.lstsq(X, np.asarray(outcome, float), rcond=None)[0]
    return float(coef[1])


def odds_ratios(y: np.ndarray, columns: dict[str, np.ndarray]) -> dict[str, float]:
    """Odds ratios of a logistic regression of the 0/1 outcome y on the given columns (with intercept)."""
    import statsmodels.api as sm

    names = list(columns)
    X = sm.add_constant(np.column_stack([np.asarray(columns[n], float) for n in names]), has_constant="add")
    fit = sm.Logit(np.asarray(y, float), X).fit(disp=0, method="newton", maxiter=100)
    return {n: float(np.exp(fit.params[i + 1])) for i, n in enumerate(names)}


def odds_ratio_2x2(exposed: np.ndarray, outcome: np.ndarray) -> float:
    """Odds ratio of the outcome for exposed vs unexposed (both boolean arrays of the same units). A table
    with an empty cell gets 0.5 added to every cell (Haldane-Anscombe), so that one seed with, say, no
    disturbed sleeper among light users gives a large finite ratio instead of infinity, which the mean
    over seeds would otherwise drop."""
    e, o = np.asarray(exposed, bool), np.asarray(outcome, bool)
    cells = np.array([(e & o).sum(), (e & ~o).sum(), (~e & o).sum(), (~e & ~o).sum()], float)
    if (cells == 0).any():
        cells += 0.5
    a, b, c, d = cells
    return float((a * d) / (b * c))


def interval(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean over seeds and its t-interval; the interval is NaN with fewer than two seeds."""
    mean, low, high, _ = t_interval(np.asarray(values, float), level)  # the report's, defined once
    return mean, low, high
