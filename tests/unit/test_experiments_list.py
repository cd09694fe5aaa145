"""`python -m sim.experiments list`: every experiment with the status and runtime of each scale, each runtime
with how many of its simulations the run made; and the line `run` prints per target."""

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
    result["simulated_runs"], result["total_runs"] = 2, 2
    result["targets"][0]["pass"] = False
    fake = tmp_path / "expected_ci.json"
    fake.write_text(json.dumps(result))
    monkeypatch.setattr(base, "expected_path", lambda n, s: fake)
    line = cli.scale_status(name, "ci")
    n = len(result["targets"])
    assert f"{n - 1}/{n} targets met" in line and "took 2 min, 2 of 2 simulations made" in line
    fake.unlink()
    assert "no committed result" in cli.scale_status(name, "ci")


def test_a_runtime_says_how_many_of_its_simulations_the_run_made():
    """A run that found its simulations in the cache of runs took less than a fresh one: the list says so,
    so that a full scale that took 2 s beside a ci scale that took 20 s does not mislead."""
    record = {"seconds": 2.0, "simulated_runs": 0, "total_runs": 5}
    assert cli.runtime(record) == "took 2 s, 0 of 5 simulations made (5 from the cache)"
    assert cli.runtime({**record, "seconds": 1200.0, "simulated_runs": 3}) == (
        "took 20 min, 3 of 5 simulations made (2 from the cache)"
    )
    assert cli.runtime({"seconds": 0.5, "simulated_runs": 0, "total_runs": 0}) == "took 0 s, no simulations"
    assert cli.runtime({"seconds": 30.0}) == "took 30 s (simulations from the cache not recorded)"
    assert cli.runtime({}) == "runtime not recorded"


def test_the_list_says_where_its_runtimes_come_from(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(cli.RUNTIME_NOTE + "\n")
    for name in base.names():  # every committed result that records a runtime says what it simulated
        for scale in base.SCALES:
            path = base.expected_path(name, scale)
            if path.is_file() and "simulated_runs" in json.loads(path.read_text()):
                assert "simulations" in cli.scale_status(name, scale), (name, scale)


def test_a_target_line_shows_the_whole_statistic_and_its_tolerance_as_a_target():
    target = {
        "id": "F9z",
        "statistic": "odds ratio per 10 points more positive experiences, a label longer than sixty characters",
        "unit": "OR",
        "mean": 0.909037,
        "low": 0.9,
        "high": 1.0,
        "pass": True,
    }
    line = cli.target_line(target)
    assert line == f"F9z   pass  {target['statistic']}: 0.909 OR, target 0.90 to 1.00"
    assert "[" not in line and "\n" not in line
    failed = {**target, "mean": 0.153478, "low": 0.475, "high": 0.525, "unit": "", "pass": False}
    assert cli.target_line(failed).endswith("FAIL  " + target["statistic"] + ": 0.153, target 0.475 to 0.525")
    missing = {**target, "mean": None, "low": 90.0, "high": 150.0}
    assert cli.target_line(missing).endswith(": n/a OR, target 90 to 150")
