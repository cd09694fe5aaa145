"""The feed probe (sim/probe.py): its per-session rows agree with each other and with the model's rules, it
does not change the simulation it watches, and it names the lever that ended a session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import probe
from sim.config import compose
from sim.model import FeedModel
from tests.conftest import small_overrides


def run(model_type, **extra):
    cfg = compose(small_overrides(**extra))
    model = model_type(cfg)
    for _ in range(24 * int(cfg.days)):
        model.step()
    return model


@pytest.fixture(scope="module")
def probed():
    return run(probe.ProbedModel)


def test_the_probe_does_not_change_the_simulation(probed):
    plain = run(FeedModel)
    assert pd.DataFrame(probed.daily_rows).equals(pd.DataFrame(plain.daily_rows))


def test_each_session_row_obeys_the_feed_rules(probed):
    s, k = probed.sessions, int(probed.cfg.policy.k)
    assert len(s) > 500
    assert (s["viewed"] <= s["feed_length"]).all() and (s["feed_length"] <= k).all()
    assert (s["feed_length"] <= s["candidates"]).all() and (s["candidates"] <= int(probed.cfg.policy.m)).all()
    assert (s["fresh_in_network"] <= s["in_network_live"]).all()
    assert (s["viewed_reshown"] <= s["viewed"]).all()
    page_end, caught_up = s[s["ended"] == "page_end"], s[s["ended"] == "caught_up"]
    assert (page_end["viewed"] == k).all()
    assert ((caught_up["viewed"] == caught_up["feed_length"]) & (caught_up["feed_length"] < k)).all()
    # a user who chose to stop had items left
    chose = s[s["ended"] == "chose_to_stop"]
    assert len(chose) > 0 and (chose["viewed"] < chose["feed_length"]).all()


def test_the_shipped_rules_never_re_show_and_re_shows_are_counted_when_a_rule_does(probed):
    assert probed.sessions["viewed_reshown"].sum() == 0  # show_seen=false
    # without re-shows a feed holds only fresh posts: in-network ones plus the out-of-network pool
    oon = int(probed.cfg.policy.oon_candidates)
    assert (probed.sessions["feed_length"] <= probed.sessions["fresh_in_network"] + oon).all()
    reshowing = run(probe.ProbedModel, **{"policy.show_seen": "true", "policy.k": "30"}).sessions
    assert reshowing["viewed_reshown"].sum() > 0


def test_the_supply_share_is_a_share_of_followees_posts(probed):
    d = probed.supply
    assert len(d) > 0 and (d["seen"] <= d["posts"]).all()
    share = probe.summary(probed)["share of a day's in-network posts seen by a follower"]
    # the open content world supplies more than a user views: a follower sees a minority of a day's posts
    assert 0.0 < share < 0.6


def test_a_stopping_cue_is_named_as_the_reason_a_session_ended():
    s = run(probe.ProbedModel, **{"platform.feed_end": "stopping_cue", "platform.stopping_cue_items": 5}).sessions
    cue = s[s["ended"] == "stopping_cue"]
    assert len(cue) > 0 and (cue["viewed"] == 5).all()
    shares = s["ended"].value_counts(normalize=True)
    assert shares["stopping_cue"] > 0.1


def test_the_command_prints_the_figures(capsys):
    assert probe.main(small_overrides(days=2)) == 0
    out = capsys.readouterr().out
    assert "ended: chose_to_stop" in out and "share of viewed items already seen" in out
    assert probe.main(["n_users=-3"]) == 2


def test_the_summary_shares_of_endings_add_to_one(probed):
    t = probe.summary(probed)
    assert np.isclose(sum(t[f"ended: {e}"] for e in probe.ENDINGS), 1.0)
