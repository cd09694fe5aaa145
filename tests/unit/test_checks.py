"""The shared range checks of sim/checks.py give one-line messages naming the setting, value and range."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from sim.checks import Checker, ConfigError


@pytest.mark.parametrize(
    "value, words",
    [
        (True, ["x.count=True", "whole number, 1 or more"]),
        (2.0, ["x.count=2 ", "whole number", "without a decimal point"]),
        (0, ["x.count=0", "whole number, 1 or more"]),
    ],
)
def test_a_count_must_be_a_whole_number_in_its_range(value, words):
    with pytest.raises(ConfigError) as err:
        Checker(OmegaConf.create({"x": {"count": value}})).whole_number("x.count", 1)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_count_in_range_is_returned_and_an_upper_bound_is_named():
    c = Checker(OmegaConf.create({"x": {"count": 24, "big": 25}}))
    assert c.whole_number("x.count", 1, 24) == 24
    with pytest.raises(ConfigError, match=r"x.big=25 is not allowed: must be a whole number from 1 to 24"):
        c.whole_number("x.big", 1, 24)
