"""Baseline regression: the tables of four small runs (the default, the civic platform, the chronological feed
with levers, teen protections) hash exactly as committed in tests/baseline.json. A refactoring must leave them
unchanged; a deliberate change of the model regenerates them in the same commit:

    FEEDSIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest tests/integration/test_baseline.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import sim

BASELINE = Path(__file__).resolve().parents[1] / "baseline.json"
SMALL = ["n_users=400", "days=3", "offline_days=2", "progress=false", "label=baseline"]
CASES = {
    "engagement": [],
    "civic_platform": ["scenario=civic_platform"],
    "chronological_with_levers": [
        "scenario=chronological",
        "platform.time_limit.mode=soft",
        "platform.moderation.enabled=true",
        "seed=3",
    ],
    "teen_protections": ["scenario=teen_protections", "platform.pause_nudge.after_minutes=10", "seed=5"],
}
TABLES = ("daily", "users", "posts")

pytestmark = pytest.mark.slow


def _hashes(tmp_path) -> dict:
    out = {}
    for name, overrides in CASES.items():
        run = sim.run(overrides + SMALL + [f"output.dir={tmp_path}", f"output.name={name}"])
        out[name] = {t: run.manifest["tables"][t]["sha256"] for t in TABLES}
    return out


def test_the_tables_hash_as_committed(tmp_path):
    found = _hashes(tmp_path)
    if os.environ.get("FEEDSIM_UPDATE_BASELINE") == "1":
        BASELINE.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    expected = json.loads(BASELINE.read_text())
    changed = [f"{case}.{table}" for case in CASES for table in TABLES if found[case][table] != expected[case][table]]
    assert not changed, (
        f"tables changed: {changed}. If the model was changed on purpose, regenerate tests/baseline.json "
        "(FEEDSIM_UPDATE_BASELINE=1) in the same commit and say why in its message"
    )
