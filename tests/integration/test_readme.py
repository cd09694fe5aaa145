"""The README's two commands exist, and CI runs the test command (and the run command) on a fresh clone."""

from __future__ import annotations

from pathlib import Path

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

    assert (ROOT / "docs" / "outputs.md").read_text() == markdown(), "run: python -m sim.metrics > docs/outputs.md"


def test_generated_parameters_doc_is_current():
    from sim.paramdoc import markdown

    assert (ROOT / "docs" / "parameters.md").read_text() == markdown(), "run: python -m sim.paramdoc > docs/parameters.md"
