"""`make test` runs the suite with ``pytest -n 2 --dist loadgroup``: tests marked with one ``xdist_group``
share a worker, so they share its session caches (the validation runs, the sweep directories). Some
pytest and xdist releases together silently ignore the mark (pytest-dev/pytest-xdist#1386); this checks
that the installed pair honours it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(
        textwrap.dedent("""
        import os
        import pytest

        pytestmark = pytest.mark.xdist_group("together")

        @pytest.mark.parametrize("i", range(6))
        def test_worker(i):
            with open(os.environ["GROUP_TEST_OUT"], "a") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    """)
    )
    env = {**os.environ, "GROUP_TEST_OUT": str(tmp_path / "workers")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = (tmp_path / "workers").read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, f"one group ran on workers {sorted(set(workers))}"
