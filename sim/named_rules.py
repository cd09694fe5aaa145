"""A plug-in ranking rule named as a policy: ``policy=rules.py:my_rule`` wherever ``policy=civic`` works.

A rule written as ``file.py:function`` or ``module:function`` becomes a policy called after its function:
the settings of ``conf/policy/custom.yaml`` with ``name`` set to the function's name and ``score`` to the
rule. It is registered in Hydra's ConfigStore under the ``policy`` group, so a single run, a sweep over
``policy=engagement,rules.py:my_rule`` and ``python -m sim.compare --policies engagement rules.py:my_rule``
compose it like a built-in. The registrations travel to launcher workers (joblib, Ray, SLURM) in the
environment variable ``FEEDSIM_RULE_POLICIES``, read again by ``register``.

A run that names its policy on the command line and sets neither ``label`` nor ``scenario`` is labelled
by the policy's name (a rule by its function), so the jobs of a sweep over rules are told apart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from sim.checks import ConfigError
from sim.confdir import CONF_DIR, group_options

ENV = "FEEDSIM_RULE_POLICIES"


def _key(override: str) -> str:
    return override.partition("=")[0].lstrip("+~")


def is_rule(value: str) -> bool:
    return ":" in value.replace("\\:", ":")


def register_rule(spec: str) -> str:
    """Register the rule ``spec`` as a policy and return the policy's name (the function's name)."""
    spec = spec.replace("\\:", ":").strip("'\"")
    module, _, function = spec.rpartition(":")
    if not module or not function.isidentifier():
        raise ConfigError(
            f"policy={spec} is not allowed: name a ranking rule as file.py:function or "
            "module:function, or choose from " + ", ".join(group_options("policy"))
        )
    if module.endswith(".py") or "/" in module:
        # absolute, so that launcher workers in another working directory load the same file
        module = str(Path(module).expanduser().resolve())
    if function in group_options("policy"):
        raise ConfigError(
            f"policy={spec} is not allowed: its function {function!r} has the name of the built-in "
            f"policy conf/policy/{function}.yaml; rename the function"
        )
    full = f"{module}:{function}"
    rules = registered()
    if rules.get(function, full) != full:
        raise ConfigError(
            f"policy={spec} is not allowed: another rule named {function!r} is already in use "
            f"({rules[function]}); rename one of the functions"
        )
    rules[function] = full
    os.environ[ENV] = json.dumps(rules, sort_keys=True)
    register()
    return function


def registered() -> dict[str, str]:
    """The rules registered as policies in this process or its parent: policy name -> rule."""
    return json.loads(os.environ.get(ENV, "{}"))


def register() -> None:
    """Store every rule registered in this process or inherited from its parent in Hydra's ConfigStore."""
    rules = registered()
    if not rules:
        return
    custom = OmegaConf.load(CONF_DIR / "policy" / "custom.yaml")
    for function, spec in rules.items():
        node = custom.copy()
        node.name, node.score = function, spec
        ConfigStore.instance().store(group="policy", name=function, node=node)


def expand(overrides: list[str]) -> list[str]:
    """The overrides with every rule named in ``policy=`` registered and replaced by its policy name, and
    ``label=${policy.name}`` added when a policy is named but no label, scenario or analysis is."""
    out, named_policy = [], False
    for o in overrides:
        if _key(o) == "policy" and "=" in o and not o.startswith("~"):
            key, _, value = o.partition("=")
            values = [register_rule(v) if is_rule(v) else v for v in value.split(",")]
            o = f"{key}={','.join(values)}"
            named_policy = True
        out.append(o)
    keys = {_key(o) for o in out}
    if named_policy and not keys & {"label", "scenario", "analysis"}:
        out.append("label=${policy.name}")
    return out
