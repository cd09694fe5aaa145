"""docs/reference/reproducibility.md names the tests that hold each guarantee: every test and test file it names exists
(a renamed or deleted test makes the page wrong, and fails here)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_page_names_exists():
    page = (ROOT / "docs" / "reference" / "reproducibility.md").read_text()
    files = set(re.findall(r"\b((?:unit|integration)/test_\w+\.py)\b", page))
    names = set(re.findall(r"\b(test_\w+)\b(?!\.py)", page))
    assert len(files) >= 8 and len(names) >= 30, (files, names)
    for f in files:
        assert (ROOT / "tests" / f).is_file(), f
    defined = {
        m for p in (ROOT / "tests").rglob("test_*.py") for m in re.findall(r"^def (test_\w+)", p.read_text(), re.M)
    }
    assert not names - defined, sorted(names - defined)
