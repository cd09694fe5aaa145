"""Headless Chromium for the browser tests: Debian's package (/usr/bin/chromium) driven by Playwright, never a
downloaded browser. A test that needs it is skipped where Chromium or Playwright is missing, except in CI
(CI=true or FEEDSIM_BROWSER_TEST=required, as .ci/run sets), where it fails instead."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("FEEDSIM_BROWSER_TEST") == "required"


def need_browser(also_missing: str | None = None) -> None:
    """Skip (or, where the browser tests are required, fail) unless Playwright and Chromium are here;
    ``also_missing`` is another reason the calling test cannot run, if any."""
    if importlib.util.find_spec("playwright") is None:
        reason = "playwright is not installed (it comes with the 'dev' extra)"
    else:
        reason = also_missing
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    if reason:
        if _required():
            pytest.fail(f"the browser test must run here, but {reason}")
        pytest.skip(reason)
