"""Every bad input gets one line naming the setting, the value and what is allowed; exit code 2; and
no run directory is left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from sim import confdir
from sim.config import ConfigError, compose

BAD = [
    # (override, words the message must contain)
    (
        "policy=foo",
        ["policy", "'foo'", "bridging, chronological, civic, custom, engagement, random, stated_preference"],
    ),
    ("scenario=utopia", ["scenario", "'utopia'", "chronological, civic_platform, deactivation_study"]),
    ("population=martians", ["population", "'martians'", "default"]),
    ("population.age_shares.teen=0.2", ["population.age_shares.teen", "0.2", "unknown age group", "adolescent"]),
    ("population.vulnerable_share.elderly=0.1", ["vulnerable_share.elderly", "unknown age group"]),
    ("+population.age_shares.teen=0.2", ["population.age_shares.teen", "0.2", "unknown age group"]),
    ("n_users=0", ["n_users=0", "positive integer"]),
    ("n_users=-50", ["n_users=-50", "positive integer"]),
    ("n_users=1000000000000", ["n_users=1000000000000", "GB of memory", "users fit"]),
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
    ("policy.per_followee_cap=-1", ["per_followee_cap=-1", "0 or a positive integer"]),
    ("policy.pool_share=1.5", ["pool_share=1.5", "[0, 1]"]),
    ("n_users=50", ["network.mean_out_degree=150", "below n_users (50)", "network.mean_out_degree=10"]),
    ("network.external.accounts_per_user=-0.5", ["external.accounts_per_user=-0.5", "0 or greater"]),
    ("network.external.posts_per_day_mean=-1", ["external.posts_per_day_mean=-1", "greater than 0"]),
    ("network.external.style_shares.outrage=0.5", ["external.style_shares", "sum to 1"]),
    ("platform.engagement_model.kind=perfect", ["engagement_model.kind='perfect'", "oracle, learned"]),
    ("platform.engagement_model.initial_like_rate=1", ["initial_like_rate=1", "strictly between 0 and 1"]),
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
    (
        ["platform.deactivation.enabled=true", "days=20", "platform.deactivation.end_day=42"],
        ["deactivation.end_day=42", "at most days (20)"],
    ),
    (
        ["platform.deactivation.enabled=true", "platform.deactivation.end_day=5"],
        ["deactivation.end_day=5", "after platform.deactivation.start_day (7)"],
    ),
    (
        ["platform.deactivation.enabled=true", "days=20", "platform.deactivation.start_day=25"],
        ["deactivation.start_day=25", "0 to 19"],
    ),
    (
        ["platform.deactivation.enabled=true", "platform.deactivation.groups=[]"],
        ["deactivation.groups", "at least one"],
    ),
    (["platform.moderation.enabled=true", "platform.moderation.precision=0"], ["precision=0", "above 0"]),
    (["platform.teen_accounts.enabled=true", "platform.teen_accounts.quiet_end=22"], ["quiet_end=22", "differ"]),
    (["policy=custom"], ["policy.score is not set", "module:function"]),
]


# More of the catalogue, by group (issue 8): settings the lists above do not try. Each is one bad
# configuration, and its message must name the setting, the value and what is allowed.
CATALOGUE = [
    # a setting given twice: the message quotes the bad value, not the first one
    (["days=1", "days=abc"], ["days='abc'", "integer"]),
    (["policy=civic", "policy=nope"], ["policy='nope'", "choose one of"]),
    # a rule's file named without its function
    (["policy=rules/myrules.py"], ["policy='rules/myrules.py'", "choose one of", "policy=rules/myrules.py:my_rule"]),
    # (overrides, words)
    # a label or output.name is a folder inside output.dir: never a path out of it
    (["label=../../x"], ["label='../../x'", "plain name", "output.dir"]),
    (["label=a/b"], ["label='a/b'", "plain name"]),
    (["output.name=../../x"], ["output.name='../../x'", "plain name"]),
    (["output.name=.."], ["output.name='..'", "plain name"]),
    ([f"label={'x' * 300}"], ["label=", "300 characters", "at most 100"]),
    (["label=''"], ["label=''", "must not be empty"]),
    (["population.phenotypes.awake_hours_per_day=30"], ["awake_hours_per_day=30", "at most 24"]),
    (["population.traits.ideology_mode=1.5"], ["ideology_mode=1.5", "[0, 1]"]),
    (["population.phenotypes.source=other"], ["phenotypes.source='other'", "turner2025"]),
    (["population.phenotypes.poster_share=-0.2"], ["poster_share=-0.2", "[0, 1]"]),
    (["network=other"], ["network='other'", "default"]),
    (["network.ideology_bins=0"], ["ideology_bins=0", "positive integer"]),
    (["network.mean_out_degree=0"], ["mean_out_degree=0", "greater than 0"]),
    (["network.fitness_pareto_alpha=-1"], ["fitness_pareto_alpha=-1", "greater than 0"]),
    (["behaviour=other"], ["behaviour='other'", "default"]),
    (["behaviour.sleep.substeps_per_hour=7"], ["substeps_per_hour=7", "divide 60"]),
    (["behaviour.sessions.activity_profile=[1,2,3]"], ["activity_profile", "<3 values>", "24 hourly values"]),
    (["behaviour.sleep.alarm_days=[0,7]"], ["alarm_days[1]=7", "0 (Monday) to 6 (Sunday)"]),
    (["behaviour.sleep.alarm_days=3"], ["alarm_days='3'", "must be a list"]),
    (["behaviour.sleep.alarm_hour=5"], ["alarm_hour='5'", "must be a mapping", "alarm_hour.name=value"]),
    (["behaviour.posting.feedback_delay_hours=0"], ["feedback_delay_hours=0", "at least 1"]),
    (["behaviour.response.max_session_minutes=90"], ["max_session_minutes=90", "at most 60"]),
    (["behaviour.wellbeing.composite_weights.mood=0.9"], ["composite_weights", "sum to 1", "1.65"]),
    (["behaviour.opinion.outgroup_distance=3"], ["outgroup_distance=3", "(0, 2]"]),
    (["behaviour.sessions.base_hazard.adult=-1"], ["base_hazard.adult=-1", "0 or greater"]),
    (["policy.max_age_hours=1"], ["max_age_hours=1", "feedback_delay_hours (24)"]),
    (["policy.pool_key=hot"], ["pool_key='hot'", "virality, bridging, recent"]),
    (
        ["policy=custom", "policy.score=nosuch:f"],
        ["policy.score='nosuch:f'", "cannot import 'nosuch'", "path/to/rules.py"],
    ),
    (["policy.out_of_network=true", "policy.pool_share=0"], ["pool_share=0", "out_of_network is true"]),
    (["policy.author_cap=-1"], ["author_cap=-1", "0 or a positive integer"]),
    (["platform.notifications.batch_hours=0"], ["batch_hours=0", "integer from 1 to 24"]),
    (["platform.feed_end=never"], ["feed_end='never'", "infinite, stopping_cue"]),
    (["platform.bridging_model.prior_obs=0"], ["prior_obs=0", "greater than 0"]),
    (["platform.deactivation.share=2"], ["deactivation.share=2", "[0, 1]"]),
    (["scenario=deactivation_study", "days=10"], ["deactivation.start_day=14", "0 to 9 (days=10)"]),
    (["scenario=teen_protections", "platform.teen_accounts.quiet_end=22"], ["teen_accounts.quiet_end=22", "differ"]),
    (["scenario=civic_platform", "policy.k=500"], ["policy.k=500", "candidate pool"]),
    (["metrics.bridging_min_rate=1.5"], ["bridging_min_rate=1.5", "[0, 1]"]),
    (["metrics.bridging_min_impressions=-1"], ["bridging_min_impressions=-1", "0 or a positive integer"]),
    (["metrics.elevated_symptoms_threshold=inf"], ["elevated_symptoms_threshold=inf", "finite"]),
    (["threads=-1"], ["threads=-1", "0 (all cores)"]),
    (["offline_days=-1"], ["offline_days=-1", "0 or a positive integer"]),
    (["progress=maybe"], ["progress='maybe'", "true or false"]),
    (["days=1.5"], ["days='1.5'", "integer"]),
    (["output.dir=[1,2]"], ["output.dir", "must be a string"]),
    # a key added with + must exist (else the run would silently use the default)
    (["+n_user=500"], ["+n_user=500", "not a setting", "did you mean n_users"]),
    (["+platform.time_limit.minute=30"], ["time_limit.minute=30", "did you mean platform.time_limit.minutes"]),
    (["+policy.weights.feeling=1"], ["policy.weights.feeling=1", "unknown feature"]),
    (["policy.weights={feeling: 1}"], ["policy.weights.feeling", "unknown feature", "p_like"]),
    # days is bounded by memory and by computing time, as n_users is by memory
    (["days=1000000000000"], ["days=1000000000000", "GB of memory"]),
    (["n_users=100000", "days=100000"], ["days=100000", "days of computing", "at most 25,200 days"]),
    # counts: whole numbers in their range (sim.checks.Checker.whole_number)
    (["network.external.min_accounts=2.5"], ["min_accounts='2.5'", "must be an integer"]),
    (["network.external.min_accounts=-1"], ["min_accounts=-1", "whole number, 0 or more"]),
    (["behaviour.interests.topics=0"], ["topics=0", "whole number of topics from 1 to 127"]),
    (["platform.moderation.latency_hours=-2"], ["latency_hours=-2", "0 (before anyone sees a post)"]),
    # more outside follows than outside accounts
    (
        ["network.external.accounts_per_user=0.01", "network.external.min_accounts=10"],
        ["external.follow_share=0.6", "90 outside accounts", "only 20"],
    ),
]

# Bad sweeps and Hydra settings on the command line: one line, exit 2, no sweep directory.
SWEEP_CASES = [
    (["-m", "seed=range(0,"], ["seed=range(0,", "cannot be read"]),
    (["-m", "seed"], ["'seed' is not a setting", "key=value"]),
    (["-m", "scenario=deactivation_study", "days=10,30"], ["deactivation.start_day=14", "(days=10)"]),
    (["-m", "policy=civic,nosuch"], ["policy='nosuch'", "engagement"]),
    (["-m", "analysis=sensitivity"], ["-m is not allowed with analysis", "drop -m"]),
    (["-m", "policy=civic,engagement", "hydra.launcher.n_jobs=abc"], ["hydra.launcher.n_jobs='abc'", "integer"]),
    (["-m", "policy=civic,engagement", "hydra.sweep.dir"], ["'hydra.sweep.dir' is not a setting", "key=value"]),
    (["-m", "policy=civic,engagement", "hydra/sweeper=nosuch"], ["hydra/sweeper='nosuch'", "basic"]),
    (["-m", "--foo", "policy=civic,engagement"], ["unknown option --foo", "key=value"]),
]
GROUPS = ("run", "population", "network", "behaviour", "policy", "platform", "scenario", "metrics", "sweeps/hydra")


def group_of(overrides: list[str]) -> str:
    """The catalogue group of a bad configuration: the first setting that names one, else the run's own."""
    if any(o.startswith(("-", "hydra")) for o in overrides):
        return "sweeps/hydra"
    for o in overrides:
        top = o.partition("=")[0].lstrip("+~").split(".")[0]
        if top in GROUPS:
            return top
    return "run"


def catalogue() -> dict[tuple[str, ...], str]:
    entries = [[o] for o, _ in BAD] + [o for o, _ in CROSS] + [o for o, _ in CATALOGUE] + [o for o, _ in SWEEP_CASES]
    entries += [[o] for o in CLI_CASES] + [
        ["-m", "n_users=300,0"],
        ["-m", "hydra/launcher=rai"],
        ["-m", "hydra.launcher.n_job=2"],
    ]
    return {tuple(e): group_of(e) for e in entries}


def test_the_catalogue_has_at_least_30_bad_configs_in_every_group():
    by_group = {}
    for overrides, group in catalogue().items():
        by_group.setdefault(group, []).append(overrides)
    assert len(catalogue()) >= 30
    for group in GROUPS:
        assert len(by_group.get(group, [])) >= 3, (group, by_group.get(group))


@pytest.mark.parametrize("overrides,words", CATALOGUE, ids=[" ".join(c[0]) for c in CATALOGUE])
def test_every_group_of_settings_gets_a_one_line_message(overrides, words):
    with pytest.raises(ConfigError) as err:
        compose(overrides)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize("args,words", SWEEP_CASES, ids=[" ".join(c[0]) for c in SWEEP_CASES])
def test_a_bad_sweep_is_one_line_exit_2_and_makes_no_directory(args, words, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *args, f"output.sweeps={tmp_path / 'sweeps'}", f"output.dir={tmp_path / 'runs'}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


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


CLI_CASES = [
    "policy=foo",
    "scenario=utopia",
    "platform.moderation.latency_hours=72",
    "n_users=0",
    "population.age_shares.adult=0.6",
    "network.reciprocity=1.5",
    "platform.notifications.quiet_start=25",
    "policy.k=300",
    "population.age_shares.teen=0.2",
    "n_users=abc",
    "days=-1",
    "label=../../x",
    "output.name=a/b",
    "+n_user=500",
    "days=1000000000000",
]


@pytest.mark.parametrize("override", CLI_CASES)
def test_the_command_line_exits_2_with_one_line_and_writes_nothing(override, tmp_path):
    out = tmp_path / "runs"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", override, f"output.dir={out}", "progress=false"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert override.split("=")[0].split(".")[-1] in lines[0]
    assert not out.exists()


def test_an_output_folder_that_cannot_be_written_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", f"output.dir={blocker / 'runs'}", "progress=false"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "output.dir=" in lines[0] and "cannot write there" in lines[0], proc.stderr


@pytest.fixture
def own_conf(tmp_path, monkeypatch):
    """A copy of conf/ that a test may add files to, used by compose in this process."""
    conf = tmp_path / "conf"
    shutil.copytree(confdir.CONF_DIR, conf)
    monkeypatch.setattr(confdir, "CONF_DIR", conf)
    return conf


def test_an_unknown_key_in_a_scenario_file_names_the_file_and_the_key(own_conf):
    (own_conf / "scenario" / "typo.yaml").write_text("# @package _global_\nplatform:\n  counts_visibel: false\n")
    with pytest.raises(ConfigError) as err:
        compose(["scenario=typo"])
    msg = str(err.value)
    assert str(own_conf / "scenario" / "typo.yaml") in msg and "platform.counts_visibel is not a setting" in msg


def test_a_yaml_syntax_error_names_the_file_and_line(own_conf):
    (own_conf / "scenario" / "broken.yaml").write_text("# @package _global_\nplatform:\n  counts: [hidden\n")
    with pytest.raises(ConfigError) as err:
        compose(["scenario=broken"])
    msg = str(err.value)
    assert "\n" not in msg and str(own_conf / "scenario" / "broken.yaml") + ", line 3" in msg, msg


def test_a_value_outside_ascii_must_be_quoted():
    with pytest.raises(ConfigError, match="label=café cannot be read: quote"):
        compose(["label=café"])
    assert compose(["label='café'"]).label == "café"


def test_an_added_key_that_exists_in_an_open_map_is_accepted():
    cfg = compose(["+policy.weights.age_hours=-0.1"])
    assert cfg.policy.weights.age_hours == -0.1


def test_cross_field_checks(tmp_path):
    with pytest.raises(ConfigError, match="stopping_cue_items=250 is not allowed: must be below the feed length"):
        compose(["platform.feed_end=stopping_cue", "platform.stopping_cue_items=250"])
    compose(["platform.stopping_cue_items=250"])  # harmless while the feed is infinite
    with pytest.raises(ConfigError, match="quiet_end=22 is not allowed: must differ"):
        compose(["platform.notifications.mode=quiet_hours", "platform.notifications.quiet_end=22"])


def test_a_bad_value_inside_a_sweep_is_caught_before_any_job_runs(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "n_users=300,0",
            "days=1",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
            "progress=false",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "n_users=0" in proc.stderr
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize(
    "setting,words",
    [
        ("hydra/launcher=rai", ["hydra/launcher='rai'", "joblib", "ray", "submitit_slurm"]),
        ("hydra.launcher.n_job=2", ["hydra.launcher.n_job=2", "+hydra.launcher.n_job"]),
    ],
)
def test_a_bad_launcher_setting_is_one_line_before_any_job_runs(setting, words, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "policy=civic,engagement",
            setting,
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and all(w in lines[0] for w in words), proc.stderr
    assert not (tmp_path / "sweep").exists()
