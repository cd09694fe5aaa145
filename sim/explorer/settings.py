"""What the explorer's controls offer and how each becomes a Hydra override.

Ranking rules and scenario presets are read from ``conf/policy/`` and ``conf/scenario/``, so a new YAML
file there appears in the page without code changes. Platform interventions are one row each in
``PLATFORM_CONTROLS``; every control also offers ``AS_CONFIGURED``, which leaves the setting to the
chosen scenario (or to ``conf/platform/``).
"""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import OmegaConf

from sim import config
from sim.config import COUNT_MODES, FEED_ENDS, NOTIFICATION_MODES, ConfigError, compose, group_options

RULE = "ranking rule: "
PRESET = "scenario: "
AS_CONFIGURED = "as configured"


@dataclass(frozen=True)
class PlatformControl:
    label: str
    key: str                   # the config setting it overrides
    values: tuple[str, ...]    # what the control offers besides AS_CONFIGURED


# One row per platform intervention: model parameter -> control. Extend here.
PLATFORM_CONTROLS: dict[str, PlatformControl] = {
    "counts": PlatformControl("Like counts", "platform.counts", COUNT_MODES),
    "notifications": PlatformControl("Notifications", "platform.notifications.mode", NOTIFICATION_MODES),
    "feed_end": PlatformControl("Feed end", "platform.feed_end", FEED_ENDS),
}


def scenario_choices() -> list[str]:
    """Every scenario preset, then every ranking rule (on the configured platform)."""
    return [PRESET + p for p in group_options("scenario")] + [RULE + r for r in group_options("policy")]


def default_choice(*preferred: str) -> str:
    """The first of ``preferred`` that exists in conf/, else the first choice."""
    choices = scenario_choices()
    return next((c for c in preferred if c in choices), choices[0])


def _scenario_key() -> str:
    """``scenario`` if the main config lists the scenario group in its defaults, else ``+scenario``
    (a group that is not in the defaults list has to be added)."""
    for entry in OmegaConf.load(config.CONF_DIR / "config.yaml").get("defaults", []):
        name = next(iter(entry)) if not isinstance(entry, str) else entry
        if str(name).split()[-1].lstrip("/") == "scenario":
            return "scenario"
    return "+scenario"


def choice_overrides(choice: str, control: str = "scenario") -> list[str]:
    """Overrides that select a scenario preset or a ranking rule named as in ``scenario_choices``."""
    if choice not in scenario_choices():
        raise ConfigError(f"{control} {choice!r} is not allowed: choose one of " + ", ".join(scenario_choices()))
    if choice.startswith(RULE):
        return [f"policy={choice.removeprefix(RULE)}"]
    return [f"{_scenario_key()}={choice.removeprefix(PRESET)}"]


def platform_overrides(settings: dict[str, str]) -> list[str]:
    """Overrides for the platform controls that are not left AS_CONFIGURED."""
    out = []
    for name, value in settings.items():
        control = PLATFORM_CONTROLS.get(name)
        if control is None:
            raise ConfigError(f"{name} is not a platform control: known: " + ", ".join(PLATFORM_CONTROLS))
        if value == AS_CONFIGURED:
            continue
        if value not in control.values:
            raise ConfigError(f"{name}={value!r} is not allowed: choose one of "
                              + ", ".join((AS_CONFIGURED,) + control.values))
        out.append(f"{control.key}={value}")
    return out


def parse_whole(setting: str, value, minimum: int = 0) -> int:
    """A whole number as typed into the page (text) or given from Python (int)."""
    text = str(value).strip()
    if not text.isdigit() or int(text) < minimum:
        kind = "a non-negative integer" if minimum == 0 else f"a whole number of at least {minimum}"
        raise ConfigError(f"{setting}={text!r} is not allowed: must be {kind}")
    return int(text)


def compose_side(choice: str, platform: dict[str, str], n_users: int, seed: int, days: int, control: str):
    """The validated config of one side of the comparison."""
    common = [f"n_users={n_users}", f"seed={seed}", f"days={days}", "progress=false"]
    return compose(common + choice_overrides(choice, control) + platform_overrides(platform))


def describe(cfg) -> str:
    """One line naming the ranking rule and every platform control's value in ``cfg``."""
    parts = [f"ranking {cfg.policy.name}"]
    parts += [f"{c.label.lower()} {OmegaConf.select(cfg, c.key)}" for c in PLATFORM_CONTROLS.values()]
    return ", ".join(parts)
