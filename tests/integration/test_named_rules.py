"""A rule of one's own is a policy like the built-ins (sim/named_rules.py), and a rule can never be applied
under a built-in policy's name. Before this, ``--policies engagement custom policy.score=rules.py:f``
ranked *both* columns with the rule and printed differences of +0.000."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.config import ConfigError, compose

RULE = "def my_rule(x, w):\n    return -x[0]\n"
SMALL = ["n_users=200", "days=2", "offline_days=1", "progress=false"]


@pytest.fixture
def rule_file(tmp_path, monkeypatch):
    (tmp_path / "rules.py").write_text(RULE)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "rules.py"


def _cli(module, args, cwd):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("policy", ["engagement", "civic", "chronological"])
def test_a_rule_under_a_built_in_policy_is_refused(rule_file, policy):
    with pytest.raises(ConfigError) as e:
        compose([f"policy={policy}", "policy.score=rules.py:my_rule"])
    message = str(e.value)
    assert "\n" not in message and message.startswith("policy.score='rules.py:my_rule' is not allowed")
    assert "policy=rules.py:my_rule" in message  # says what to write instead
    assert compose(["policy=custom", "policy.score=rules.py:my_rule"]).policy.name == "custom"


def test_compare_with_a_rule_in_the_settings_exits_2_and_writes_nothing(rule_file, tmp_path):
    proc = _cli(
        "sim.compare",
        ["--policies", "engagement", "custom", "policy.score=rules.py:my_rule", f"output.dir={tmp_path}/runs", *SMALL],
        tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "policy.score" in proc.stderr
    assert not (tmp_path / "compare").exists()


@pytest.mark.slow
def test_compare_names_a_rule_as_a_policy_and_reports_it_under_its_function(rule_file, tmp_path):
    proc = _cli(
        "sim.compare",
        [
            "--policies",
            "engagement",
            "rules.py:my_rule",
            f"output.dir={tmp_path}/runs",
            "--last-days",
            "1",
            "--seeds",
            "1",
        ]
        + SMALL,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    [csv] = list((tmp_path / "compare").glob("*/comparison.csv"))
    table = pd.read_csv(csv)
    assert "my_rule - engagement" in table.columns
    # the rule ranks worst-first by predicted likes: the two columns differ, unlike the silent wrong answer
    assert (table["my_rule - engagement"].abs() > 0).any()
    [manifest] = list((tmp_path / "compare").glob("*/my_rule/manifest.json"))
    m = json.loads(manifest.read_text())
    assert m["label"] == "my_rule" and m["config"]["policy"]["name"] == "my_rule"
    assert m["config"]["policy"]["score"] == f"{rule_file}:my_rule"
    [built_in] = list((tmp_path / "compare").glob("*/engagement/manifest.json"))
    assert json.loads(built_in.read_text())["config"]["policy"].get("score") in ("", None)


@pytest.mark.slow
def test_a_single_run_and_a_sweep_name_a_rule_as_a_policy(rule_file, tmp_path):
    proc = _cli("sim", ["policy=rules.py:my_rule", f"output.dir={tmp_path}/runs", *SMALL], tmp_path)
    assert proc.returncode == 0, proc.stderr
    [run] = list((tmp_path / "runs").iterdir())
    assert json.loads((run / "manifest.json").read_text())["label"] == "my_rule"  # not status_quo

    proc = _cli(
        "sim",
        [
            "-m",
            "policy=engagement,rules.py:my_rule",
            f"output.sweeps={tmp_path}/sweeps",
            "hydra.launcher.n_jobs=1",
            *SMALL,
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    [sweep] = list((tmp_path / "sweeps").iterdir())
    jobs = pd.read_parquet(sweep / "sweep_jobs.parquet")
    assert sorted(jobs["label"]) == ["engagement", "my_rule"]
    daily = pd.read_parquet(sweep / "sweep_daily.parquet")
    minutes = daily[daily["group"] == "all"].groupby("label")["minutes_on_platform"].mean()
    assert minutes["engagement"] != minutes["my_rule"]


def test_a_bad_rule_name_is_one_line(rule_file):
    from sim import named_rules

    for spec, word in (("rules.py:", "file.py:function"), ("rules.py:engagement", "built-in")):
        with pytest.raises(ConfigError, match=word):
            named_rules.register_rule(spec)


@pytest.mark.parametrize(
    "args, shown",
    [
        (["seed=3", "--cfg", "job", "-p", "seed"], "3"),
        (["--cfg", "job", "-p", "label", "policy=civic"], "civic"),
        (["policy=civic", "--cfg", "job", "-p", "policy.name"], "civic"),
    ],
)
def test_settings_and_hydra_flags_mix_in_any_order(args, shown, tmp_path):
    """The command line is rewritten setting by setting: a flag keeps its value, an added label reaches Hydra."""
    proc = _cli("sim", args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == shown
