"""Results are Parquet and JSON only: no module of the simulator writes or reads a pickle (launchers pickle
the job function to send it to workers; that is theirs, not ours, and never touches a results file)."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "sim"
FORBIDDEN_MODULES = {"pickle", "cPickle", "cloudpickle", "dill", "shelve", "marshal"}
FORBIDDEN_CALLS = {"read_pickle", "to_pickle", "dump", "dumps", "load", "loads"}  # checked on objects below
PICKLING_OWNERS = {"pickle", "joblib", "cloudpickle", "dill", "marshal", "torch"}


def offences(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                out.append(f"from {node.module} import ...")
            elif node.module.split(".")[0] == "joblib":
                out += [f"from joblib import {a.name}" for a in node.names if a.name in {"dump", "load"}]
        elif isinstance(node, ast.Attribute):
            if node.attr in {"read_pickle", "to_pickle"}:
                out.append(node.attr)
            elif node.attr in FORBIDDEN_CALLS and isinstance(node.value, ast.Name) and node.value.id in PICKLING_OWNERS:
                out.append(f"{node.value.id}.{node.attr}")
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "allow_pickle"
            and not (isinstance(node.value, ast.Constant) and node.value.value is False)
        ):
            out.append("allow_pickle")
    return out


def test_the_scan_finds_each_way_of_pickling():
    """The scanner below is not vacuous: each form it looks for is found."""
    bad = [
        "import pickle",
        "import cloudpickle as cp",
        "from pickle import dump",
        "from joblib import dump",
        "df.to_pickle('x')",
        "pd.read_pickle('x')",
        "joblib.load('x')",
        "np.load('x', allow_pickle=True)",
    ]
    for line in bad:
        assert offences(line), line
    assert not offences("from joblib import Parallel, delayed\njson.dumps({})\nnp.load('x', allow_pickle=False)")


def test_no_module_of_the_simulator_pickles():
    files = sorted(SIM.rglob("*.py"))
    assert len(files) > 20
    found = {str(p.relative_to(SIM)): o for p in files if (o := offences(p.read_text()))}
    assert not found, found
