"""``feedsim-explore``: start the interactive explorer (``sim/explorer/app.py``) in a local web server."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def solara_command(host: str, port: int, open_browser: bool) -> list[str]:
    # --production: no file watcher or hot reload; --no-check-version: no call to the package index
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--production",
        "--no-check-version",
        "--host",
        host,
        "--port",
        str(port),
        "--open" if open_browser else "--no-open",
    ]


def server_environment() -> dict[str, str]:
    """The server's environment: Solara's usage telemetry off (the explorer is a local tool)."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedsim-explore", description="Start the interactive explorer.")
    parser.add_argument("--host", default="localhost", help="address to listen on (default: localhost)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765; 0 = any free port)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser window")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("solara") is None:
        print(
            "error: the explorer needs the 'viz' extra: run 'make explore', or "
            "'scripts/bootstrap.sh viz' (or 'pip install -e \".[viz]\"' in the project's environment)",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port} is not allowed: must be between 0 and 65535", file=sys.stderr)
        return 2
    command = solara_command(args.host, args.port, not args.no_open)
    os.execve(command[0], command, server_environment())  # the server replaces this process; Ctrl-C stops it


if __name__ == "__main__":
    sys.exit(main())
