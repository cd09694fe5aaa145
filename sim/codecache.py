"""The version of the simulation code, and a Numba cache that is keyed by it.

Numba's on-disk cache (``@njit(cache=True)``) checks only the source file of the kernel it loads. A
kernel inlines the ``@njit`` helpers it calls from other files (``rng``, ``sorting``, ``comparison``,
...) and freezes the module-level constants it reads (``sim.state``'s column indices), so after an edit
to a helper or a constant a warm cache would run the old machine code while results are labelled with
the new code's version. Every process therefore compiles into, and loads from, a folder named after a
hash of all the simulation code: an edit anywhere in it starts a fresh folder, an unchanged tree reuses
its compiled kernels.

Where the folders live (the *cache root*), first match wins:

* ``NUMBA_CACHE_DIR`` set by the user: that folder becomes the root (``$NUMBA_CACHE_DIR/<version>/``);
* a source checkout (``pyproject.toml`` beside ``sim/``): ``.cache/numba`` in the checkout, so ``make``,
  ``python -m sim``, the tests and the explorer share one cache;
* an installed package: ``$XDG_CACHE_HOME/feedsim/numba`` (``~/.cache/feedsim/numba``).

This module is imported by ``sim/__init__.py`` before anything imports Numba, and it imports nothing
heavy itself. Child processes (launcher workers, the test suite's xdist workers) inherit the folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from functools import lru_cache
from pathlib import Path

SIM_DIR = Path(__file__).resolve().parent
# Code that analyses or shows runs and never holds a kernel or a constant a kernel reads: editing it
# neither changes what a run computes nor invalidates compiled kernels (a test checks that none of
# these defines an @njit function).
NOT_SIMULATION = (
    "experiments",
    "explorer",
    "report",
    "compare.py",
    "calibration",
    "testing",
    "paramdoc.py",
    "warmup.py",
    "sweep.py",
    "jobs.py",
    "sensitivity.py",
    "__main__.py",
    "results.py",
    "runner.py",
)
# How many code versions' compiled kernels to keep side by side (switching branches back and forth
# reuses them); older folders are removed when a new one is made.
KEEP_VERSIONS = 6
# Set by this module to the folder it chose, so that a child process can tell an inherited choice
# (keep its root) from a NUMBA_CACHE_DIR that a user or a tool set for it (a new root).
_CHOSEN = "FEEDSIM_NUMBA_CACHE_CHOSEN"


def simulation_files() -> list[Path]:
    """Every source file whose content can change what a run computes, in a fixed order (hidden files, such as
    an editor's lock files, and anything that is not a regular file are not source)."""
    return [
        p
        for p in sorted(SIM_DIR.rglob("*.py"))
        if p.relative_to(SIM_DIR).parts[0] not in NOT_SIMULATION
        and not any(part.startswith(".") for part in p.relative_to(SIM_DIR).parts)
        and p.is_file()
    ]


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the simulation code (``sim/`` without the analysis and interface modules)."""
    h = hashlib.sha256()
    for path in simulation_files():
        h.update(str(path.relative_to(SIM_DIR).as_posix()).encode())
        try:
            h.update(path.read_bytes())
        except OSError:  # vanished since it was listed (an editor's temporary file): not source
            continue
    return h.hexdigest()[:16]


def default_root() -> Path:
    checkout = SIM_DIR.parent
    if (checkout / "pyproject.toml").is_file() and os.access(checkout, os.W_OK):
        return checkout / ".cache" / "numba"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "feedsim" / "numba"


def cache_root(environ=os.environ) -> Path:
    given, chosen = environ.get("NUMBA_CACHE_DIR"), environ.get(_CHOSEN)
    if given and given != chosen:
        return Path(given)
    if given:  # inherited from a parent process that ran configure()
        return Path(given).parent
    return default_root()


def cache_folder(environ=os.environ) -> Path:
    """The folder of compiled kernels for the current code version, made if missing (older versions'
    folders beyond the newest KEEP_VERSIONS are then removed)."""
    root = cache_root(environ)
    folder = root / code_version()
    try:
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            _prune(root, folder)
        os.utime(folder)  # in use: pruning goes by this time
    except OSError:
        pass  # an unwritable root: Numba warns and compiles in memory, results are unaffected
    return folder


def _is_version_folder(path: Path) -> bool:
    return path.is_dir() and len(path.name) == 16 and all(c in "0123456789abcdef" for c in path.name)


def _prune(root: Path, keep: Path) -> None:
    """Remove the folders of old code versions: only folders named like a version (the root may be shared with
    other programs), beyond the newest KEEP_VERSIONS, and none used in the last day (a long sweep on an older
    checkout may still load from it)."""
    try:
        folders = [p for p in root.iterdir() if p != keep and _is_version_folder(p)]
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    day_ago = time.time() - 24 * 3600
    for old in folders[KEEP_VERSIONS - 1 :]:
        try:
            if old.stat().st_mtime < day_ago:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def configure() -> Path:
    """Point Numba's cache (this process's and its children's) at the current code version's folder.
    Idempotent; safe to call after Numba has been imported."""
    folder = cache_folder()
    os.environ["NUMBA_CACHE_DIR"] = os.environ[_CHOSEN] = str(folder)
    if "numba" in sys.modules:  # imported before sim: its configuration has already read the variable
        from numba.core import config

        config.CACHE_DIR = str(folder)
    return folder


def is_cold() -> bool:
    """True when no kernel of this code version has been compiled to disk yet."""
    folder = Path(os.environ.get("NUMBA_CACHE_DIR", ""))
    return not folder.is_dir() or not any(folder.rglob("*.nbi"))
