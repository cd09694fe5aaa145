"""Every setting is validated: each leaf of the default configuration, set to a value outside what it allows,
is refused by ``sim.config.validate`` with a one-line message that names that setting and the value. A
setting added to conf/ without a check fails here until it gets one (or, for a signed coefficient where any
finite number means something, until it is listed in SIGNED)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from sim.config import ConfigError, compose, compose_unchecked, validate

# Coefficients, shifts and logits: any finite number is a meaningful value (the finiteness check still
# applies, tested below with nan; tests/integration/test_bad_input.py feeds nan and inf elsewhere).
SIGNED = {
    "population.traits.chronotype_shift_h.adolescent",
    "population.traits.chronotype_shift_h.young_adult",
    "population.traits.chronotype_shift_h.adult",
    "population.traits.vulnerable_symptom_shift",
    "population.traits.vulnerable_self_esteem_shift",
    "population.traits.vulnerable_loneliness_shift",
    "behaviour.sleep.in_bed_use_logit",
    *(f"behaviour.posting.quality_logit_mean.{s}" for s in ("personal", "idealised", "outrage", "informational")),
    *(
        f"behaviour.response.{k}"
        for k in (
            "like_intercept",
            "like_tie",
            "like_agreement",
            "like_outrage",
            "like_outrage_agreement",
            "like_idealised",
            "like_quality",
            "like_popularity",
            "like_supportive_tie",
            "continue_intercept",
            "continue_engagement",
            "continue_habit",
        )
    ),
    *(f"policy.weights.{k}" for k in ("p_like", "dwell", "log_likes", "seen")),
    "metrics.elevated_symptoms_threshold",  # symptoms are z-scores
}
# Free text: names and places, not choices.
FREE_TEXT = {
    "label",
    "output.dir",
    "output.name",
    "output.sweeps",
    "population.name",
    "network.name",
    "behaviour.name",
    "policy.name",
    "platform.name",
}


def leaves() -> list[tuple[str, object]]:
    out = []

    def walk(node, prefix):
        for k in node:
            key = f"{prefix}{k}"
            if OmegaConf.is_missing(node, k):
                out.append((key, None))
                continue
            v = node[k]
            if OmegaConf.is_dict(v):
                walk(v, key + ".")
            else:
                out.append((key, v))

    walk(BASE, "")
    return out


BASE = compose_unchecked([])
LEAVES = leaves()
FLOATS = [k for k, v in LEAVES if isinstance(v, float)]
INTS = [k for k, v in LEAVES if isinstance(v, int) and not isinstance(v, bool)]
STRINGS = [k for k, v in LEAVES if isinstance(v, str) and k not in FREE_TEXT]


def refused(key: str, value) -> str:
    """validate's message for the default config with ``key`` set to ``value`` (restored afterwards)."""
    before = OmegaConf.select(BASE, key)
    if OmegaConf.is_config(before):
        before = OmegaConf.to_container(before)
    OmegaConf.update(BASE, key, value, merge=False)
    try:
        validate(BASE)
    except ConfigError as e:
        return str(e)
    finally:
        OmegaConf.update(BASE, key, before, merge=False)
    return ""


def test_the_walk_sees_every_group_and_the_lists():
    assert len(FLOATS) > 150 and len(INTS) > 20 and len(STRINGS) > 5
    assert {k.split(".")[0] for k, _ in LEAVES} >= {
        "population",
        "network",
        "behaviour",
        "policy",
        "platform",
        "metrics",
        "seed",
        "n_users",
        "days",
    }
    assert SIGNED <= set(FLOATS), SIGNED - set(FLOATS)
    validate(BASE)  # the defaults themselves pass


def test_every_number_setting_refuses_a_value_outside_its_range():
    problems = []
    for key in FLOATS:
        # a bounded setting: far below its range; a signed one: not a finite number
        for value in (float("nan"),) if key in SIGNED else (-1e6,):
            msg = refused(key, value)
            if not (msg.startswith(f"{key}=") and " is not allowed: " in msg and "\n" not in msg):
                problems.append((key, value, msg or "accepted"))
    for key in INTS:
        msg = refused(key, -1)
        if not (msg.startswith(f"{key}=-1 is not allowed: ") and "\n" not in msg):
            problems.append((key, -1, msg or "accepted"))
    assert not problems, problems


def test_every_signed_coefficient_is_really_unbounded():
    """SIGNED lists only settings without a range: if one gets a lower bound, it belongs in the test above."""
    assert [k for k in SIGNED if refused(k, -1e6)] == []


@pytest.mark.parametrize("key", STRINGS)
def test_every_choice_refuses_an_unknown_value_naming_what_is_allowed(key):
    with pytest.raises(ConfigError) as err:
        compose([f"{key}=no_such_choice"])
    msg = str(err.value)
    assert key in msg and "no_such_choice" in msg and "\n" not in msg, msg


@pytest.mark.parametrize(
    "key,value",
    [
        ("behaviour.sleep.alarm_days", [0, 9]),
        ("behaviour.sessions.activity_profile", [1.0] * 23 + [-0.5]),
        ("behaviour.sessions.activity_profile", [1.0] * 5),
        ("platform.deactivation.groups", ["teenager"]),
    ],
)
def test_every_list_setting_refuses_a_bad_entry(key, value):
    msg = refused(key, value)
    assert msg.startswith(key) and " is not allowed: " in msg, msg
