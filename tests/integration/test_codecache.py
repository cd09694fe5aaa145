"""The compiled-kernel cache never runs old code: an edit to a helper in another file than the kernel's
(which Numba's own cache check does not see) must reach the cached kernel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import codecache

# A cached kernel in sim/network.py whose result depends on sim/rng.py's `uniform`, inlined from
# another file: the number of follow-backs in a ring of 400 follows, each kept with probability 0.5.
PROBE = """
import json, os
import numpy as np
from sim.network import _reciprocated
n = 400
indptr = np.arange(n + 1, dtype=np.int64)
indices = ((np.arange(n) + 1) % n).astype(np.int32)
eptr, extra = _reciprocated(np.uint64(12345), indptr, indices, np.zeros(n, np.uint8), 0.5)
print(json.dumps({"follow_backs": int(extra.shape[0]), "hits": sum(_reciprocated.stats.cache_hits.values()),
                  "folder": os.environ["NUMBA_CACHE_DIR"]}))
"""


def _probe(src: Path, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "FEEDSIM_NUMBA_CACHE_CHOSEN"}
    env.update(NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(src))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=src, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_an_edited_helper_in_another_file_reaches_the_cached_kernel(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(codecache.SIM_DIR, src / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"

    cold = _probe(src, cache)
    warm = _probe(src, cache)
    assert warm["hits"] > 0 and warm["folder"] == cold["folder"], "unchanged code reuses its compiled kernels"
    assert warm["follow_backs"] == cold["follow_backs"]

    rng = src / "sim" / "rng.py"
    text = rng.read_text()
    assert "_INV53 = 1.0 / 9007199254740992.0" in text
    rng.write_text(text.replace("_INV53 = 1.0 / 9007199254740992.0", "_INV53 = 0.5 / 9007199254740992.0"))
    edited = _probe(src, cache)
    assert edited["folder"] != warm["folder"]
    assert edited["hits"] == 0
    # Halving every uniform draw keeps about three in four follows instead of one in two.
    assert edited["follow_backs"] > 1.3 * warm["follow_backs"], (warm, edited)
    assert Path(edited["folder"]).parent == cache


def test_a_user_cache_dir_is_the_root_and_children_inherit_the_folder(tmp_path):
    version = codecache.code_version()
    folder = codecache.cache_folder({"NUMBA_CACHE_DIR": str(tmp_path / "mine")})
    assert folder == tmp_path / "mine" / version and folder.is_dir()
    # A child process sees the chosen folder in NUMBA_CACHE_DIR and keeps it rather than nesting.
    child = {"NUMBA_CACHE_DIR": str(folder), "FEEDSIM_NUMBA_CACHE_CHOSEN": str(folder)}
    assert codecache.cache_folder(child) == folder
    # A tool that sets a new NUMBA_CACHE_DIR for its children (the benchmark's cold start) gets a new root.
    child["NUMBA_CACHE_DIR"] = str(tmp_path / "cold")
    assert codecache.cache_folder(child) == tmp_path / "cold" / version
    # No setting in a source checkout: the checkout's .cache/numba, shared by every entry point.
    assert codecache.cache_root({}) == codecache.SIM_DIR.parent / ".cache" / "numba"


def test_this_process_uses_the_folder_of_its_code_version():
    import numba.core.config

    assert Path(numba.core.config.CACHE_DIR).name == codecache.code_version()
    assert os.environ["NUMBA_CACHE_DIR"] == numba.core.config.CACHE_DIR


def test_old_versions_are_pruned_and_nothing_else(tmp_path):
    root = tmp_path / "root"
    old = [f"{i:016x}" for i in range(codecache.KEEP_VERSIONS + 3)]
    for i, name in enumerate(old):
        (root / name).mkdir(parents=True)
        os.utime(root / name, (1000 + i, 1000 + i))
    (root / "another_program").mkdir()  # a shared root: what is not a version folder stays
    (root / "0000000000000fff").mkdir()  # a version folder in use today stays
    folder = codecache.cache_folder({"NUMBA_CACHE_DIR": str(root)})
    left = {p.name for p in root.iterdir()}
    assert {folder.name, "another_program", "0000000000000fff"} <= left
    assert old[-1] in left and old[0] not in left  # the newest are kept
    assert len(left & set(old)) == codecache.KEEP_VERSIONS - 2  # with the new and the recent folder, KEEP


def test_hidden_and_broken_files_are_not_source(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text("x = 1\n")
    (tmp_path / ".#model.py").symlink_to(tmp_path / "nowhere")  # an editor's lock file: a broken link
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "scratch.py").write_text("y = 2\n")
    monkeypatch.setattr(codecache, "SIM_DIR", tmp_path)
    assert codecache.simulation_files() == [tmp_path / "model.py"]


def test_modules_outside_the_code_version_hold_no_kernel():
    """Files left out of the version (analysis and interface code) must not define a compiled function or
    a constant a kernel reads, or editing them would leave a stale kernel in the cache."""
    hashed = set(codecache.simulation_files())
    for path in codecache.SIM_DIR.rglob("*.py"):
        if path not in hashed:
            assert "njit" not in path.read_text(), f"{path} defines a kernel but is not in the code version"


def test_a_cold_cache_is_announced_before_the_first_compile(tmp_path, monkeypatch, capsys):
    from sim import runner
    from sim.config import compose

    cfg = compose(["n_users=60", "days=1", "offline_days=1", "progress=false", "network.mean_out_degree=10"])
    monkeypatch.setattr(codecache, "is_cold", lambda: True)
    runner.execute(cfg, tmp_path / "cold")
    assert "compiling the simulation kernels" in capsys.readouterr().err
    monkeypatch.setattr(codecache, "is_cold", lambda: False)
    runner.execute(cfg, tmp_path / "warm")
    assert "compiling" not in capsys.readouterr().err


def test_is_cold_tells_an_empty_folder_from_a_compiled_one(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert codecache.is_cold()
    (tmp_path / "sim_x").mkdir()
    (tmp_path / "sim_x" / "kernel.nbi").write_bytes(b"")
    assert not codecache.is_cold()
