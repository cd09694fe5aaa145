"""One figure per experiment: each target's simulated value (per seed, mean and 95% interval over
seeds) against the published value and its tolerance."""

from __future__ import annotations

from pathlib import Path


def target_figure(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = result["targets"]
    fig, axes = plt.subplots(len(targets), 1, figsize=(7, 1.5 + 1.1 * len(targets)), squeeze=False)
    for ax, t in zip(axes[:, 0], targets):
        ax.axvspan(t["low"], t["high"], color="#cfe8cf", label="tolerance")
        if t["published"] is not None:
            ax.axvline(t["published"], color="#2a7a2a", lw=2, label="published")
        values = [v for v in t["values"] if v is not None]
        ax.plot(values, [0.0] * len(values), "o", color="#999999", ms=5, label="seeds")
        if t["mean"] is not None:
            if t["ci_low"] is not None:
                ax.errorbar(
                    t["mean"],
                    0.0,
                    xerr=[[t["mean"] - t["ci_low"]], [t["ci_high"] - t["mean"]]],
                    fmt="D",
                    color="#1f4e9c",
                    capsize=4,
                    label="simulated (95% CI)",
                )
            else:
                ax.plot(t["mean"], 0.0, "D", color="#1f4e9c", label="simulated")
        lo = min([t["low"]] + values + ([t["ci_low"]] if t["ci_low"] is not None else []))
        hi = max([t["high"]] + values + ([t["ci_high"]] if t["ci_high"] is not None else []))
        pad = 0.15 * (hi - lo or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_yticks([])
        verdict = "pass" if t["pass"] else "FAIL"
        ax.set_title(f"{t['id']}: {t['statistic']} ({t['unit']}) - {verdict}", fontsize=9, loc="left")
    axes[0, 0].legend(fontsize=7, loc="upper right", ncol=4)
    fig.suptitle(
        f"{result['fact']} {result['title']} ({result['scale']} scale, {len(result['seeds'])} seeds)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
