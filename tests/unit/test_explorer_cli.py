"""``feedsim-explore`` starts Solara on sim/explorer/app.py without reaching out to the internet."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.explorer import cli


def test_the_command_serves_the_app_file_in_production_mode_without_a_version_check():
    command = cli.solara_command("127.0.0.1", 9000, open_browser=False)
    assert command[:4] == [sys.executable, "-m", "solara", "run"]
    assert Path(command[4]) == Path(__file__).resolve().parents[2] / "sim" / "explorer" / "app.py"
    for flag in ("--production", "--no-check-version", "--no-open"):
        assert flag in command
    assert command[command.index("--port") + 1] == "9000" and command[command.index("--host") + 1] == "127.0.0.1"


def test_usage_telemetry_is_off():
    assert cli.server_environment()["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"


def test_a_bad_port_is_refused_with_one_line(capsys):
    assert cli.main(["--port", "70000", "--no-open"]) == 2
    assert "--port 70000 is not allowed" in capsys.readouterr().err
