"""python -m sim.verify: a run is rerun from its manifest and reproduces its tables' hashes; a run that
cannot be verified is refused with one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import sim
from sim.verify import main

SMALL = ["n_users=300", "days=2", "offline_days=1", "progress=false", "network.mean_out_degree=30"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return sim.run(SMALL + [f"output.dir={out}", "output.name=r", "policy=civic"])


def copy_of(run, tmp_path, name="copy"):
    target = tmp_path / name
    shutil.copytree(run.path, target)
    return target


def edit_manifest(path, change):
    manifest = json.loads((path / "manifest.json").read_text())
    change(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def run_main(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_run_reproduces_in_a_fresh_process(run):
    proc = subprocess.run(
        [sys.executable, "-m", "sim.verify", str(run.path), "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("daily", "users", "posts"):
        assert (
            f"  {name}: reproduced ({run.manifest['tables'][name]['rows']} rows, "
            f"sha256 {run.manifest['tables'][name]['sha256'][:16]})" in proc.stdout
        )
    assert proc.stdout.rstrip().endswith(f"{run.path}: reproduces")


def test_a_changed_configuration_does_not_reproduce_and_says_which_tables(run, tmp_path, capsys):
    """As if the code had changed since the run: the recorded hashes are no longer what the config gives."""
    changed = copy_of(run, tmp_path)
    edit_manifest(changed, lambda m: m["config"]["behaviour"]["response"].update(like_intercept=-1.0))
    code, out, _ = run_main([changed], capsys)
    assert code == 1
    assert "  posts: DIFFERS (recorded" in out and out.rstrip().endswith("does NOT reproduce")


def test_an_edited_table_is_reported(run, tmp_path, capsys):
    edited = copy_of(run, tmp_path)
    daily = pd.read_parquet(edited / "daily.parquet")
    daily.loc[0, "wellbeing"] += 0.5
    daily.to_parquet(edited / "daily.parquet", index=False)
    code, out, _ = run_main([edited], capsys)
    assert code == 1
    assert "  daily: reproduced" in out  # the rerun matches the manifest ...
    assert "stored tables:" in out and "does not match the hash" in out  # ... the file on disk does not


def test_a_setting_added_since_the_run_takes_its_default_and_is_noted(run, tmp_path, capsys):
    old = copy_of(run, tmp_path)
    edit_manifest(old, lambda m: m["config"].pop("check_finite"))
    kept = tmp_path / "rerun"
    code, out, _ = run_main([old, "--out", kept], capsys)
    assert code == 0, out
    assert "note: check_finite is not in the manifest" in out
    assert json.loads((kept / "manifest.json").read_text())["tables"] == run.manifest["tables"]


def _refusal(args, capsys, *words):
    code, out, err = run_main(args, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, out, err)
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_runs_that_cannot_be_verified_are_refused_with_one_line(run, tmp_path, capsys):
    no_manifest = copy_of(run, tmp_path, "no_manifest")
    (no_manifest / "manifest.json").unlink()
    _refusal([no_manifest], capsys, "manifest.json is missing")
    failed = copy_of(run, tmp_path, "failed")
    edit_manifest(failed, lambda m: m.update(status="failed", error="FloatingPointError: boom"))
    _refusal([failed], capsys, "status is 'failed'", "boom", "only a complete run")
    running = copy_of(run, tmp_path, "running")
    edit_manifest(running, lambda m: m.update(status="running"))
    _refusal([running], capsys, "status is 'running'", "killed or still running")
    _refusal([tmp_path / "nowhere"], capsys, "no such directory")
    unknown = copy_of(run, tmp_path, "unknown")
    edit_manifest(unknown, lambda m: m["config"].update(sparkle=1))
    _refusal([unknown], capsys, "a setting this version does not accept", "sparkle")
    _refusal([run.path, "--threads", "-1"], capsys, "--threads -1")


def test_a_rule_passed_as_a_python_function_is_refused(run, tmp_path, capsys):
    """sim.run(..., score_fn=f) records the function's name only (sim/runner.py): its code is not in the run."""
    with_function = copy_of(run, tmp_path)
    edit_manifest(with_function, lambda m: m.update(score_fn="mymodule.my_rule"))
    _refusal([with_function], capsys, "a Python function passed to sim.run", "mymodule.my_rule", "policy.score=")


def test_a_plugin_rule_is_rerun_from_its_recorded_file_and_refused_once_changed(tmp_path, monkeypatch, capsys):
    rules = tmp_path / "rules" / "myrules.py"
    rules.parent.mkdir()
    rules.write_text(
        textwrap.dedent("""
        from sim.ranking.features import F_P_LIKE, F_TIE

        def friends_first(x, w):
            return 2.0 * x[F_TIE] + x[F_P_LIKE]
    """)
    )
    monkeypatch.chdir(rules.parent)
    result = sim.run(
        SMALL
        + [
            f"output.dir={tmp_path}",
            "output.name=plugin",
            "days=1",
            "policy=custom",
            "policy.score=myrules:friends_first",
        ]
    )
    assert result.manifest["plugin"]["file"] == str(rules) and result.manifest["plugin"]["local_file"]
    monkeypatch.chdir(tmp_path)  # elsewhere: "myrules" alone would not be found here
    code, out, err = run_main([result.path], capsys)
    assert code == 0, out + err
    rules.write_text(rules.read_text().replace("2.0 *", "3.0 *"))
    _refusal([result.path], capsys, "ranking rule's file", "changed since the run")
