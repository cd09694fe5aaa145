"""The pieces of the calibration that decide what it finds and what it writes (sim/calibration/fit.py)."""

import pytest

from sim.calibration import fit as calibrate


def test_a_residual_well_inside_the_tolerance_is_unchanged():
    safe = calibrate.SAFE_SHARE_OF_TOLERANCE
    assert 0.5 <= safe <= 1.0
    for d in (-safe, -0.4, 0.0, 0.5 * safe, safe):
        assert calibrate._beyond_tolerance_weighted(d) == d


def test_a_residual_near_or_beyond_the_edge_costs_more_and_is_continuous():
    w, safe = calibrate.OUTSIDE_TOLERANCE_WEIGHT, calibrate.SAFE_SHARE_OF_TOLERANCE
    assert w > 1
    assert calibrate._beyond_tolerance_weighted(1.5) == pytest.approx(safe + (1.5 - safe) * w)
    assert calibrate._beyond_tolerance_weighted(-1.5) == pytest.approx(-(safe + (1.5 - safe) * w))
    assert calibrate._beyond_tolerance_weighted(safe + 1e-9) == pytest.approx(safe, abs=1e-7)


def test_a_failing_fact_cannot_be_traded_for_a_prior():
    """A fact 0.3 half-widths outside its tolerance against a parameter one prior unit away: within the
    tolerance the two would cost about the same; beyond it, the fact costs more."""
    fact = calibrate._beyond_tolerance_weighted(1.3) ** 2
    assert fact > 2 * 1.3**2


def test_the_margin_is_kept_to_the_nearer_edge_of_an_off_centre_tolerance():
    """F5a: published -0.24 within -0.35 to -0.15, so the upper edge is 0.9 half-widths from the aim."""
    m = calibrate._target("upward_comparison", "F5a")
    assert m.aim == pytest.approx(-0.24)
    assert m.edge_above == pytest.approx(0.9) and m.edge_below == pytest.approx(1.1)
    just_outside = (-0.149 - m.aim) / m.half_width  # 0.91 half-widths: beyond the 0.9 edge
    assert (
        calibrate._beyond_tolerance_weighted(just_outside, m.edge_above)
        > calibrate._beyond_tolerance_weighted(just_outside) + 0.2
    )
    assert calibrate._beyond_tolerance_weighted(-0.85, m.edge_below) == pytest.approx(-0.85)  # 0.8 x 1.1 = 0.88


def test_overrides_keep_significant_digits_of_small_rates():
    p = calibrate.Parameter("rates", {"a.b": 1.0, "a.c": 2.0}, 1e-6, 1e-3)
    assert calibrate.overrides_for([p], [3.96e-5]) == ["a.b=3.96e-05", "a.c=7.92e-05"]


def test_a_value_is_written_in_place_keeping_comments(tmp_path, monkeypatch):
    group = tmp_path / "behaviour"
    group.mkdir()
    (group / "default.yaml").write_text(
        "wellbeing:   # a comment\n"
        "  # about the threshold\n"
        "  session_event_threshold: 0.05   # calibrate\n"
        "  weights: {mood: 0.25, symptoms: 0.5}\n"
        "other:\n"
        "  session_event_threshold: 9\n"
    )
    monkeypatch.setattr(calibrate, "CONF_DIR", tmp_path)
    calibrate.set_in_yaml("behaviour.wellbeing.session_event_threshold", 0.123456)
    calibrate.set_in_yaml("behaviour.wellbeing.weights.symptoms", 0.75)
    assert (group / "default.yaml").read_text() == (
        "wellbeing:   # a comment\n"
        "  # about the threshold\n"
        "  session_event_threshold: 0.1235   # calibrate\n"
        "  weights: {mood: 0.25, symptoms: 0.75}\n"
        "other:\n"
        "  session_event_threshold: 9\n"
    )


def test_a_setting_that_is_not_there_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "behaviour").mkdir()
    (tmp_path / "behaviour" / "default.yaml").write_text("wellbeing:\n  mood_noise_sd: 0.5\n")
    monkeypatch.setattr(calibrate, "CONF_DIR", tmp_path)
    with pytest.raises(calibrate.ConfigError, match="session_event_threshold"):
        calibrate.set_in_yaml("behaviour.wellbeing.session_event_threshold", 0.2)


def test_every_block_names_settings_that_exist_with_priors_inside_the_bounds():
    for block in calibrate.blocks():
        assert block.moments and block.parameters
        for p in block.parameters:
            assert 0 < p.low < p.high
            assert p.prior is None or p.low <= p.prior <= p.high
            calibrate.current(p.settings)  # raises if a setting is missing


def test_the_search_moves_a_parameter_that_starts_at_one(monkeypatch):
    """A quadratic stand-in for the simulation, minimised at 2.5 for a parameter that starts at 1: the search
    must find it (on log(value) a start at 1 is z = 0, where a relative finite-difference step is too small to
    change an evaluation, so the search used to stop where it started)."""
    p = calibrate.Parameter("x", {"behaviour.response.like_interest": 1.0}, 0.05, 10.0)
    block = calibrate.Block("toy", [p], [calibrate.Moment("m", "none", 0.0, 1.0)], max_evaluations=40)
    monkeypatch.setattr(calibrate, "current", lambda settings: 1.0)
    monkeypatch.setattr(
        calibrate, "evaluate", lambda block, values, root, jobs: (calibrate.np.array([values[0] - 2.5]), {"m": 0.0})
    )
    (found,) = calibrate.calibrate_block(block, jobs=1, log=lambda *a, **k: None)
    assert found == pytest.approx(2.5, rel=0.05)
