"""The plug-in tutorial (docs/guide/plugins.md) runs as written: its rule file, its command and its reading."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "experiments" / "plugin_tutorial"


def test_the_tutorial_experiment_runs_and_its_rule_cuts_hostile_exposure(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(TUTORIAL / "run.py"),
            "n_users=400",
            "days=4",
            "offline_days=2",
            "network.mean_out_degree=40",
            "progress=false",
            f"output.dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "friends_first - engagement" in proc.stdout and "civic - engagement" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if "hostile exposure" in line)
    engagement, civic, friends_first = (float(v) for v in row.split()[-5:-2])
    assert friends_first < engagement  # the rule pushes outrage down and strangers out
    assert len(list(tmp_path.iterdir())) == 3


def test_the_docs_show_the_rule_that_the_experiment_runs():
    docs = (ROOT / "docs" / "guide" / "plugins.md").read_text()
    source = (TUTORIAL / "rules.py").read_text()
    slate_rule = source.index("def two_per_author_bridging_third")
    for body in (source[source.index("def friends_first") : slate_rule], source[slate_rule:]):
        assert body.strip() in docs
    for command in re.findall(r"^(?:\.venv/bin/)?python (experiments/plugin_tutorial/run\.py.*)$", docs, re.M):
        assert (ROOT / command.split()[0]).is_file()
