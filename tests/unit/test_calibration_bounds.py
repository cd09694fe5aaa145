"""A calibrated constant that ends on a bound of its search range has not been found. The committed
constants on a bound are exactly the ones declared, with their reason, in sim/calibration/fit.py."""

from __future__ import annotations

from sim.calibration.fit import KNOWN_AT_BOUND, Parameter, bound_reached, constants_at_bounds


def test_a_value_near_either_end_of_the_log_range_is_on_a_bound():
    p = Parameter("x", {"a.b": 1.0}, 0.01, 10.0)
    assert bound_reached(p, 9.982) == "high" and bound_reached(p, 0.0101) == "low"
    assert bound_reached(p, 0.3) == "" and bound_reached(p, 5.0) == ""


def test_the_committed_constants_on_a_bound_are_the_declared_ones():
    ended = {c["setting"] for c in constants_at_bounds()}
    assert ended == set(KNOWN_AT_BOUND), (
        f"on a bound now: {sorted(ended)}; declared: {sorted(KNOWN_AT_BOUND)} (sim/calibration/fit.py KNOWN_AT_BOUND)"
    )
