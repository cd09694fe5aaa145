"""The repository stands on its own: every relative link in its Markdown resolves, and every source path a
document or an experiment cites (`sim/...`, `conf/...`, `docs/...`, ...) exists in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    p
    for p in [
        *ROOT.glob("*.md"),
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("experiments/**/*.md"),
        *ROOT.glob("benchmarks/*.md"),
        *ROOT.glob("results/*.md"),
    ]
)
CITING = DOCUMENTS + sorted(ROOT.glob("experiments/*/config.yaml"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# a path from the repository's root, in backticks: `sim/ranking/kernels.py`, `conf/policy/civic.yaml`
CITED = re.compile(r"`((?:sim|conf|docs|experiments|benchmarks|tests|scripts)/[\w./-]+)`")
PLACEHOLDER = re.compile(r"<[^>]+>|\*|\.\.\.")


def test_the_documents_are_found():
    assert ROOT / "README.md" in DOCUMENTS and ROOT / "docs" / "design" / "architecture.md" in DOCUMENTS


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    broken = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same page
        path = target.split("#")[0]
        if path and not (doc.parent / path).exists():
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} links to missing files: {broken}"


@pytest.mark.parametrize("doc", CITING, ids=lambda p: str(p.relative_to(ROOT)))
def test_cited_source_paths_exist(doc):
    text = doc.read_text()
    assert "../shared" not in text, f"{doc.relative_to(ROOT)} points outside the repository"
    missing = []
    for path in CITED.findall(text):
        if PLACEHOLDER.search(path):
            continue  # a pattern such as experiments/<name>/ or results/runs/*
        if not (ROOT / path.rstrip(".")).exists():
            missing.append(path)
    assert not missing, f"{doc.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_every_page_sits_in_its_readers_room_and_is_in_the_index():
    """docs/ holds only the index; pages live in guide/, reference/ or design/ (or data/ beside its files),
    and the index lists each of them, so a reader finds a page from one place."""
    docs = ROOT / "docs"
    index = (docs / "README.md").read_text()
    loose = [p.name for p in docs.glob("*.md") if p.name != "README.md"]
    assert not loose, f"pages outside guide/, reference/, design/: {loose}"
    rooms = {p.relative_to(docs).parts[0] for p in docs.glob("*/**/*.md")}
    assert rooms <= {"guide", "reference", "design", "data"}, rooms
    unlisted = [
        str(p.relative_to(docs))
        for p in docs.glob("*/*.md")
        if f"({p.relative_to(docs)})" not in index and p.parent.name != "data"
    ]
    assert not unlisted, f"pages missing from docs/README.md: {unlisted}"
