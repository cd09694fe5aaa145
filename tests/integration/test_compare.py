"""The default job (python -m sim.compare) prints its comparison table, each outcome in one unit with fixed\ndecimals and a note on what wellbeing's 0 is; bad input exits 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from sim import compare, metrics
from sim.report import effects


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
        "sleep (min/night)",
        "time on platform (min/day)",
        "hostile exposure (% of items seen)",
        "affective polarisation (0-1 scale)",
    ):
        assert word in proc.stdout, word
    # the note on wellbeing's 0 stands right under the table (its last row is the vulnerable group's)
    lines = proc.stdout.splitlines()
    note = lines.index(compare.WELLBEING_NOTE)
    assert "affective polarisation" in lines[note - 1]
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


def _runs(policies=("engagement", "civic"), seeds=(0, 1, 2), days=3):
    """Daily and users tables as ``pooled`` makes them, in the units of sim/metrics.py: every outcome at a known
    level, the second policy shifted by a known amount that varies a little by seed (so there is an interval)."""
    daily, users = [], []
    for seed in seeds:
        for i, policy in enumerate(policies):
            shift = i * (1.0 + 0.1 * seed)
            level = {
                "wellbeing": 0.05 + 0.02 * shift,
                "sleep_hours": 7.5 + 0.01 * shift,  # +0.6 min/night
                "minutes_on_platform": 100.0 - 8.0 * shift,
                "night_minutes": 10.0 - 1.0 * shift,
                "exposure_hostile_share": 0.22 - 0.11 * shift,
                "affective_polarization": 0.4 - 0.0022 * shift,
            }
            for day in range(days):
                for group in compare.GROUP_ORDER:
                    row = {"job": f"{policy}_s{seed}", "label": policy, "seed": seed, "day": day, "group": group}
                    row.update({o.column: 0.1 for o in effects.OUTCOMES})
                    row.update(level)
                    daily.append(row)
            for uid in range(3):
                users.append(
                    {
                        "label": policy,
                        "seed": seed,
                        "age_group": ("adolescent", "young_adult", "adult")[uid],
                        "vulnerable": uid == 0,
                        "minutes_per_day": 80.0 + 20 * uid,
                        "sleep_hours_mean": 7.0 + 0.5 * uid,
                        "night_minutes_per_day": 5.0 + 5 * uid,
                        "affective_polarization_end": 0.3 + 0.1 * uid,
                    }
                )
    return pd.DataFrame(daily), pd.DataFrame(users)


def test_each_outcome_has_one_unit_named_in_its_row_and_fixed_decimals():
    table = compare.comparison_table(*_runs(), ["engagement", "civic"], last_days=2)
    rows = table[table["group"] == "all"].set_index("outcome")
    # sleep in minutes like its differences (metrics.py: hours), shares in percent
    assert rows.loc["sleep (min/night)", "engagement"] == pytest.approx(450.0)
    assert rows.loc["sleep (min/night)", "civic - engagement"] == pytest.approx(0.66)
    assert rows.loc["hostile exposure (% of items seen)", "engagement"] == pytest.approx(22.0)
    assert rows.loc["hostile exposure (% of items seen)", "civic - engagement"] == pytest.approx(-12.1)
    printed = compare.format_table(table).splitlines()
    decimals = {
        "wellbeing (SD)": 3,
        "sleep (min/night)": 1,
        "time on platform (min/day)": 1,
        "night use (min/day)": 1,
        "hostile exposure (% of items seen)": 1,
        "affective polarisation (0-1 scale)": 4,
    }
    assert set(decimals) == set(rows.index)
    for outcome, n in decimals.items():
        lines = [line for line in printed if outcome in line]
        assert len(lines) == len(compare.GROUP_ORDER), outcome
        for line in lines:  # two levels, then the difference and its two bounds: each with the row's decimals
            numbers = re.findall(r"[+-]?\d+\.\d+", line.split(outcome)[1])
            assert len(numbers) == 5 and all(len(x.split(".")[1]) == n for x in numbers), line
    assert "h/night" not in "\n".join(printed) and "(share)" not in "\n".join(printed)
    civic = compare.headline(table, ["engagement", "civic"])[0]
    assert re.search(r"time on the platform -8\.8 min/day \[-\d+\.\d, -\d+\.\d\] \(-8\.8% \[", civic), civic


def test_the_note_under_the_table_says_what_wellbeing_0_is_in_the_words_of_metrics():
    definition = metrics.DAILY["wellbeing"][1]
    assert compare.WELLBEING_NOTE.startswith("wellbeing (SD): 0 = population mean without the platform")
    assert compare.WELLBEING_NOTE.split(": ", 1)[1].split(";")[0] in definition
    assert "\n" not in compare.WELLBEING_NOTE
