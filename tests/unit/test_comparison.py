"""Social comparison (Festinger 1954; McComb et al. 2023): upward hurts, downward does not."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import comparison as cmp


@pytest.fixture
def p(compose_small):
    return cmp.params(compose_small())


def effect(p, orientation, viewer_status, author_status, likes=0, visible=1, earlier=0):
    gap = cmp.status_gap(p, viewer_status, author_status, np.log1p(likes), visible)
    imp = cmp.impact(p, orientation, gap)
    return cmp.mood_change(p, imp, earlier), cmp.self_esteem_change(p, imp, earlier)


def test_idealised_post_from_higher_status_author_lowers_mood_and_self_esteem(p):
    mood, se = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=300)
    assert mood < 0 and se < 0


def test_downward_comparison_does_not_hurt(p):
    mood, se = effect(p, 1.0, np.log1p(5000), np.log1p(20))
    assert mood >= 0 and se == 0


def test_harm_grows_with_comparison_orientation_and_status_gap(p):
    small = effect(p, 0.5, np.log1p(100), np.log1p(300))[0]
    larger_gap = effect(p, 0.5, np.log1p(100), np.log1p(30000))[0]
    stronger = effect(p, 1.5, np.log1p(100), np.log1p(300))[0]
    assert larger_gap < small < 0
    assert stronger < small


def test_no_orientation_no_effect(p):
    assert effect(p, 0.0, 0.0, np.log1p(1e6), likes=1e4) == (0.0, 0.0)


def test_hidden_counts_weaken_the_status_signal(p):
    visible = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=300, visible=1)[0]
    hidden = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=300, visible=0)[0]
    assert visible < hidden < 0


def test_repeated_upward_comparisons_habituate(p):
    """The n-th upward comparison of the day costs 1 / (1 + upward_habituation * (n - 1)) of the first."""
    first, first_se = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=300)
    tenth, tenth_se = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=300, earlier=9)
    assert first < tenth < 0 and first_se < tenth_se < 0
    assert tenth == pytest.approx(first / (1.0 + p.upward_habituation * 9))


def test_downward_comparison_does_not_habituate(p):
    assert effect(p, 1.0, np.log1p(5000), np.log1p(20), earlier=20) == effect(p, 1.0, np.log1p(5000), np.log1p(20))


def test_hidden_counts_scale_the_status_gap_by_exactly_the_configured_factor(p):
    """Hidden counts multiply the gap by hidden_counts_status_factor, so the mood cost of an upward
    comparison is upward_mood * tanh(factor * gap / status_scale): a size, not only a direction."""
    assert 0.0 < p.hidden_counts_status_factor < 1.0
    for likes in (0, 30, 3000):
        shown = cmp.status_gap(p, np.log1p(50), np.log1p(5000), np.log1p(likes), 1)
        hidden = cmp.status_gap(p, np.log1p(50), np.log1p(5000), np.log1p(likes), 0)
        assert hidden == pytest.approx(p.hidden_counts_status_factor * shown)
        mood = effect(p, 1.0, np.log1p(50), np.log1p(5000), likes=likes, visible=0)[0]
        expected = -p.upward_mood * np.tanh(p.hidden_counts_status_factor * shown / p.status_scale)
        assert mood == pytest.approx(expected)
