"""docs/reference/parameters.md: every configured constant with its value and the source given beside it.

Generated from the YAML files in ``conf/`` (values and comments), so the documentation cannot drift
from the configuration: ``python -m sim.paramdoc > docs/reference/parameters.md``.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import CONF_DIR

FILES = (
    "config.yaml",
    "population/default.yaml",
    "network/default.yaml",
    "behaviour/default.yaml",
    "policy/engagement.yaml",
    "policy/civic.yaml",
    "policy/chronological.yaml",
    "policy/stated_preference.yaml",
    "policy/bridging.yaml",
    "policy/random.yaml",
    "policy/custom.yaml",
    "platform/default.yaml",
)
SKIP_SECTIONS = ("hydra", "defaults")


def _entries(path: Path) -> list[tuple[str, str, str]]:
    """(dotted setting, value, comment) for each leaf of a simple block-style YAML file."""
    lines = path.read_text().splitlines()
    out: list[tuple[str, str, str]] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] = []
    i = 0
    while i < len(lines) and lines[i].lstrip().startswith("#"):  # the file's own header
        i += 1
    while i < len(lines):
        raw = lines[i]
        i += 1
        stripped = raw.strip()
        if not stripped:
            pending = []
            continue
        indent = len(raw) - len(raw.lstrip())
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("# ").rstrip())
            continue
        if stripped.startswith("- "):
            continue
        key, _, rest = stripped.partition(":")
        value, _, inline = rest.partition(" #")
        value = value.strip()
        if value.startswith("[") and not value.endswith("]"):
            while i < len(lines) and not value.endswith("]"):
                value += " " + lines[i].strip()
                i += 1
        while stack and stack[-1][0] >= indent:
            stack.pop()
        prefix = ".".join(k for _, k in stack)
        dotted = f"{prefix}.{key}" if prefix else key
        comment = " ".join(pending + ([inline.strip()] if inline.strip() else []))
        pending = []
        if not value:
            stack.append((indent, key))
        if dotted.split(".")[0] in SKIP_SECTIONS or (not value and not comment):
            continue
        out.append((dotted, value, comment))
    return out


def markdown() -> str:
    lines = [
        "# Parameters",
        "",
        "Generated from `conf/` by `python -m sim.paramdoc > docs/reference/parameters.md`; do not edit by hand.",
        "Each value is the default; the text beside it is the comment in the YAML file (meaning and source).",
        "Mechanisms and equations: [model.md](model.md). A value marked *calibrate* is a starting point",
        "tuned against the validation facts.",
        "",
    ]
    for rel in FILES:
        path = CONF_DIR / rel
        group = rel.split("/")[0] if "/" in rel else ""
        lines += [f"## conf/{rel}", "", "| setting | value | meaning and source |", "|---|---|---|"]
        for dotted, value, comment in _entries(path):
            setting = f"{group}.{dotted}" if group and group != "config.yaml" else dotted
            shown = f"`{value}`" if value else ""
            lines.append(f"| `{setting}` | {shown} | {comment.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
