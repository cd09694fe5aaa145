"""Where the configuration tree lives, and what each of its groups offers.

In a source checkout ``conf/`` sits beside ``sim/``; an installed package (a wheel, ``pip install .``)
carries the same tree as ``sim/conf/`` (``pyproject.toml`` maps one onto the other).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
CONF_DIR = _PACKAGE / "conf" if (_PACKAGE / "conf" / "config.yaml").is_file() else _PACKAGE.parent / "conf"
GROUPS = ("population", "network", "behaviour", "policy", "platform", "scenario")


def group_options(group: str) -> list[str]:
    """The options of a configuration group (``policy`` -> bridging, chronological, civic, ...)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
