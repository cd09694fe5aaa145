"""The default job (python -m sim.compare) prints its comparison table; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd


def run(args, tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "sim.compare", *args, f"output.dir={tmp_path}/runs", "progress=false"],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_compare_prints_a_table_per_group_with_paired_intervals_and_writes_it(tmp_path):
    proc = run(["n_users=300", "days=3", "offline_days=2", "--last-days", "2", "--seeds", "2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    for word in (
        "engagement",
        "civic",
        "adolescent",
        "vulnerable",
        "wellbeing (SD)",
        "sleep (h/night)",
        "time on platform",
        "hostile exposure",
        "affective polarisation",
    ):
        assert word in proc.stdout, word
    [csv] = list((tmp_path / "compare").glob("*/comparison.csv"))
    table = pd.read_csv(csv)
    assert len(table) == 5 * 6 and "civic - engagement" in table.columns
    d = table["civic - engagement"]
    assert (table["civic - engagement lower"] <= d).all() and (d <= table["civic - engagement upper"]).all()
    assert (table["civic - engagement upper"] > table["civic - engagement lower"]).any()
    assert "[95% CI] over the 2 seeds" in proc.stdout and "civic against engagement, all users:" in proc.stdout
    for policy in ("engagement", "civic"):  # each run is reported under its policy, not the default label
        for seed in (0, 1):
            [manifest] = list((tmp_path / "compare").glob(f"*/{policy}_s{seed}/manifest.json"))
            m = json.loads(manifest.read_text())
            assert m["label"] == policy and m["seed"] == seed


def test_compare_with_one_seed_says_there_is_no_interval(tmp_path):
    proc = run(["n_users=200", "days=2", "offline_days=1", "--last-days", "1", "--seeds", "1", "seed=4"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "one seed gives no interval" in proc.stdout and "seed 4" in proc.stdout
    [manifest] = list((tmp_path / "compare").glob("*_s4/civic/manifest.json"))
    assert json.loads(manifest.read_text())["seed"] == 4


def test_compare_rejects_unknown_policies_and_bad_settings(tmp_path):
    for args, word in (
        (["--policies", "engagement", "magic"], "magic"),
        (["n_users=-1"], "n_users"),
        (["--policies", "civic", "civic"], "different"),
        (["--seeds", "0"], "--seeds 0"),
        (["--seeds", "2.5"], "--seeds: invalid int value: '2.5'"),
    ):
        proc = run(args, tmp_path)
        assert proc.returncode == 2, args
        assert word in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "compare").exists()
