"""Every bad input gets one line naming the setting, the value and what is allowed; exit code 2; and
no run directory is left behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.config import ConfigError, compose

BAD = [
    # (override, words the message must contain)
    ("policy=foo", ["policy", "'foo'", "bridging, chronological, civic, custom, engagement, random, stated_preference"]),
    ("scenario=utopia", ["scenario", "'utopia'", "chronological, civic_platform, deactivation_study"]),
    ("population=martians", ["population", "'martians'", "default"]),
    ("population.age_shares.teen=0.2", ["population.age_shares.teen", "0.2", "unknown age group", "adolescent"]),
    ("population.vulnerable_share.elderly=0.1", ["vulnerable_share.elderly", "unknown age group"]),
    ("+population.age_shares.teen=0.2", ["population.age_shares.teen", "0.2", "unknown age group"]),
    ("n_users=0", ["n_users=0", "positive integer"]),
    ("n_users=-50", ["n_users=-50", "positive integer"]),
    ("days=0", ["days=0", "positive integer"]),
    ("n_users=abc", ["n_users", "'abc'", "integer"]),
    ("population.age_shares.adult=0.6", ["population.age_shares", "sum to 1", "1.05"]),
    ("behaviour.posting.style_base_shares.outrage=0.5", ["style_base_shares", "sum to 1"]),
    ("network.reciprocity=1.5", ["network.reciprocity=1.5", "[0, 1]"]),
    ("population.vulnerable_share.adult=-0.1", ["population.vulnerable_share.adult=-0.1", "[0, 1]"]),
    ("behaviour.sleep.night_wake_prob=2", ["night_wake_prob=2", "[0, 1]"]),
    ("platform.notifications.quiet_start=25", ["quiet_start=25", "0-23"]),
    ("metrics.night_start_hour=-1", ["night_start_hour=-1", "0-23"]),
    ("platform.notifications.quiet_end=7.5", ["quiet_end", "7.5"]),
    ("behaviour.sleep.alarm_hour.adult=24", ["alarm_hour.adult=24", "0 <= h < 24"]),
    ("policy.k=300", ["policy.k=300", "candidate pool", "200"]),
    ("policy.oon_candidates=250", ["policy.oon_candidates=250", "candidate pool"]),
    ("platform.counts=sometimes", ["platform.counts='sometimes'", "visible, hidden, hidden_for_minors"]),
    ("platform.notifications.mode=loud", ["mode='loud'", "instant, batched, quiet_hours, off"]),
    ("policy.weights.sparkle=1", ["policy.weights.sparkle", "unknown feature", "p_like"]),
    ("n_user=500", ["n_user", "not a setting", "n_users"]),
    ("seed=-1", ["seed=-1", "non-negative"]),
    ("behaviour.sleep.in_bed_use_logit=nan", ["behaviour.sleep.in_bed_use_logit=nan", "finite"]),
    ("population.traits.vulnerable_symptom_shift=inf", ["vulnerable_symptom_shift=inf", "finite"]),
    ("behaviour.sleep.upper_threshold=0.95", ["upper_threshold=0.95", "below 1"]),
    ("behaviour.sleep.lower_threshold=0.0", ["lower_threshold=0", "above 0"]),
    ("behaviour.sleep.lower_threshold=0.6", ["lower_threshold=0.6", "below the upper threshold"]),
    ("metrics.night_end_hour=23", ["night_end_hour=23", "differ"]),
    ("metrics.late_onset_hour=13", ["late_onset_hour=13", "before noon"]),
    ("policy.per_followee_cap=0", ["per_followee_cap=0", "positive integer"]),
    ("policy.pool_share=1.5", ["pool_share=1.5", "[0, 1]"]),
    ("n_users=100", ["network.mean_out_degree=150", "below n_users (100)", "network.mean_out_degree=20"]),
    # platform interventions
    ("platform.time_limit.mode=strict", ["time_limit.mode='strict'", "none, soft, hard"]),
    ("platform.time_limit.applies_to=teens", ["applies_to='teens'", "all, minors"]),
    ("platform.time_limit.minutes=2000", ["time_limit.minutes=2000", "below 1440"]),
    ("platform.pause_nudge.after_minutes=0", ["after_minutes=0", "greater than 0"]),
    ("platform.pause_nudge.compliance=1.2", ["compliance=1.2", "[0, 1]"]),
    ("platform.moderation.recall=-0.1", ["recall=-0.1", "[0, 1]"]),
    ("platform.moderation.latency_hours=72", ["latency_hours=72", "policy.max_age_hours (48)"]),
    ("platform.moderation.strikes=0", ["strikes=0", "positive integer"]),
    ("platform.media_literacy.comparison_factor=1.5", ["comparison_factor=1.5", "scales the trait down"]),
    ("platform.deactivation.groups=[teens]", ["deactivation.groups[0]='teens'", "unknown age group"]),
    ("label=1", []),  # a number is a valid label (kept as text): must not raise
]
BAD = [b for b in BAD if b[1]]
CROSS = [
    # (overrides, words)
    (["platform.deactivation.enabled=true", "days=20", "platform.deactivation.end_day=42"],
     ["deactivation.end_day=42", "at most days (20)"]),
    (["platform.deactivation.enabled=true", "platform.deactivation.end_day=5"],
     ["deactivation.end_day=5", "after platform.deactivation.start_day (7)"]),
    (["platform.deactivation.enabled=true", "days=20", "platform.deactivation.start_day=25"],
     ["deactivation.start_day=25", "0 to 19"]),
    (["platform.deactivation.enabled=true", "platform.deactivation.groups=[]"], ["deactivation.groups", "at least one"]),
    (["platform.moderation.enabled=true", "platform.moderation.precision=0"], ["precision=0", "above 0"]),
    (["platform.teen_accounts.enabled=true", "platform.teen_accounts.quiet_end=22"], ["quiet_end=22", "differ"]),
    (["policy=custom"], ["policy.score is not set", "module:function"]),
]


@pytest.mark.parametrize("overrides,words", CROSS, ids=[" ".join(c[0]) for c in CROSS])
def test_cross_field_checks_of_the_levers(overrides, words):
    with pytest.raises(ConfigError) as err:
        compose(overrides)
    for w in words:
        assert w in str(err.value), str(err.value)


@pytest.mark.parametrize("override,words", BAD, ids=[b[0] for b in BAD])
def test_composing_a_bad_setting_raises_a_clear_one_line_error(override, words):
    with pytest.raises(ConfigError) as err:
        compose([override])
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg


CLI_CASES = ["policy=foo", "scenario=utopia", "platform.moderation.latency_hours=72", "n_users=0", "population.age_shares.adult=0.6", "network.reciprocity=1.5",
             "platform.notifications.quiet_start=25", "policy.k=300", "population.age_shares.teen=0.2",
             "n_users=abc", "days=-1"]


@pytest.mark.parametrize("override", CLI_CASES)
def test_the_command_line_exits_2_with_one_line_and_writes_nothing(override, tmp_path):
    out = tmp_path / "runs"
    proc = subprocess.run([sys.executable, "-m", "sim", override, f"output.dir={out}", "progress=false"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert override.split("=")[0].split(".")[-1] in lines[0]
    assert not out.exists()


def test_cross_field_checks(tmp_path):
    with pytest.raises(ConfigError, match="stopping_cue_items=40 is not allowed: must be below the feed length"):
        compose(["platform.feed_end=stopping_cue", "platform.stopping_cue_items=40"])
    compose(["platform.stopping_cue_items=40"])  # harmless while the feed is infinite
    with pytest.raises(ConfigError, match="quiet_end=22 is not allowed: must differ"):
        compose(["platform.notifications.mode=quiet_hours", "platform.notifications.quiet_end=22"])


def test_a_bad_value_inside_a_sweep_is_caught_before_any_job_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "-m", "n_users=300,0", "days=1",
                           f"hydra.sweep.dir={tmp_path / 'sweep'}", "progress=false"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "n_users=0" in proc.stderr
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("setting,words", [
    ("hydra/launcher=rai", ["hydra/launcher='rai'", "joblib", "ray", "submitit_slurm"]),
    ("hydra.launcher.n_job=2", ["hydra.launcher.n_job=2", "+hydra.launcher.n_job"]),
])
def test_a_bad_launcher_setting_is_one_line_before_any_job_runs(setting, words, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "-m", "policy=civic,engagement", setting,
                           f"hydra.sweep.dir={tmp_path / 'sweep'}"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and all(w in lines[0] for w in words), proc.stderr
    assert not (tmp_path / "sweep").exists()
