"""analysis=sensitivity on its tiny preset: Morris then Sobol on the paired difference civic - engagement,
the report and plot, resuming, and bad settings."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import sim
from sim.config import ConfigError, compose

PRESET = "analysis=sensitivity_ci"
pytestmark = pytest.mark.xdist_group("sensitivity")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity")
    command = [sys.executable, "-m", "sim", PRESET, f"analysis.dir={out}"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    [result_dir] = [p for p in out.iterdir() if p.is_dir()]
    return {"dir": result_dir, "first": first, "command": command, "root": out}


def test_morris_then_sobol_on_the_paired_difference(analysis):
    d = analysis["dir"]
    samples = pd.read_parquet(d / "samples.parquet")
    # 1 nominal pair, (4 parameters + 1) x 2 Morris trajectories, 4 Sobol base samples x (2 + 2)
    assert samples["stage"].value_counts().to_dict() == {"nominal": 1, "morris": 10, "sobol": 16}
    for o in ("wellbeing", "minutes_on_platform"):
        assert (samples[f"diff_{o}"] == samples[f"alternative_{o}"] - samples[f"baseline_{o}"]).all()
    morris = pd.read_csv(d / "morris.csv")
    assert len(morris) == 4 * 2 and (morris["mu_star"] >= 0).all() and (morris["mu_star"] > 0).any()
    sobol = pd.read_csv(d / "sobol.csv")
    manifest = json.loads((d / "manifest.json").read_text())
    ranked = morris[morris["outcome"] == "wellbeing"].sort_values("mu_star", ascending=False)["parameter"].tolist()
    assert manifest["ranked"] == ranked and manifest["top"] == ranked[:2]
    assert sorted(sobol["parameter"].unique()) == sorted(ranked[:2])
    # Sobol samples vary only the top two; the others stay at their configured values.
    sobol_samples = samples[samples["stage"] == "sobol"]
    for name in set(ranked) - set(ranked[:2]):
        assert sobol_samples[name].nunique() == 1
    assert (d / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    md = (d / "sensitivity.md").read_text()
    assert "drive it most (Morris mu*): " + ranked[0].replace("_", "\\_") in md
    r = manifest["robustness"]["wellbeing"]
    diffs = samples[samples["stage"] != "nominal"]["diff_wellbeing"]
    assert r["n"] == 26 and r["min"] == diffs.min() and r["max"] == diffs.max() and 0 <= r["same_sign_share"] <= 1
    assert "<img" in (d / "sensitivity.html").read_text()


def test_the_nominal_pair_is_the_plain_run_with_the_same_seed(analysis, tmp_path):
    samples = pd.read_parquet(analysis["dir"] / "samples.parquet")
    nominal = samples[samples["stage"] == "nominal"].iloc[0]
    compare = compose([PRESET]).analysis.compare
    for side in ("baseline", "alternative"):
        run = sim.run([PRESET, *compare[side], f"output.dir={tmp_path}", f"output.name={side}"])
        d = run.daily[run.daily["group"] == "all"]
        assert d["wellbeing"].mean() == pytest.approx(nominal[f"{side}_wellbeing"], abs=1e-12)  # 2 days, window 2


def test_rerunning_resumes_from_the_samples_on_disk(analysis):
    d = analysis["dir"]
    mtimes = {p.name: p.stat().st_mtime_ns for p in (d / "samples").iterdir()}
    again = subprocess.run(analysis["command"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "pairs of runs to do" not in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (d / "samples").iterdir()} == mtimes


@pytest.mark.parametrize(
    "override,words",
    [
        ("analysis.vary=[foo,like_outrage]", ["analysis.vary=foo", "upward_mood"]),
        ("analysis.parameters.like_outrage.range=[0.6,0.1]", ["like_outrage.range", "low < high"]),
        (
            "analysis.parameters.like_outrage.setting=behaviour.response.nothing",
            ["like_outrage.setting", "numeric setting"],
        ),
        ("analysis.sobol.base_samples=6", ["base_samples=6", "power of 2"]),
        ("analysis.outcomes=[happiness]", ["analysis.outcomes=happiness", "wellbeing"]),
        ("analysis.compare.alternative=${analysis.compare.baseline}", ["must differ"]),
        ("analysis.parameters.upward_mood.range=[-1,0.3]", ["upward_mood.range", "not allowed"]),
    ],
)
def test_bad_settings_are_one_line_before_anything_runs(override, words, tmp_path):
    from sim.sensitivity import prepare

    with pytest.raises(ConfigError) as err:
        prepare([PRESET, override, f"analysis.dir={tmp_path}"])
    assert "\n" not in str(err.value)
    for w in words:
        assert w in str(err.value), str(err.value)
    assert not any(tmp_path.iterdir())
