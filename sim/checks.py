"""The error every bad setting raises, and the checks each module runs on its own section of the config.

Each mechanism module ends with ``check(c: Checker)``, the range and cross-field checks of its settings,
beside the ``params(cfg)`` that reads them; ``sim.config.validate`` runs them all in order. A failed check
raises ``ConfigError`` with one line naming the setting, the value and what is allowed.
"""

from __future__ import annotations

import math
from typing import Any, get_type_hints

from omegaconf import DictConfig, OmegaConf

from sim.vocabulary import AGE_GROUPS


class ConfigError(ValueError):
    """A setting has a value that is not allowed. The message is one line, fit for a user."""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, DictConfig)):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value)


def fail(setting: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{setting}={_fmt(value)} is not allowed: {allowed}")


class Checker:
    def __init__(self, cfg: DictConfig):
        self.cfg = cfg

    def get(self, path: str) -> Any:
        return OmegaConf.select(self.cfg, path, throw_on_missing=True)

    def finite(self, path: str) -> float:
        v = self.get(path)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            fail(path, v, "must be a finite number")
        return float(v)

    def positive(self, *paths: str) -> None:
        for p in paths:
            if self.finite(p) <= 0:
                fail(p, self.get(p), "must be greater than 0")

    def non_negative(self, *paths: str) -> None:
        for p in paths:
            if self.finite(p) < 0:
                fail(p, self.get(p), "must be 0 or greater")

    def probability(self, *paths: str, allowed: str = "must be a probability in [0, 1]") -> None:
        for p in paths:
            v = self.finite(p)
            if not 0.0 <= v <= 1.0:
                fail(p, self.get(p), allowed)

    def whole_number(self, path: str, low: int = 0, high: int | None = None, allowed: str = "") -> int:
        """A count in [low, high]: an integer (not a boolean, not 2.0), else the one-line message."""
        v = self.get(path)
        if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
            allowed = allowed or (
                f"must be a whole number from {low} to {high}"
                if high is not None
                else f"must be a whole number, {low} or more"
            )
            if isinstance(v, float):  # 2.0 prints as 2: say why it is refused
                allowed += " (written as an integer, without a decimal point)"
            fail(path, v, allowed)
        return v

    def hour(self, *paths: str, integer: bool = True) -> None:
        for p in paths:
            v = self.finite(p)
            if not 0 <= v < 24 or (integer and v != int(v)):
                fail(
                    p,
                    self.get(p),
                    "must be an hour of the day, 0-23" if integer else "must be a time of day in hours, 0 <= h < 24",
                )

    def choice(self, path: str, allowed: tuple[str, ...]) -> None:
        v = self.get(path)
        if v not in allowed:
            fail(path, v, "choose one of " + ", ".join(allowed))

    def shares(self, path: str, keys: tuple[str, ...], what: str) -> None:
        d = self.get(path)
        unknown = [k for k in d if k not in keys]
        if unknown:
            fail(f"{path}.{unknown[0]}", d[unknown[0]], f"unknown {what}; known: " + ", ".join(keys))
        missing = [k for k in keys if k not in d]
        if missing:
            fail(path, d, f"must give a share for every {what}; missing: " + ", ".join(missing))
        for k in keys:
            self.probability(f"{path}.{k}")
        total = sum(float(d[k]) for k in keys)
        if abs(total - 1.0) > 1e-6:
            fail(path, d, f"shares must sum to 1 (they sum to {total:g})")

    def per_key(self, path: str, keys: tuple[str, ...], what: str, check) -> None:
        d = self.get(path)
        for k in d:
            if k not in keys:
                fail(f"{path}.{k}", d[k], f"unknown {what}; known: " + ", ".join(keys))
        for k in keys:
            if k not in d:
                fail(path, d, f"must give a value for every {what}; missing: {k}")
            check(f"{path}.{k}")

    def per_group(self, path: str, check) -> None:
        self.per_key(path, AGE_GROUPS, "age group", check)


_CASTS = {float: float, int: int, bool: bool}


def from_sections(params_type, *sections, **derived):
    """Build a mechanism's ``Params`` tuple: each field is read, by its own name, from the one config section
    that holds it, so a constant is named once, in ``conf/`` and ``sim/schema.py``. Fields computed from
    settings (a rate from a half-life, a lever's mode) are passed as keywords."""
    values = {}
    for name, kind in get_type_hints(params_type).items():
        if name in derived:
            values[name] = derived.pop(name)
            continue
        holders = [s for s in sections if name in s]
        if len(holders) != 1:
            where = "none" if not holders else f"{len(holders)}"
            raise TypeError(f"{params_type.__name__}.{name}: found in {where} of the given config sections")
        values[name] = _CASTS[kind](holders[0][name])
    if derived:
        raise TypeError(f"{params_type.__name__} has no field(s) {sorted(derived)}")
    return params_type(**values)
