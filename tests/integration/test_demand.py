"""Demand that answers the feed (sim/behaviour/response.py and sessions.py): the attention pull of outrage keeps
the susceptible scrolling, and the value of recent sessions brings users back, so a feed worth less loses
time through both fewer and shorter sessions. Each is measured against the same run with the mechanism off
(common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import compose
from sim.model import FeedModel

pytestmark = pytest.mark.xdist_group("demand")

# the open world with infinite scroll (policy.k = policy.m): sessions end by choice, not at a page
OPEN = [
    "network.external.accounts_per_user=0.5",
    "network.external.follow_share=0.6",
    "policy.show_seen=false",
    "policy.k=200",
]
WORST_FIRST = ["policy.weights.p_like=-5.0", "policy.weights.dwell=-0.5", "policy.weights.log_likes=-0.1"]


def _run(*overrides, days=4):
    model = FeedModel(compose(["n_users=800", f"days={days}", "progress=false", *OPEN, *overrides]))
    model.run_days(days)
    return model


def test_the_attention_pull_of_outrage_keeps_the_susceptible_scrolling():
    off = _run().users_table()
    on = _run("behaviour.response.continue_arousal=3.0").users_table()
    model = _run()
    s = model.users.outrage_susceptibility
    high, low = s > np.quantile(s, 0.8), s < np.quantile(s, 0.2)
    gain = on.minutes_per_day / off.minutes_per_day.clip(lower=1e-9)
    assert gain[high].mean() > gain[low].mean() + 0.02
    assert (on.minutes_per_day.mean() > off.minutes_per_day.mean()) and gain[high].mean() > 1.02


def _sessions_and_minutes(*overrides):
    d = _run(*overrides).daily_table()
    d = d[(d.group == "all") & (d.day >= 1)]
    return d.sessions.mean(), d.minutes_on_platform.mean()


def test_a_worse_feed_brings_users_back_less_often_when_demand_answers_value():
    effect = "behaviour.sessions.return_value_effect=8.0"
    sessions_good, _ = _sessions_and_minutes(effect)
    sessions_bad, _ = _sessions_and_minutes(effect, *WORST_FIRST)
    plain = "behaviour.sessions.return_value_effect=0"
    plain_good, _ = _sessions_and_minutes(plain)
    plain_bad, _ = _sessions_and_minutes(plain, *WORST_FIRST)
    # without the return effect the number of sessions ignores what the feed is worth (the same draws) ...
    assert plain_bad == pytest.approx(plain_good, rel=0.01)
    # ... with it a feed ranked worst-first loses sessions
    assert sessions_bad < 0.97 * sessions_good
