"""Command line: ``python -m sim [key=value ...]`` runs one simulation (``-m`` for a sweep).

Every setting is checked before anything is written: a bad value gets one line naming the setting, the
value and what is allowed, and exit code 2.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from sim.config import ConfigError, compose, expand_sweep, register_configs

HYDRA_FLAGS_WITHOUT_RUN = {"--help", "-h", "--hydra-help", "--version", "--cfg", "-c", "--info", "--shell-completion",
                           "-sc", "--resolve"}


def preflight(argv: list[str]) -> None:
    """Compose and validate every configuration the command would run; raise ConfigError if any is bad."""
    if any(a.split("=")[0] in HYDRA_FLAGS_WITHOUT_RUN for a in argv):
        return
    multirun = "-m" in argv or "--multirun" in argv
    overrides = [a for a in argv if not a.startswith("-") and not a.startswith("hydra")]
    for a in argv:
        if a.startswith("-") and a not in ("-m", "--multirun"):
            raise ConfigError(f"unknown option {a}: settings are written key=value (see python -m sim --help)")
    combos = expand_sweep(overrides) if multirun else [overrides]
    for combo in combos:
        compose(combo)


def _task(cfg: DictConfig) -> float | None:
    from hydra.core.hydra_config import HydraConfig

    from sim.config import validate
    from sim.runner import execute

    # Hydra sets the root logger to INFO, at which Mesa logs every step; keep the log to what matters.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        validate(cfg)
    except ConfigError as e:
        # Only Hydra's own bookkeeping is in the directory yet: remove it, write nothing.
        if {p.name for p in run_dir.iterdir()} <= {".hydra", "__main__.log", "sim.log"}:
            shutil.rmtree(run_dir, ignore_errors=True)
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    result = execute(cfg, run_dir)
    last = min(7, int(cfg.days))
    row = result.summary(last).loc["all"]
    print(f"{run_dir}: wellbeing {row['wellbeing']:+.3f} SD, sleep {row['sleep_hours']:.2f} h, "
          f"{row['minutes_on_platform']:.0f} min/day (mean of the last {last} day{'s' if last > 1 else ''})")
    return float(row["wellbeing"])


def main() -> None:
    register_configs()
    try:
        preflight(sys.argv[1:])
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    hydra.main(config_path="../conf", config_name="config", version_base="1.3")(_task)()


if __name__ == "__main__":
    main()
