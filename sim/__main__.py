"""Command line: ``python -m sim [key=value ...]`` runs one simulation; ``python -m sim -m ...`` a sweep
(docs/guide/studies.md).

Every setting is checked before anything is written: a bad value gets one line naming the setting, the
value and what is allowed, and exit code 2. A sweep exits 1 if any of its jobs failed or is missing.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import hydra
from omegaconf import DictConfig

from sim import named_rules, results, sensitivity, sweep
from sim.config import (
    CONF_DIR,
    ConfigError,
    _check_override_syntax,
    compose,
    compose_unchecked,
    expand_sweep,
    explain,
    register_configs,
)
from sim.jobs import task

HYDRA_FLAGS_WITHOUT_RUN = {
    "--help",
    "-h",
    "--hydra-help",
    "--version",
    "--cfg",
    "-c",
    "--info",
    "--shell-completion",
    "-sc",
    "--resolve",
}


def _check_writable(key: str, folder: str) -> None:
    """The results folder can be made and written to; otherwise one line now rather than a traceback later."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-")
        probe.close()
    except OSError as e:
        raise ConfigError(
            f"{key}={folder!r} is not allowed: cannot write there ({e.strerror or e}); choose a folder you can write to"
        ) from None


def preflight(argv: list[str]) -> list[DictConfig]:
    """Compose and validate every configuration the command would run; raise ConfigError if any is bad.
    Returns the composed configurations (none for Hydra's informational flags)."""
    if any(a.split("=")[0] in HYDRA_FLAGS_WITHOUT_RUN for a in argv):
        return []
    multirun = "-m" in argv or "--multirun" in argv
    overrides = task_overrides(argv)
    for a in argv:
        if a.startswith("-") and a not in ("-m", "--multirun"):
            raise ConfigError(f"unknown option {a}: settings are written key=value (see python -m sim --help)")
    if multirun:
        _check_override_syntax(overrides)
        try:
            combos = expand_sweep(overrides)
        except Exception as e:  # Hydra's override parser: a value it cannot read
            raise explain(e, overrides) from None
    else:
        combos = [overrides]
    configs = [compose(combo) for combo in combos]
    if not multirun and configs[0].output.name:  # Hydra would write into the folder before the run could refuse
        folder = Path(str(configs[0].output.dir)) / str(configs[0].output.name)
        holder = results.busy(folder)
        if holder:
            raise ConfigError(
                f"output.name={configs[0].output.name!r} is not allowed now: {folder} is being written by another "
                f"run ({holder}); choose another name, or wait for it to finish"
            )
    check_hydra_settings(combos[0], [a for a in argv if a.startswith("hydra")])
    for folder in sorted({str(c.output.dir) for c in configs}):
        _check_writable("output.dir", folder)
    return configs


def check_hydra_settings(overrides: list[str], hydra_args: list[str]) -> None:
    """Hydra's own settings (hydra/launcher=ray, hydra.launcher...): composed once, so that a mistake is
    one line before anything starts."""
    if not hydra_args:
        return
    for a in hydra_args:
        if "=" not in a:
            raise ConfigError(f"'{a}' is not a setting: write key=value, e.g. hydra.launcher.n_jobs=2")
    try:
        compose_unchecked(overrides + hydra_args, with_hydra=True)
    except Exception as e:  # Hydra raises several types; all become one line
        from omegaconf.errors import ValidationError

        text = str(e)
        if isinstance(e.__cause__, ValidationError) or "no viable alternative" in text or "mismatched input" in text:
            raise explain(e, hydra_args) from None
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        missing = re.search(r"Could not find '(hydra/[\w/]+)/([^']+)'", text)
        if missing:
            group, value = missing.groups()
            header = f"Available options in '{group}':"
            options = []
            for line in lines[lines.index(header) + 1 :] if header in lines else []:
                if not re.fullmatch(r"[\w.-]+", line):
                    break
                options.append(line)
            raise ConfigError(
                f"{group}={value!r} is not allowed: choose one of {', '.join(options)}"
                + (
                    ""
                    if value not in ("ray", "submitit_slurm")
                    else " (install the extra: scripts/bootstrap.sh cluster, or pip install -e '.[cluster]')"
                )
            ) from None
        bad = re.search(r"Could not override '([^']+)'", text)
        if bad:
            key = bad.group(1)
            value = next((a.partition("=")[2] for a in hydra_args if a.partition("=")[0] == key), "")
            raise ConfigError(
                f"{key}={value} is not allowed: the chosen launcher has no such setting; "
                f"add a new one with +{key}={value}"
            ) from None
        raise ConfigError(
            f"{' '.join(hydra_args)} is not allowed: {lines[0] if lines else type(e).__name__} "
            "(quote values with special characters: key='value')"
        ) from None


def _is_task_override(arg: str) -> bool:
    return not arg.startswith("-") and not arg.startswith("hydra")


def _is_setting(arg: str) -> bool:
    """key=value on the command line (not a flag, nor a flag's value such as --cfg's 'job')."""
    return _is_task_override(arg) and "=" in arg


def task_overrides(argv: list[str]) -> list[str]:
    return [a for a in argv if _is_task_override(a)]


def main() -> None:

    register_configs()
    try:  # rules named as policies become policies of their own, in this process and its workers
        expanded = iter(named_rules.expand([a for a in sys.argv[1:] if _is_setting(a)]))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    # each setting rewritten where it stands (a flag's value stays after its flag); additions go right after the
    # first setting, where Hydra's parser still reads them as settings
    args = [next(expanded) if _is_setting(a) else a for a in sys.argv[1:]]
    first = next((i for i, a in enumerate(args) if _is_setting(a)), len(args) - 1)
    sys.argv = [sys.argv[0]] + args[: first + 1] + list(expanded) + args[first + 1 :]
    argv = sys.argv[1:]
    multirun = "-m" in argv or "--multirun" in argv
    if any(a.partition("=")[0].lstrip("+") == "analysis" for a in task_overrides(argv)) and not any(
        a.split("=")[0] in HYDRA_FLAGS_WITHOUT_RUN for a in argv
    ):
        sys.exit(run_analysis(argv, multirun))
    try:
        configs = preflight(argv)
        if multirun and configs:
            sys.argv += sweep.multirun_arguments(argv, task_overrides(argv), configs)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if not (multirun and configs):
        hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(task)()
        return
    sweep.LAST_OUTCOME = None
    try:
        hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(task)()
    finally:
        # The callback collects the sweep at its end; if the launcher stopped the sweep before that,
        # collect what the jobs wrote, so that the failures are listed and the finished runs are in the tables.
        if sweep.LAST_OUTCOME is None:
            sweep_dir = _sweep_dir_of(sys.argv[1:])
            if sweep_dir is not None and sweep.is_sweep_dir(sweep_dir):
                print(
                    "the launcher stopped before the end of the sweep; collecting the jobs that finished",
                    file=sys.stderr,
                    flush=True,
                )
                sweep.finish(sweep_dir)
    sys.exit(0 if sweep.LAST_OUTCOME is not None and sweep.LAST_OUTCOME.ok else 1)


def run_analysis(argv: list[str], multirun: bool) -> int:
    """An analysis (conf/analysis/) runs its own set of simulations, not one Hydra job."""

    if multirun:
        print(
            "error: -m is not allowed with analysis=...: an analysis runs its own samples "
            "(drop -m; see docs/guide/studies.md)",
            file=sys.stderr,
        )
        return 2
    for a in argv:
        if a.startswith("-") or a.startswith("hydra"):
            print(f"error: {a} is not allowed with analysis=...: give settings as key=value", file=sys.stderr)
            return 2
    return sensitivity.main(task_overrides(argv))


def _sweep_dir_of(argv: list[str]) -> Path | None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    for a in reversed(argv):
        if a.startswith("hydra.sweep.dir="):
            [parsed] = OverridesParser.create().parse_overrides([a])
            return Path(str(parsed.value()))
    return None


if __name__ == "__main__":
    main()
