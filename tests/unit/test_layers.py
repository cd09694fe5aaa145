"""The package's layers: no import cycle among sim's modules, and imports stated at the top of a module.

``sim.vocabulary`` and ``sim.checks`` are the bottom; the mechanisms (``behaviour``, ``ranking``,
``platform``, ``population``, ``network``, ``metrics``) sit on them, each with the checks of its own settings;
``sim.config`` composes and validates above them; the model, the runner and the interfaces above that
(docs/design/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SIM = Path(__file__).resolve().parents[2] / "sim"
# The one deferred project import: `import sim` stays light for reading results (sim.load); sim.run loads
# the runner, configuration and kernels only when called.
DEFERRED = {("__init__.py", "sim.runner")}
# Modules that hold no mechanism and must not import a mechanism or the model.
BOTTOM = ("sim.vocabulary", "sim.checks", "sim.confdir", "sim.codecache")


def _modules() -> dict[str, Path]:
    out = {}
    for path in SIM.rglob("*.py"):
        parts = path.relative_to(SIM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]):
    """(imported module, at top level?) for every import of a module of sim in ``path``."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(prefix + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, id(node) in top


def _graph() -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    modules = _modules()
    graph, local = nx.DiGraph(), []
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target, at_top in _imports(name, path, modules):
            if name.startswith(target + "."):
                continue  # a module's own package is imported first anyway
            graph.add_edge(name, target)
            if not at_top:
                local.append((str(path.relative_to(SIM)), target))
    return graph, local


def test_no_import_cycle():
    graph, _ = _graph()
    cycles = list(nx.simple_cycles(graph, length_bound=12))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:5])


def test_project_imports_are_at_the_top_of_each_module():
    _, local = _graph()
    hidden = sorted(set(local) - DEFERRED)
    assert not hidden, f"imports inside functions hide the layering: {hidden}"


def test_the_bottom_layer_imports_no_mechanism():
    graph, _ = _graph()
    for name in BOTTOM:
        above = sorted(t for t in nx.descendants(graph, name) if t not in BOTTOM)
        assert not above, f"{name} imports {above}"


def test_no_mechanism_imports_the_configuration_or_the_model():
    graph, _ = _graph()
    mechanisms = [
        n
        for n in graph
        if n.startswith(("sim.behaviour", "sim.ranking", "sim.platform"))
        or n in ("sim.population", "sim.network", "sim.external", "sim.metrics", "sim.state", "sim.rng")
    ]
    for name in mechanisms:
        reached = nx.descendants(graph, name)
        assert "sim.config" not in reached and "sim.model" not in reached, f"{name} reaches up to config or model"


def test_the_hour_is_declared_once_and_the_architecture_page_lists_it():
    import re

    from sim import guards, phases, profiling
    from sim.model import FeedModel

    assert profiling.PHASES == phases.NAMES
    assert set(phases.NAMES) <= set(guards.MECHANISMS)
    for name in phases.NAMES:
        assert callable(getattr(FeedModel, "phase_" + name, None)), f"FeedModel has no phase_{name}"
    extra = sorted(n[len("phase_") :] for n in vars(FeedModel) if n.startswith("phase_"))
    assert extra == sorted(phases.NAMES), "a phase method that sim/phases.py does not declare"
    page = (SIM.parent / "docs" / "design" / "architecture.md").read_text()
    listed = re.findall(r"^\| (\w+) \|", page.split("## The hour")[1].split("##")[0], re.M)
    assert [n for n in listed if n != "phase"] == list(phases.NAMES)


def test_no_source_file_is_over_600_lines_but_the_ranking_kernels():
    """Small modules, one per concept; the ranking core is one file so that Numba compiles its loop whole."""
    long = {str(p.relative_to(SIM)): n for p in SIM.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert set(long) <= {"ranking/kernels.py"}, long
