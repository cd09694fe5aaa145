"""Every scenario preset (conf/scenario/) composes to what it promises and runs; the command line runs one."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sim
from sim.config import compose, group_options

SMALL = ["n_users=300", "offline_days=2", "progress=false", "network.mean_out_degree=40"]

PROMISES = {
    "status_quo": {
        "policy.name": "engagement",
        "platform.counts": "visible",
        "platform.notifications.mode": "instant",
        "platform.feed_end": "infinite",
        "platform.moderation.enabled": False,
    },
    "chronological": {"policy.name": "chronological", "platform.counts": "visible"},
    "civic_platform": {
        "policy.name": "civic",
        "platform.counts": "hidden",
        "platform.notifications.mode": "quiet_hours",
        "platform.feed_end": "stopping_cue",
    },
    "teen_protections": {
        "policy.name": "engagement",
        "platform.teen_accounts.enabled": True,
        "platform.time_limit.mode": "soft",
        "platform.time_limit.applies_to": "minors",
    },
    "moderation_only": {"policy.name": "engagement", "platform.moderation.enabled": True, "platform.counts": "visible"},
    "deactivation_study": {
        "policy.name": "engagement",
        "platform.deactivation.enabled": True,
        "platform.deactivation.groups": ["adult"],
        "days": 49,
    },
}


def test_every_preset_is_covered():
    assert set(group_options("scenario")) == set(PROMISES)


@pytest.mark.parametrize("scenario", sorted(PROMISES))
def test_a_preset_sets_what_it_promises_and_runs(scenario, tmp_path):
    from omegaconf import OmegaConf

    cfg = compose([f"scenario={scenario}"])
    assert cfg.label == scenario
    for key, value in PROMISES[scenario].items():
        got = OmegaConf.select(cfg, key)
        assert (list(got) if key.endswith("groups") else got) == value, key
    days = "days=49" if scenario == "deactivation_study" else "days=2"
    result = sim.run([f"scenario={scenario}", days, *SMALL, f"output.dir={tmp_path}"])
    assert result.manifest["label"] == scenario and result.manifest["status"] == "complete"
    assert scenario in result.path.name
    if scenario == "deactivation_study":
        users = result.users
        assert users.loc[users.age_group != "adult", "treated"].sum() == 0
        assert users.loc[users.age_group == "adult", "treated"].mean() == pytest.approx(0.5, abs=0.1)
        daily = result.daily[result.daily.group == "adult"].set_index("day")
        assert daily.loc[20, "active_share"] < 0.7 and daily.loc[45, "active_share"] == 1.0


def test_settings_given_with_a_preset_override_it():
    cfg = compose(["scenario=civic_platform", "policy=engagement", "platform.counts=visible"])
    assert cfg.policy.name == "engagement" and cfg.platform.counts == "visible" and cfg.label == "civic_platform"
    assert compose(["policy=civic"]).label == "status_quo"


def test_a_sweep_over_rules_alone_can_label_each_job_by_its_rule():
    """docs/guide/studies.md: without a label every job of ``policy=engagement,civic`` is ``status_quo``."""
    from sim.config import job_label

    assert [job_label(compose([f"policy={rule}", "label=${policy.name}"])) for rule in ("engagement", "civic")] == [
        "engagement",
        "civic",
    ]


def test_the_command_line_runs_a_preset(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "scenario=civic_platform", "days=1", *SMALL, f"output.dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [run_dir] = list(tmp_path.iterdir())
    assert run_dir.name.endswith("_civic_platform_civic_s0")
    assert sim.load(run_dir).manifest["label"] == "civic_platform"
