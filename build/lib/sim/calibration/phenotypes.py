"""Fit the posting-phenotype distribution to Turner et al. (2025) and write its parameters.

The fitted object is a Gaussian copula: each of the four phenotype variables keeps its empirical
marginal (stored as quantile knots on a transformed scale) and their dependence is a correlation
matrix of normal scores. Only these numbers are committed (``sim/params/turner2025_phenotypes.json``);
the simulator never needs the source CSV.

Source data: Turner, G. et al. (2025) "A computational model of reward learning and habits on social
media", Nature Communications, figure 4 source data (n = 1,558 Twitter users of the confirmatory
sample).

Usage::

    python -m sim.calibration.phenotypes path/to/turner2025/data_fig4.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy import stats

PARAMS_PATH = Path(__file__).resolve().parent.parent / "params" / "turner2025_phenotypes.json"

# (CSV column, name in the simulator, transform to an unbounded scale)
VARIABLES = (
    ("x_axis_mean_tpost", "mean_tpost_days", "log"),
    ("a_habit_weight", "habit_weight", "logit"),
    ("b_alpha_action", "alpha_habit", "logit"),
    ("c_alpha_R", "alpha_reward", "logit"),
)
N_KNOTS = 201
# Fitted rates reach 1e-14 and 1 - 1e-10; beyond this the logit scale only stores noise.
LOGIT_CLIP = 1e-9


def to_unbounded(x: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log":
        return np.log(x)
    x = np.clip(x, LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    return np.log(x) - np.log1p(-x)


def from_unbounded(y: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log":
        return np.exp(y)
    return 1.0 / (1.0 + np.exp(-y))


def fit(csv_path: Path) -> dict:
    import pandas as pd

    data = pd.read_csv(csv_path)
    missing = [col for col, _, _ in VARIABLES if col not in data.columns]
    if missing:
        raise SystemExit(f"error: {csv_path} lacks the columns {missing}; is it data_fig4.csv?")
    probs = np.linspace(0.0, 1.0, N_KNOTS)
    marginals = {}
    scores = []
    for col, name, transform in VARIABLES:
        y = to_unbounded(data[col].to_numpy(float), transform)
        marginals[name] = {"transform": transform, "knots": np.quantile(y, probs).tolist()}
        ranks = stats.rankdata(y, method="average")
        scores.append(stats.norm.ppf((ranks - 0.5) / len(y)))
    corr = np.corrcoef(np.vstack(scores))
    return {
        "source": "Turner et al. (2025) Nat Commun, figure 4 source data (data_fig4.csv)",
        "n_users": int(len(data)),
        "fitted_on": dt.date.today().isoformat(),
        "method": "Gaussian copula; empirical marginal quantiles on log/logit scale",
        "probabilities": probs.tolist(),
        "variables": [name for _, name, _ in VARIABLES],
        "marginals": marginals,
        "correlation": corr.tolist(),
        "summary": {
            name: {
                "median": float(np.median(data[col])),
                "mean": float(np.mean(data[col])),
            }
            for col, name, _ in VARIABLES
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="path to turner2025/data_fig4.csv")
    parser.add_argument("--out", type=Path, default=PARAMS_PATH)
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        raise SystemExit(f"error: {args.csv} does not exist")
    params = fit(args.csv)
    args.out.write_text(json.dumps(params, indent=1) + "\n")
    print(f"wrote {args.out} (n = {params['n_users']})")


if __name__ == "__main__":
    main()
