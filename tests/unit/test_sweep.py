"""Sweep naming and job directories (sim/sweep.py): stable for the same command and configuration,
different when either changes; the launcher's own log lines kept out of a sweep's output."""

from __future__ import annotations

from pathlib import Path

from hydra_plugins.hydra_joblib_launcher import _core as joblib_launcher_core
from omegaconf import OmegaConf

from sim.config import compose, compose_unchecked
from sim.sweep import is_presentation, multirun_arguments, sweep_name, swept_keys

JOBLIB_LAUNCHER = "hydra_plugins.hydra_joblib_launcher"


def test_the_sweep_name_is_stable_and_changes_with_the_settings_or_the_configuration():
    configs = [compose(["policy=engagement", "n_users=300"]), compose(["policy=civic", "n_users=300"])]
    a = sweep_name(["policy=engagement,civic", "n_users=300", "progress=false"], configs)
    assert a == sweep_name(["n_users=300", "policy=engagement,civic"], configs)  # order, presentation: same
    assert a.startswith("policy-engagement-civic_n-users-300_")
    assert a != sweep_name(["policy=engagement,civic", "n_users=400"], configs)
    changed = [compose(["policy=engagement", "n_users=300", "behaviour.wellbeing.hostile_mood=0.1"]), configs[1]]
    assert a != sweep_name(["policy=engagement,civic", "n_users=300"], changed)


def test_job_directories_are_named_by_the_swept_settings_only():
    overrides = ["policy=engagement,civic", "seed=range(0,3)", "n_users=300", "output.dir=/tmp/x"]
    assert swept_keys(overrides) == ["policy", "seed"]
    configs = [compose(["n_users=300", "output.sweeps=/data/sweeps"])]
    args = multirun_arguments(["-m", *overrides], overrides, configs)
    assert args[0].startswith("hydra.sweep.dir='/data/sweeps/policy-engagement-civic_seed-range-0-3_n-users-300_")
    relative = multirun_arguments(["-m", *overrides], overrides, [compose(["n_users=300"])])
    assert relative[0].startswith(f"hydra.sweep.dir='{Path.cwd() / 'results' / 'sweeps'}/")
    assert args[1] == "hydra.job.config.override_dirname.exclude_keys=[n_users,output.dir]"
    assert multirun_arguments(["-m", "hydra.sweep.dir=/mine", *overrides], overrides, configs) == [args[1]]
    assert multirun_arguments(["-m", "n_users=300"], ["n_users=300"], configs)[1] == "hydra.sweep.subdir=run"
    assert is_presentation("output.dir=/x") and is_presentation("progress=false") and not is_presentation("seed=1")


def test_the_joblib_launcher_does_not_log_its_settings_but_hydra_still_logs():
    """The joblib launcher's "[HYDRA] Joblib.Parallel(...) is launching N jobs" (and its job list) is silenced
    by conf/config.yaml's hydra_logging; the sweep prints its own first line. Its logger is a child of the one
    silenced, and the root logger Hydra's other messages go to stays at INFO."""
    cfg = compose_unchecked([], with_hydra=True)
    logging_cfg = OmegaConf.to_container(cfg.hydra.hydra_logging)
    assert logging_cfg["loggers"][JOBLIB_LAUNCHER]["level"] == "WARNING"
    assert joblib_launcher_core.log.name.startswith(JOBLIB_LAUNCHER + ".")
    assert logging_cfg["root"]["level"] == "INFO"
