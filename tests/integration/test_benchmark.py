"""Smoke run of the benchmark (benchmarks/run.py) at a tiny size: it runs end to end and writes its
table. No timing is asserted; the figures are in benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("benchmark")]


def test_benchmark_smoke_run_writes_its_table(tmp_path):
    out, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--sizes",
        "300",
        "--repeats",
        "2",
        "--hours",
        "2",
        "--warmup-hours",
        "2",
        "--offline-days",
        "1",
        "--skip-startup",
        "--oracle-users",
        "300",
        "--oracle-hours",
        "1",
        "--oracle-start-hour",
        "10",
        "--out",
        str(out),
        "--json",
        str(raw),
        "--analysis",
        str(tmp_path / "none.md"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for heading in (
        "## Machine",
        "## Throughput and memory",
        "## Time per phase",
        "## Against the per-agent",
        "## Targets",
    ):
        assert heading in text
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| engagement | 300 ") or line.startswith("| civic | 300 ")
    ]
    assert len(rows) == 4  # throughput and phase rows for both rules
    data = json.loads(raw.read_text())
    assert {r["policy"] for r in data["results"]} == {"engagement", "civic"}
    assert all(len(r["windows_s"]) == 2 and all(w > 0 for w in r["windows_s"]) for r in data["results"])
    assert data["oracle"]["oracle_s"] > 0 and data["oracle"]["engine_s"] > 0


def test_startup_worker_times_one_run_and_the_table_reports_it():
    """The start-up worker (one run: import, compose, build without burn-in, first hour) and how its
    measurements reach the table and the targets. Uses the test session's Numba cache, so both entries
    are warm here; the benchmark runs the first against an empty cache."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    r = bench._run_worker("startup", {"n": 200, "policy": "civic"})
    assert r["policy"] == "civic"
    parts = ("import_s", "compose_s", "build_s", "first_hour_s")
    assert all(r[k] > 0 for k in parts)
    assert abs(sum(r[k] for k in parts) - r["total_s"]) < 1e-6
    # start-up runs from the launch of the process (so it includes the interpreter's start and the
    # worker's imports) to the end of the first hour, before the process exits
    assert r["total_s"] < r["to_first_hour_s"] < r["process_wall_s"]
    cold = dict(r, process_wall_s=30.5, to_first_hour_s=30.0)
    warm = dict(r, process_wall_s=2.0, to_first_hour_s=1.5)
    startup = {"n": 200, "rules": {"civic": {"cold": cold, "warm": warm, "compile_s": 28.5}}}
    text = bench.render(bench.machine(), [], startup, None, {"offline_days": 1}, None)
    assert "| civic | cold | 30.00 |" in text and "| civic | warm | 1.50 |" in text
    assert text.count("| 2.00 |") == 1  # the warm process's wall time, exit included
    assert "| cold-cache compilation <= 20 s | 28.5 s (civic, the slowest rule) | **no** |" in text
    assert "| warm-cache start-up <= 2 s | 1.50 s (civic;" in text and text.rstrip().endswith("| yes |")


def test_population_size_table_shows_follows_concentrating_as_the_population_grows(tmp_path):
    """benchmarks/population_size.py end to end at two small sizes: one row per size, and the professional
    accounts' share of follows grows with the population (each account can be followed only once, so in a
    small population their share is capped: docs/reference/population_size.md)."""
    out = tmp_path / "P.md"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "population_size.py"),
        "--sizes",
        "300",
        "1200",
        "--days",
        "2",
        "--seeds",
        "0",
        "--jobs",
        "2",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {
        line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:-1]]
        for line in out.read_text().splitlines()
        if re.match(r"\| [\d,]+ \|", line)
    }
    assert set(rows) == {"300", "1,200"}
    assert rows["1,200"][0] > rows["300"][0]  # influencer_follow_share, the first column


@pytest.mark.parametrize(
    "sizes, message",
    [
        (["5"], ["--sizes=5", "at least 100"]),
        (["1000", "99"], ["--sizes=99", "at least 100"]),  # refused before anything runs, after a good size
    ],
)
def test_population_size_rejects_a_bad_size_before_running(tmp_path, sizes, message):
    out = tmp_path / "P.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "population_size.py"), "--sizes", *sizes, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert all(m in proc.stderr for m in message), proc.stderr
    assert not out.exists()


def test_peers_only_writes_its_section_with_each_peer_beside_the_engine_and_keeps_the_rest(tmp_path):
    """``run.py --peers-only`` at a tiny size: the plain Mesa model and this engine run at the same number of
    users, and their throughputs and ratio land in the peers section of an existing RESULTS.md, whose other
    sections are kept. T-RECS is not a dependency: where it is installed it gets a row too, else one line says
    it was not measured."""
    out, raw = tmp_path / "RESULTS.md", tmp_path / "peers.json"
    out.write_text("# Benchmark results\n\n## Throughput and memory\n\nkept\n\n## Targets\n\nkept too\n")
    n = 200
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--peers-only",
        *("--trecs-users", str(n), "--trecs-items", "300", "--trecs-steps", "1", "--trecs-train-users", "1"),
        *("--mesa-users", str(n), "--mesa-hours", "10"),  # to 10:00, so that the agents wake and scroll
        *("--repeats", "1", "--hours", "2", "--warmup-hours", "2", "--offline-days", "1"),
        *("--out", str(out), "--json", str(raw)),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# Benchmark results") and text.count("kept") == 2
    assert text.index("## Against other simulators (peers)") < text.index("## Targets")
    measured = json.loads(raw.read_text())["peers"]  # as in a full run's --json
    peers = dict(measured["peers"])  # name -> the last measurement of that peer
    mesa, engine = peers["Mesa"], measured["engine"][str(n)]
    assert mesa["n"] == n and mesa["units_per_s"] > 0 and mesa["sessions_per_agent_hour"] > 0
    assert mesa["items_per_session"] >= 1
    assert engine["n"] == n and engine["user_hours_per_s"] > 0
    ratio = engine["user_hours_per_s"] / mesa["units_per_s"]
    row = next(line for line in text.splitlines() if line.startswith("| plain Mesa "))
    assert row.split("|")[2].strip() == str(n) and "agent-step" in row
    assert f"{ratio:,.1f}x" in row or f"{ratio:.2g}x" in row
    if "unavailable" in peers["T-RECS"]:
        notes = [line for line in text.splitlines() if line.startswith("- T-RECS: not measured:")]
        assert len(notes) == 1 and "T-RECS: not measured:" in proc.stdout
    else:
        trecs = peers["T-RECS"]
        assert trecs["n"] == n and trecs["units_per_s"] > 0 and trecs["train_s_per_user"] > 0
        row = next(line for line in text.splitlines() if line.startswith("| T-RECS "))
        assert "ContentFiltering, 300 items" in row and "user-step" in row
    # rewriting replaces the section instead of adding a second one
    section = text[text.index("## Against") : text.index("## Targets")]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import peers as peers_module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    again = peers_module.splice_section(text, section)
    assert again.count("## Against other simulators (peers)") == 1 and again.count("kept") == 2
