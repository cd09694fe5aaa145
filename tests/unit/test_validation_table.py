"""The validation table says what each met target shows: calibrated on (a moment of the committed
calibration), by construction (declared in the experiment's config) or out of sample, and counts them apart."""

from __future__ import annotations

import re

import yaml

from sim.calibration.fit import MOMENT_TARGETS
from sim.confdir import CONF_DIR
from sim.experiments import base
from sim.experiments.__main__ import table


def rows() -> dict[str, str]:
    out = {}
    for line in table().splitlines():  # the rows of the results table (they link their experiment)
        m = "](../../experiments/" in line and re.match(r"\| (F\d+[a-z]?) \|.*\| ([^|]+) \|$", line)
        if m:
            out[m[1]] = m[2].strip()
    return out


# The targets the committed calibration fitted (conf/calibration.yaml; adult_minutes is F7b's quantity)
CALIBRATED = {"F3a", "F5a", "F5b", "F5c", "F6a", "F6b", "F7a", "F7b", "F8b", "F9", "F10", "F11a", "F12a", "F13", "F15"}


def test_every_calibration_moment_is_marked_calibrated_on_and_nothing_else_is():
    blocks = yaml.safe_load((CONF_DIR / "calibration.yaml").read_text())["blocks"]
    moments = {MOMENT_TARGETS.get(m, m) for b in blocks.values() for m in b["moments"]}
    assert {m for m in moments if m.startswith("F")} == CALIBRATED  # a recalibration that changes it updates both
    evidence = rows()
    assert len(evidence) >= 30
    for target, role in evidence.items():
        assert role.startswith("calibrated on") == (target in moments), (target, role)
    assert "F8a" not in moments and evidence["F8a"] == "out of sample"  # the chronological feed stays out of sample


def test_declared_constructions_are_marked_and_the_status_counts_each_kind():
    declared = {t.id for n in base.names() for t in base.load(n).targets if t.by_construction}
    evidence = rows()
    assert declared and all(evidence[t].startswith("by construction: ") for t in declared)
    counts = re.findall(r"^  - .+: (\d+) of (\d+) met", table(), re.M)
    assert len(counts) == 3 and sum(int(total) for _, total in counts) == len(evidence)
