"""Smoke run of the benchmark (benchmarks/run.py) at a tiny size: it runs end to end and writes its
table. No timing is asserted; the figures are in benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("benchmark")]


def test_benchmark_smoke_run_writes_its_table(tmp_path):
    out, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "300", "--repeats", "2", "--hours", "2",
           "--warmup-hours", "2", "--offline-days", "1", "--skip-startup", "--oracle-users", "300",
           "--oracle-hours", "1", "--oracle-start-hour", "10", "--out", str(out), "--json", str(raw),
           "--analysis", str(tmp_path / "none.md")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for heading in ("## Machine", "## Throughput and memory", "## Time per phase", "## Against the per-agent",
                    "## Targets"):
        assert heading in text
    rows = [line for line in text.splitlines() if line.startswith("| engagement | 300 ") or
            line.startswith("| civic | 300 ")]
    assert len(rows) == 4  # throughput and phase rows for both rules
    data = json.loads(raw.read_text())
    assert {r["policy"] for r in data["results"]} == {"engagement", "civic"}
    assert all(len(r["windows_s"]) == 2 and all(w > 0 for w in r["windows_s"]) for r in data["results"])
    assert data["oracle"]["oracle_s"] > 0 and data["oracle"]["engine_s"] > 0
