"""The like model and the decision to keep scrolling."""

from __future__ import annotations

import pytest

from sim.behaviour import response as r


@pytest.fixture
def p(compose_small):
    return r.params(compose_small())


def p_like(
    p,
    tie=0.0,
    agreement=0.0,
    outrage=0.0,
    idealised=0.0,
    supportive=0.0,
    quality=0.5,
    log_likes=0.0,
    susceptibility=1.0,
):
    return r.logistic(
        r.like_logit(p, tie, agreement, outrage, idealised, supportive, quality, log_likes, susceptibility, 0.0)
    )


def test_base_like_rate_is_a_few_percent(p):
    assert 0.01 < p_like(p) < 0.08


def test_ties_agreement_quality_and_visible_popularity_raise_liking(p):
    base = p_like(p)
    assert p_like(p, tie=1.0) > p_like(p, tie=0.5) > base
    assert p_like(p, agreement=1.0) > base > p_like(p, agreement=-1.0)
    assert p_like(p, quality=0.9) > p_like(p, quality=0.1)
    assert p_like(p, log_likes=5.0) > base


def test_outrage_is_liked_by_the_in_group_more_than_by_the_out_group(p):
    in_group = p_like(p, agreement=0.9, outrage=1.0) - p_like(p, agreement=0.9)
    out_group = p_like(p, agreement=-0.5, outrage=1.0) - p_like(p, agreement=-0.5)
    assert in_group > out_group
    assert p_like(p, outrage=1.0, susceptibility=2.0) > p_like(p, outrage=1.0, susceptibility=0.5)


def test_engaging_feeds_habit_and_sleep_debt_keep_people_scrolling(p):
    c = r.continue_probability
    assert c(p, 0.3, 0.5, 0.0, 5) > c(p, 0.02, 0.5, 0.0, 5)
    assert c(p, 0.05, 1.0, 0.0, 5) > c(p, 0.05, 0.0, 0.0, 5)
    assert c(p, 0.05, 0.5, 3.0, 5) > c(p, 0.05, 0.5, 0.0, 5)
    assert c(p, 0.05, 0.5, 0.0, 25) < c(p, 0.05, 0.5, 0.0, 1)
