"""A non-editable install runs: the wheel carries the configuration tree (conf/ as sim/conf) and the data it
reads, and a simulation runs from a directory that is not the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_runs_from_elsewhere(tmp_path):
    # Built from a copy of what the package is made of: setuptools writes build/ beside the sources it builds.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in ("sim", "conf"):
        shutil.copytree(ROOT / part, source / part, ignore=ignore)
    for part in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / part, source / part)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = list(wheels.glob("feedsim-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The project's dependencies come from this environment (a path, not a site directory, so the editable
    # install's finder there is not loaded); the project itself only from the wheel.
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FEEDSIM_NUMBA_CACHE_CHOSEN")}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    where = subprocess.run(
        [str(python), "-c", "import sim, sim.confdir as c; print(sim.__file__); print(c.CONF_DIR)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr[-3000:]
    module_file, conf_dir = where.stdout.split()
    assert Path(module_file).is_relative_to(purelib) and Path(conf_dir) == purelib / "sim" / "conf"

    run = subprocess.run(
        [
            str(python),
            "-m",
            "sim",
            "n_users=60",
            "days=1",
            "offline_days=1",
            "progress=false",
            "network.mean_out_degree=10",
            "output.name=wheel",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((elsewhere / "results" / "runs" / "wheel" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["config"]["n_users"] == 60
    assert not (ROOT / "results" / "runs" / "wheel").exists()
    assert not (ROOT / "build").exists()  # the checkout is left as it was
