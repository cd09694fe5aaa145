"""The README: its two commands exist and CI runs them on a fresh clone, its generated docs are current, its
table of configuration groups is complete; and no tracked file holds merge conflict markers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readme_gives_the_two_commands_and_ci_runs_them():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make run" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert "python -m sim.compare" in makefile and "pytest" in makefile
    assert "scripts/bootstrap.sh" in makefile


def test_generated_outputs_doc_is_current():
    from sim.metrics import markdown

    assert (ROOT / "docs" / "reference" / "outputs.md").read_text() == markdown(), (
        "run: python -m sim.metrics > docs/reference/outputs.md"
    )


def test_generated_parameters_doc_is_current():
    from sim.paramdoc import markdown

    assert (ROOT / "docs" / "reference" / "parameters.md").read_text() == markdown(), (
        "run: python -m sim.paramdoc > docs/reference/parameters.md"
    )


def test_no_tracked_file_holds_merge_conflict_markers():
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    marker = re.compile(r"^(<<<<<<<|=======|>>>>>>>)( |$)", re.MULTILINE)
    hits = []
    for name in listed.stdout.split():
        try:
            text = (ROOT / name).read_text()
        except (UnicodeDecodeError, OSError):  # binary files, and files deleted but not yet committed
            continue
        hits += [f"{name}: {m.group(0)!r}" for m in marker.finditer(text)]
    assert not hits, "unresolved merge conflict: " + "; ".join(hits)


def test_readme_lists_every_configuration_group_and_its_options():
    """The README's table of conf/ groups names every group, every ranking rule, scenario preset and analysis."""
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+)/` \|(.*)$", readme, re.MULTILINE))
    groups = {p.name for p in (ROOT / "conf").iterdir() if p.is_dir()}
    assert set(rows) == groups, f"README's table lists {sorted(rows)}, conf/ holds {sorted(groups)}"
    for group in ("policy", "scenario", "analysis"):
        for option in sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml")):
            assert f"`{option}`" in rows[group], f"README's conf table does not name {group}={option}"
