"""What the explorer's controls offer and how each becomes a Hydra override.

Ranking rules and scenario presets are read from ``conf/policy/`` and ``conf/scenario/``, so a new YAML
file there appears in the page without code changes. Platform interventions are one row each in
``PLATFORM_CONTROLS`` (shown option -> setting value); every control also offers ``AS_CONFIGURED``,
which leaves the setting to the chosen scenario (or to ``conf/platform/``). A researcher's own rule
comes from a Python file named in the rule-file field as ``path/to/rules.py:function``, as on the
command line (docs/guide/plugins.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf

from sim import named_rules
from sim.config import ConfigError, compose, group_options
from sim.platform.display import COUNT_MODES
from sim.platform.limits import FEED_ENDS, LIMIT_MODES
from sim.platform.notifications import MODES as NOTIFICATION_MODES

RULE = "ranking rule: "
PRESET = "scenario: "
AS_CONFIGURED = "as configured"
# conf/policy/custom.yaml holds the settings a plug-in rule runs with and no rule of its own (its score is
# null): the page offers the rule-file field instead of listing it, since choosing it alone must fail.
PLUGIN_SETTINGS = "custom"
RULE_FILE_EXAMPLE = "path/to/rules.py:friends_first"


@dataclass(frozen=True)
class PlatformControl:
    label: str
    key: str  # the config setting it overrides
    options: dict[str, str]  # what the control offers besides AS_CONFIGURED -> the setting's value

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.options)


def _modes(modes: tuple[str, ...]) -> dict[str, str]:
    return {m: m for m in modes}


_OFF_ON = {"off": "false", "on": "true"}

# One row per platform intervention (docs/reference/levers.md): model parameter -> control. Extend here.
PLATFORM_CONTROLS: dict[str, PlatformControl] = {
    "counts": PlatformControl("Like counts", "platform.counts", _modes(COUNT_MODES)),
    "notifications": PlatformControl("Notifications", "platform.notifications.mode", _modes(NOTIFICATION_MODES)),
    "feed_end": PlatformControl("Feed end", "platform.feed_end", _modes(FEED_ENDS)),
    "pause_nudge": PlatformControl("Pause nudge", "platform.pause_nudge.enabled", _OFF_ON),
    "time_limit": PlatformControl("Daily time limit", "platform.time_limit.mode", _modes(LIMIT_MODES)),
    "teen_accounts": PlatformControl("Teen accounts", "platform.teen_accounts.enabled", _OFF_ON),
    "moderation": PlatformControl("Moderation", "platform.moderation.enabled", _OFF_ON),
    "deactivation": PlatformControl("Deactivation (days 7-21)", "platform.deactivation.enabled", _OFF_ON),
    "media_literacy": PlatformControl("Media literacy", "platform.media_literacy.enabled", _OFF_ON),
}


def scenario_choices() -> list[str]:
    """Every scenario preset, then every ranking rule (on the configured platform)."""
    rules = [r for r in group_options("policy") if r != PLUGIN_SETTINGS]
    return [PRESET + p for p in group_options("scenario")] + [RULE + r for r in rules]


def default_choice(*preferred: str) -> str:
    """The first of ``preferred`` that exists in conf/, else the first choice."""
    choices = scenario_choices()
    return next((c for c in preferred if c in choices), choices[0])


def choice_overrides(choice: str, control: str = "scenario") -> list[str]:
    """Overrides that select a scenario preset or a ranking rule named as in ``scenario_choices``."""
    if choice not in scenario_choices():
        raise ConfigError(f"{control} {choice!r} is not allowed: choose one of " + ", ".join(scenario_choices()))
    if choice.startswith(RULE):
        return [f"policy={choice.removeprefix(RULE)}"]
    return [f"scenario={choice.removeprefix(PRESET)}"]


def platform_overrides(settings: dict[str, str]) -> list[str]:
    """Overrides for the platform controls that are not left AS_CONFIGURED."""
    out = []
    for name, value in settings.items():
        control = PLATFORM_CONTROLS.get(name)
        if control is None:
            raise ConfigError(f"{name} is not a platform control: known: " + ", ".join(PLATFORM_CONTROLS))
        if value == AS_CONFIGURED:
            continue
        if value not in control.options:
            raise ConfigError(
                f"{name}={value!r} is not allowed: choose one of " + ", ".join((AS_CONFIGURED,) + control.values)
            )
        out.append(f"{control.key}={control.options[value]}")
    return out


def parse_whole(setting: str, value, minimum: int = 0) -> int:
    """A whole number as typed into the page (text) or given from Python (int)."""
    text = str(value).strip()
    if not text.isdigit() or int(text) < minimum:
        kind = "a non-negative integer" if minimum == 0 else f"a whole number of at least {minimum}"
        raise ConfigError(f"{setting}={text!r} is not allowed: must be {kind}")
    return int(text)


@dataclass(frozen=True)
class RuleFile:
    """A plug-in ranking rule: a function in a Python file (docs/guide/plugins.md)."""

    path: Path  # absolute
    function: str

    @property
    def spec(self) -> str:
        """As ``policy=`` takes it on the command line."""
        return f"{self.path}:{self.function}"


def parse_rule_file(text: str, start_dir: Path | None = None) -> RuleFile | None:
    """The rule named in the rule-file field as ``path/to/rules.py:function``, or None when the field is
    empty. A relative path starts in ``start_dir`` (default: the directory the explorer was started
    in). Only the name and the file are checked here; importing and testing the rule is
    ``sim.ranking.plugins``' work when the model is built."""
    text = str(text).strip().strip("'\"")
    if not text:
        return None

    def refuse(why: str) -> ConfigError:
        return ConfigError(f"rule file {text!r} is not allowed: {why}")

    # rpartition: a Windows path's drive letter has a colon too
    path_text, colon, function = text.rpartition(":")
    if not colon or not path_text:
        raise refuse(f"name the function after a colon, e.g. {RULE_FILE_EXAMPLE}")
    if not function.isidentifier():
        raise refuse(f"{function!r} after the colon is not a function name, e.g. {RULE_FILE_EXAMPLE}")
    if not path_text.endswith(".py"):
        raise refuse(f"{path_text!r} is not a Python file: give the path of a .py file, e.g. {RULE_FILE_EXAMPLE}")
    start = Path.cwd() if start_dir is None else start_dir
    path = (start / Path(path_text).expanduser()).resolve()
    if not path.is_file():
        where = "" if Path(path_text).expanduser().is_absolute() else f" (a relative path starts in {start})"
        raise refuse(f"the file {path} does not exist{where}")
    return RuleFile(path, function)


def rule_overrides(rule: RuleFile | None) -> list[str]:
    """The override that ranks by ``rule``: the rule becomes a policy named after its function, as
    ``policy=rules.py:function`` does on the command line."""
    return [] if rule is None else [f"policy={named_rules.register_rule(rule.spec)}"]


def compose_side(
    choice: str,
    platform: dict[str, str],
    n_users: int,
    seed: int,
    days: int,
    control: str,
    rule: RuleFile | None = None,
):
    """The validated config of one side of the comparison; ``rule`` replaces the ranking rule of the
    chosen preset or rule, and the platform controls apply on top."""
    common = [f"n_users={n_users}", f"seed={seed}", f"days={days}", "progress=false"]
    try:
        return compose(common + choice_overrides(choice, control) + rule_overrides(rule) + platform_overrides(platform))
    except ConfigError as e:
        raise in_rule_file_terms(e, rule) from None


def in_rule_file_terms(error: ConfigError, rule: RuleFile | None) -> ConfigError:
    """A complaint about the rule as the command line words it (``policy.score='rules.py:f' is not
    allowed: ...``) worded for the page's rule-file field; any other error as it is."""
    setting, sep, why = str(error).partition(" is not allowed: ")
    if rule is None or not sep or rule.spec not in setting:
        return error
    return ConfigError(f"rule file {rule.spec!r} is not allowed: {why}")


def describe(cfg) -> str:
    """One line naming the ranking rule and every platform control's value in ``cfg``."""
    parts = [f"ranking {cfg.policy.name}"]
    parts += [f"{c.label.lower()} {shown(c, OmegaConf.select(cfg, c.key))}" for c in PLATFORM_CONTROLS.values()]
    return ", ".join(parts)


def shown(control: PlatformControl, value) -> str:
    """The control's option for a config value (``on`` for true, a mode as it is)."""
    text = str(value).lower()
    return next((option for option, v in control.options.items() if v == text), text)
