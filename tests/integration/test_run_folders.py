"""A run folder is never escaped (tests/integration/test_bad_input.py), never written by two runs at once, and
a complete run in it is never lost: a new run with the same output.name moves it aside first."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from omegaconf import OmegaConf

import sim
from sim import results
from sim.config import compose
from sim.runner import execute

SMALL = ["n_users=60", "days=1", "offline_days=1", "progress=false", "network.mean_out_degree=10"]


def _cli(args, tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "sim", *SMALL, f"output.dir={tmp_path}", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_second_run_with_the_same_name_keeps_the_first(tmp_path):
    first = _cli(["output.name=same", "seed=1"], tmp_path)
    assert first.returncode == 0, first.stderr
    kept = json.loads((tmp_path / "same" / results.MANIFEST).read_text())
    second = _cli(["output.name=same", "seed=2"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "held a complete run; it was moved to" in second.stderr
    [aside] = list((tmp_path / "same" / "superseded").iterdir())
    assert json.loads((aside / results.MANIFEST).read_text()) == kept  # the first run, intact
    assert results.verify(aside)["seed"] == 1
    assert json.loads((tmp_path / "same" / results.MANIFEST).read_text())["seed"] == 2
    assert not (tmp_path / "same" / results.LOCK).exists()


def test_a_folder_another_live_run_writes_is_refused_with_one_line(tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    with results.claim(folder):  # a live writer: this test's own process
        proc = _cli(["output.name=busy"], tmp_path)
        assert proc.returncode == 2, proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "being written by another run" in lines[0] and str(os.getpid()) in lines[0]
        assert sorted(p.name for p in folder.iterdir()) == [results.LOCK]  # Hydra wrote nothing into it either
        with pytest.raises(results.RunFolderBusy):  # and a run started from Python is refused too
            execute(compose(SMALL), folder)
    assert not (folder / results.LOCK).exists()


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path):
    folder = tmp_path / "stale"
    folder.mkdir()
    # a writer killed with SIGKILL leaves its lock file, but the lock itself died with it
    (folder / results.LOCK).write_text(f"process 999999 on {socket.gethostname()}")
    assert results.busy(folder) is None
    run = execute(compose(SMALL), folder)
    assert run.manifest["status"] == "complete" and not (folder / results.LOCK).exists()


def test_a_run_in_the_folder_of_an_attempt_killed_mid_write_removes_its_leftovers(tmp_path):
    """A process killed while writing (SIGKILL: no clean-up) leaves a "running" manifest, a half-written table
    and temporary files; the run that redoes it leaves only its own complete tables."""
    folder = tmp_path / "killed"
    folder.mkdir()
    results.write_manifest(folder, {"status": "running", "seed": 0})
    leftovers = ["users.parquet.4242-deadbeef.tmp", "daily.parquet", "manifest.json.4242-0badf00d.tmp"]
    for name in leftovers:
        (folder / name).write_bytes(b"half written")
    run = execute(compose(SMALL), folder)
    assert run.manifest["status"] == "complete"
    assert not list(folder.glob("*.tmp")) and results.verify(folder)["status"] == "complete"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [results.MANIFEST, *(f"{t}.parquet" for t in results.TABLES)]
    )


def test_claim_is_exclusive_within_one_process(tmp_path):
    with results.claim(tmp_path):
        with pytest.raises(results.RunFolderBusy):
            with results.claim(tmp_path):
                pass
    with results.claim(tmp_path):  # released
        pass


def test_writers_of_one_file_never_share_a_temporary_file(tmp_path):
    """Two processes (here threads) writing the same manifest at once each use a temporary name of their own,
    so neither crashes on the other's file and the file ends whole (it once crashed on a shared
    ``manifest.json.tmp``)."""
    names = {results.temporary_name(tmp_path / "manifest.json") for _ in range(100)}
    assert len(names) == 100 and all(n.parent == tmp_path for n in names)

    def write(i):
        for _ in range(50):
            results.write_manifest(tmp_path, {"writer": i, "payload": "x" * 10_000})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert json.loads((tmp_path / "manifest.json").read_text())["writer"] in range(4)
    assert not list(tmp_path.glob("*.tmp"))


def test_the_manifest_holds_the_whole_composed_config_for_a_non_zero_seed(tmp_path):
    """The manifest's config is the config the run composed, seed included (a seed of 0 would hide a
    manifest that left it out), and the manifest's seed is that seed."""
    overrides = ["n_users=200", "days=1", "offline_days=1", "seed=7", "network.mean_out_degree=10", "progress=false"]
    result = sim.run([*overrides, f"output.dir={tmp_path}", "output.name=seeded"])
    expected = OmegaConf.to_container(
        compose([*overrides, f"output.dir={tmp_path}", "output.name=seeded"]), resolve=True
    )
    assert result.manifest["config"] == expected
    assert result.manifest["config"]["seed"] == 7 and result.manifest["seed"] == 7
