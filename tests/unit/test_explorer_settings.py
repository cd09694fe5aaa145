"""The explorer's controls: options read from conf/, one override per control, clear errors."""

from __future__ import annotations

import shutil

import pytest
from omegaconf import OmegaConf

from sim import confdir, config
from sim.config import ConfigError, compose, group_options
from sim.explorer import settings
from sim.explorer.settings import AS_CONFIGURED, PLATFORM_CONTROLS, PRESET, RULE


def test_every_ranking_rule_in_conf_is_offered_but_the_plug_in_settings():
    rules = [RULE + p for p in group_options("policy") if p != settings.PLUGIN_SETTINGS]
    assert [c for c in settings.scenario_choices() if c.startswith(RULE)] == rules
    assert RULE + "custom" not in settings.scenario_choices()  # it needs a rule: the rule-file field gives one
    assert settings.choice_overrides(RULE + "chronological") == ["policy=chronological"]


def test_every_platform_control_sets_its_config_key_to_each_value_it_offers():
    for name, control in PLATFORM_CONTROLS.items():
        for value in control.values:
            cfg = compose(["n_users=300"] + settings.platform_overrides({name: value}))
            assert settings.shown(control, OmegaConf.select(cfg, control.key)) == value, (name, value)


def test_every_platform_intervention_has_a_control():
    from sim.schema import PlatformConfig

    levers = {
        f
        for f in PlatformConfig.__dataclass_fields__
        # the platform's own models (bridging, engagement) are how it ranks, not interventions
        if f
        not in ("name", "bridging_model", "engagement_model", "stopping_cue_items", "stopping_cue_stop", "page_items")
    }
    assert levers == set(PLATFORM_CONTROLS)


def test_as_configured_leaves_the_setting_alone():
    assert settings.platform_overrides({name: AS_CONFIGURED for name in PLATFORM_CONTROLS}) == []


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: settings.choice_overrides("civic", "alternative"), ["alternative", "'civic'", RULE + "civic"]),
        (lambda: settings.platform_overrides({"counts": "sometimes"}), ["counts='sometimes'", "hidden_for_minors"]),
        (lambda: settings.platform_overrides({"sparkle": "on"}), ["sparkle", "not a platform control", "feed_end"]),
        (lambda: settings.parse_whole("seed", "x1"), ["seed='x1'", "non-negative integer"]),
        (lambda: settings.parse_whole("seed", -3), ["seed='-3'", "non-negative integer"]),
        (lambda: settings.parse_whole("days", "0", 1), ["days='0'", "at least 1"]),
    ],
)
def test_bad_settings_get_one_line_naming_the_setting_and_what_is_allowed(call, words):
    with pytest.raises(ConfigError) as e:
        call()
    message = str(e.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_describe_names_the_rule_and_every_platform_control():
    cfg = settings.compose_side(RULE + "civic", {"feed_end": "stopping_cue"}, 300, 4, 2, "alternative")
    assert cfg.seed == 4 and cfg.n_users == 300 and cfg.days == 2
    assert settings.describe(cfg) == (
        "ranking civic, like counts visible, notifications instant, "
        "feed end stopping_cue, pause nudge off, daily time limit none, "
        "teen accounts off, moderation off, deactivation (days 7-21) off, "
        "media literacy off"
    )


@pytest.fixture
def conf_with_preset(tmp_path, monkeypatch):
    """A copy of conf/ with a scenario preset that changes the ranking rule and a platform setting."""
    conf = tmp_path / "conf"
    shutil.copytree(config.CONF_DIR, conf)
    (conf / "scenario").mkdir(exist_ok=True)
    (conf / "scenario" / "minors_first.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /policy: civic\nplatform:\n  counts: hidden_for_minors\n"
    )
    monkeypatch.setattr(confdir, "CONF_DIR", conf)  # read by compose and group_options
    return conf


def _check_preset_is_offered_and_composes():
    assert PRESET + "minors_first" in settings.scenario_choices()
    cfg = settings.compose_side(PRESET + "minors_first", {}, 300, 0, 2, "alternative")
    assert cfg.policy.name == "civic" and cfg.platform.counts == "hidden_for_minors"
    # a platform control set in the page wins over the preset
    cfg = settings.compose_side(PRESET + "minors_first", {"counts": "hidden"}, 300, 0, 2, "alternative")
    assert cfg.policy.name == "civic" and cfg.platform.counts == "hidden"


def test_a_new_scenario_preset_appears_without_code_changes(conf_with_preset):
    assert settings.choice_overrides(PRESET + "minors_first") == ["scenario=minors_first"]
    _check_preset_is_offered_and_composes()


def test_an_empty_rule_file_field_leaves_the_ranking_alone(tmp_path):
    assert settings.parse_rule_file("", tmp_path) is None
    assert settings.parse_rule_file("   ", tmp_path) is None
    assert settings.rule_overrides(None) == []


def test_a_rule_file_is_a_python_file_and_a_function_name(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.py").write_text("def friends_first(x, w):\n    return 0.0\n")
    rule = settings.parse_rule_file(" 'rules/mine.py:friends_first' ", tmp_path)  # quotes as on a command line
    assert rule.path == tmp_path / "rules" / "mine.py" and rule.function == "friends_first"
    assert rule.spec == f"{tmp_path / 'rules' / 'mine.py'}:friends_first"
    assert settings.parse_rule_file(f"{rule.path}:friends_first", tmp_path / "elsewhere") == rule  # absolute


@pytest.mark.parametrize(
    "text, words",
    [
        ("rules.py", ["rule file 'rules.py'", "name the function after a colon", settings.RULE_FILE_EXAMPLE]),
        ("rules.py:", ["after the colon is not a function name"]),
        ("rules.py:friends-first", ["'friends-first' after the colon is not a function name"]),
        ("rules:friends_first", ["'rules' is not a Python file"]),
        ("missing.py:friends_first", ["missing.py does not exist", "a relative path starts in"]),
    ],
)
def test_a_bad_rule_file_gets_one_line_saying_what_to_fix(tmp_path, text, words):
    with pytest.raises(ConfigError) as e:
        settings.parse_rule_file(text, tmp_path)
    message = str(e.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_a_complaint_about_the_rule_is_worded_for_the_rule_file_field(tmp_path):
    rule = settings.RuleFile(tmp_path / "mine.py", "nothing")
    about_rule = ConfigError(f"policy.score='{rule.spec}' is not allowed: mine.py has no function 'nothing'")
    assert str(settings.in_rule_file_terms(about_rule, rule)) == (
        f"rule file '{rule.spec}' is not allowed: mine.py has no function 'nothing'"
    )
    other = ConfigError("n_users=5 is not allowed: must be at least 300")
    assert settings.in_rule_file_terms(other, rule) is other
    assert settings.in_rule_file_terms(about_rule, None) is about_rule
