"""The install is split by user (pyproject.toml's extras): the base install runs simulations, sweeps, reports
and experiments; each make target installs only what it needs; dev holds every extra, and the set-up script
knows what each extra brings, so that switching targets never reinstalls."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def expanded(extra: str) -> set[str]:
    """The extra and every extra it brings in (feedsim[...] requirements)."""
    out = {extra}
    for r in EXTRAS[extra]:
        m = re.fullmatch(r"feedsim\[([a-z,]+)\]", r)
        if m:
            for inner in m.group(1).split(","):
                out |= expanded(inner)
    return out


def test_the_base_install_holds_no_cluster_browser_or_test_tool():
    heavy = {"ray", "hydra-ray-launcher", "hydra-submitit-launcher", "solara", "playwright", "pytest", "weasyprint"}
    assert not names(PROJECT["dependencies"]) & heavy


def test_dev_brings_every_other_extra_and_the_setup_script_knows_it():
    assert expanded("dev") == set(EXTRAS)
    script = (ROOT / "scripts" / "bootstrap.sh").read_text()
    brings = dict(re.findall(r"^\s+([a-z]+)\) echo \"([a-z ]+)\" ;;$", script, re.MULTILINE))
    assert set(brings) == {e for e in EXTRAS if expanded(e) != {e}}
    for extra, listed in brings.items():
        assert set(listed.split()) == expanded(extra), extra


def test_each_make_target_installs_only_what_it_needs():
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z]+):\n\t@scripts/bootstrap\.sh ?([^\n|]*)", makefile, re.MULTILINE))
    variables = dict(re.findall(r"^([A-Z]+) := (\S+)$", makefile, re.MULTILINE))
    resolved = {t: re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], a).strip() for t, a in targets.items()}
    assert resolved == {"run": "", "setup": "", "explore": "viz", "test": "dev", "lint": "dev", "lock": "dev"}
