"""`python -m sim.experiments list`: every experiment with the status and runtime of each scale."""

from __future__ import annotations

import json

from sim.experiments import __main__ as cli
from sim.experiments import base


def test_the_list_shows_every_experiment_at_every_scale(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in base.names():
        assert name in out
    lines = out.splitlines()
    assert sum(line.strip().startswith("full ") for line in lines) == len(base.names())
    assert sum(line.strip().startswith("ci ") for line in lines) == len(base.names())
    # the committed results say how many targets they meet, and name the targets declared not met
    assert "targets met" in out and "declared not met" in out


def test_a_committed_result_shows_its_targets_met_and_how_long_it_took(tmp_path, monkeypatch):
    name = "use_levels"
    result = json.loads(base.expected_path(name, "ci").read_text())
    result["seconds"] = 150.0
    result["targets"][0]["pass"] = False
    fake = tmp_path / "expected_ci.json"
    fake.write_text(json.dumps(result))
    monkeypatch.setattr(base, "expected_path", lambda n, s: fake)
    line = cli.scale_status(name, "ci")
    n = len(result["targets"])
    assert f"{n - 1}/{n} targets met" in line and "took 2 min" in line
    fake.unlink()
    assert "no committed result" in cli.scale_status(name, "ci")
