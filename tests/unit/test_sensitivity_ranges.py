"""The default uncertainties of analysis=sensitivity: every range holds the value the model is configured
with (a calibration that moves a constant outside its range would make the analysis explore only worlds
the model is not in), and docs/guide/studies.md lists the ranges the configuration uses."""

from __future__ import annotations

import re
from pathlib import Path

from omegaconf import OmegaConf

from sim.config import compose

DOC = Path(__file__).resolve().parents[2] / "docs" / "guide" / "studies.md"


def _uncertainties():
    cfg = compose(["analysis=sensitivity"])
    return cfg, OmegaConf.to_container(cfg.analysis.parameters, resolve=True)


def test_every_configured_value_sits_inside_its_sensitivity_range():
    cfg, params = _uncertainties()
    outside = {}
    for name, entry in params.items():
        value = OmegaConf.select(cfg, entry["setting"])
        low, high = entry["range"]
        if not low <= value <= high:
            outside[name] = (value, entry["range"])
    assert not outside, f"configured values outside conf/analysis/sensitivity.yaml ranges: {outside}"


def test_the_docs_list_the_configured_uncertainties():
    _, params = _uncertainties()
    rows = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"\| (\w+) \| (behaviour\.[\w.]+) \| (-?[\d.]+) to (-?[\d.]+) \|", line)
        if m:
            rows[m[1]] = (m[2], [float(m[3]), float(m[4])])
    expected = {name: (e["setting"], [float(v) for v in e["range"]]) for name, e in params.items()}
    assert rows == expected, "update the uncertainties table of docs/guide/studies.md"
