"""Each lever acts by the amount it is configured to, not only in the right direction: the share of the
sessions a stopping cue, a pause nudge or a soft time limit ends is its configured probability; moderation
removes the configured share of hostile posts at the configured precision; media literacy scales the
trained users' traits by exactly its factors; notifications arrive only when the platform's policy lets
them. The shares are compared with a binomial tolerance of four standard errors, so a lever that ignored
its setting (a value off by a tenth or more at these counts) fails."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import compose
from sim.model import FeedModel
from sim.probe import ProbedModel
from sim.vocabulary import IDEALISED

pytestmark = pytest.mark.xdist_group("lever_sizes")

BASE = ["n_users=400", "days=4", "offline_days=3", "progress=false", "network.mean_out_degree=40"]


def _probed(*overrides: str) -> ProbedModel:
    model = ProbedModel(compose([*BASE, *overrides]))
    model.run_days(int(model.cfg.days))
    return model


def _share_is(k: int, n: int, p: float) -> None:
    assert n >= 200, f"only {n} trials"
    assert abs(k / n - p) < 4 * np.sqrt(p * (1 - p) / n), f"{k}/{n} = {k / n:.3f}, configured {p}"


def _daily_total(model, column: str) -> float:
    """A per-user daily mean of the daily table summed back to a count over the run."""
    d = model.daily_table()
    d = d[d.group == "all"]
    return float((d[column] * d["n_users"]).sum())


def test_a_stopping_cue_ends_its_configured_share_of_the_sessions_that_reach_it():
    model = _probed("platform.feed_end=stopping_cue", "platform.stopping_cue_items=6", "platform.stopping_cue_stop=0.3")
    s = model.sessions
    reached = s[(s.viewed >= 6) & (s.feed_length > 6)]
    _share_is(int((reached.ended == "stopping_cue").sum()), len(reached), 0.3)
    assert (s.loc[s.ended == "stopping_cue", "viewed"] == 6).all()  # at the cue, never elsewhere


def test_a_pause_nudge_ends_its_configured_share_of_the_sessions_it_interrupts():
    model = _probed("platform.pause_nudge.enabled=true", "platform.pause_nudge.after_minutes=5")
    shown = _daily_total(model, "pause_nudges")
    taken = int((model.sessions.ended == "pause_nudge").sum())
    _share_is(taken, int(round(shown)), float(model.cfg.platform.pause_nudge.compliance))


def test_a_soft_time_limit_ends_use_with_its_configured_compliance():
    model = _probed("platform.time_limit.mode=soft", "platform.time_limit.minutes=20")
    reminders = _daily_total(model, "time_limit_hits")  # at most one a day: obeyed or dismissed for the day
    obeyed = int((model.sessions.ended == "time_limit").sum())
    _share_is(obeyed, int(round(reminders)), float(model.cfg.platform.time_limit.reminder_compliance))


def test_moderation_removes_its_recall_of_hostile_posts_at_its_precision():
    model = FeedModel(
        compose(
            [
                *BASE,
                "platform.moderation.enabled=true",
                "platform.moderation.recall=0.6",
                "platform.moderation.precision=0.8",
                "platform.moderation.latency_hours=0",
                "platform.moderation.strikes=1000",  # nobody suspended: every post is reviewed
                "network.external.accounts_per_user=1.0",  # enough posts for a tight share
                "network.external.follow_share=0.2",
            ]
        )
    )
    model.run_days(int(model.cfg.days))
    posts = model.posts_table()
    reviewed = posts[posts.created_hour < 24 * int(model.cfg.days) - 1]
    hostile = reviewed["style"] == "outrage"
    _share_is(int(reviewed.loc[hostile, "removed"].sum()), int(hostile.sum()), 0.6)
    removed = reviewed[reviewed.removed]
    _share_is(int((removed["style"] == "outrage").sum()), len(removed), 0.8)


def test_media_literacy_scales_the_trained_users_traits_by_exactly_its_factors():
    lit = ["platform.media_literacy.enabled=true", "platform.media_literacy.share=0.5"]
    trained_model, plain = FeedModel(compose([*BASE, *lit])), FeedModel(compose(BASE))
    trained = trained_model.users.media_literacy.astype(bool)
    assert 0.4 < trained.mean() < 0.6
    for name in ("outrage_susceptibility", "comparison"):
        factor = float(trained_model.cfg.platform.media_literacy[f"{name.split('_')[0]}_factor"])
        np.testing.assert_allclose(
            getattr(trained_model.users, name)[trained], factor * getattr(plain.users, name)[trained], rtol=1e-6
        )
        np.testing.assert_array_equal(
            getattr(trained_model.users, name)[~trained], getattr(plain.users, name)[~trained]
        )


@pytest.mark.parametrize("mode", ["batched", "quiet_hours"])
def test_notifications_arrive_only_when_the_policy_releases_them(mode):
    model = FeedModel(
        compose([*BASE, f"platform.notifications.mode={mode}", "platform.notifications.batch_hours=4", "days=2"])
    )
    quiet = model.cfg.platform.notifications
    delivered_at = []
    for _ in range(48):
        hour = model.hour
        model.step()
        if (model.users.notif_delivered > 0).any():
            delivered_at.append(hour % 24)
    assert delivered_at, "nothing was delivered"
    if mode == "batched":
        assert all(h % 4 == 0 for h in delivered_at)
    else:
        start, end = int(quiet.quiet_start), int(quiet.quiet_end)
        assert not any(h >= start or h < end for h in delivered_at)


def test_teen_accounts_show_adolescents_no_idealised_post_from_outside_their_network_and_hold_their_nights():
    model = FeedModel(compose([*BASE, "platform.teen_accounts.enabled=true", "days=3"]))
    users, posts, g = model.users, model.posts, model.graph
    teen = model.platform.notifications.teen.astype(bool)
    assert np.array_equal(teen, users.age_group == 0) and not model.platform.counts_visible[teen].any()
    ta = model.cfg.platform.teen_accounts
    oon_idealised = {True: 0, False: 0}
    for _ in range(72):
        hour = model.hour
        model.step()
        if teen.any() and (model.users.notif_delivered[teen] > 0).any():
            hod = hour % 24
            assert not (hod >= int(ta.quiet_start) or hod < int(ta.quiet_end)), f"delivered to a teen at {hod}:00"
        session_users, slots, _, viewed = model.last_feed
        for s, u in enumerate(session_users):
            followed = set(g.followees_of(u).tolist())
            for slot in slots[s, : viewed[s]]:
                if posts.style[slot] == IDEALISED and posts.author[slot] not in followed:
                    oon_idealised[bool(teen[u])] += 1
    assert oon_idealised[True] == 0 and oon_idealised[False] > 20  # others still see them: the block is real


def test_deactivation_assigns_its_share_of_the_eligible_groups_only():
    de = [
        "platform.deactivation.enabled=true",
        "platform.deactivation.share=0.3",
        "platform.deactivation.groups=[adult]",
        "platform.deactivation.start_day=1",
        "platform.deactivation.end_day=3",
    ]
    model = FeedModel(compose([*BASE, *de]))
    treated, adult = model.users.treated.astype(bool), model.users.age_group == 2
    assert not treated[~adult].any()
    _share_is(int(treated[adult].sum()), int(adult.sum()), 0.3)
