"""Platform features one by one, on their own kernels and arrays (sim/platform/)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.platform import (
    deactivation,
    display,
    limits,
    media_literacy,
    moderation,
    notifications,
)
from sim.rng import Streams
from sim.state import (
    IDEALISED,
    LIMIT_DISMISSED,
    LIMIT_LOCKED,
    OUTRAGE,
    PERSONAL,
    UNDER_LIMIT,
    UserState,
)


def users_with_ages(n=3000, seed=0):
    users = UserState(n)
    users.age_group[:] = np.random.default_rng(seed).integers(0, 3, n)
    return users


@pytest.mark.parametrize(
    "mode,expect", [("visible", (1, 1, 1)), ("hidden", (0, 0, 0)), ("hidden_for_minors", (0, 1, 1))]
)
def test_counts_visible_by_mode(compose_small, mode, expect):
    users = users_with_ages()
    shown = display.counts_visible(compose_small(**{"platform.counts": mode}), users, np.zeros(users.n, bool))
    for group, visible in enumerate(expect):
        assert np.all(shown[users.age_group == group] == visible)


def test_teen_accounts_hide_counts_only_for_adolescents(compose_small):
    from sim.platform.teen_accounts import oon_idealised_blocked, teen_users

    users = users_with_ages()
    off = compose_small()
    assert not teen_users(off, users).any()
    cfg = compose_small(**{"platform.teen_accounts.enabled": "true"})
    teen = teen_users(cfg, users)
    assert np.array_equal(teen, users.age_group == 0)
    shown = display.counts_visible(cfg, users, teen)
    assert np.all(shown[teen] == 0) and np.all(shown[~teen] == 1)
    assert np.array_equal(oon_idealised_blocked(cfg, teen).astype(bool), teen)


def deliver(hour, mode="instant", batch=3, quiet=(-1, -1), teen=None, teen_window=(-1, -1), active=None, n=4):
    pending = np.full(n, 2.0, np.float32)
    delivered = np.zeros(n, np.float32)
    teen = np.zeros(n, np.uint8) if teen is None else teen
    active = np.ones(n, np.uint8) if active is None else active
    release = mode != "batched" or hour % batch == 0
    notifications.deliver(hour, release, mode == "off", *quiet, teen, *teen_window, active, pending, delivered)
    return pending, delivered


def test_notification_delivery_policies():
    p, d = deliver(23)
    assert np.all(d == 2) and np.all(p == 0)  # instant
    p, d = deliver(23, quiet=(22, 7))
    assert np.all(d == 0) and np.all(p == 2)  # held overnight ...
    p, d = deliver(7, quiet=(22, 7))
    assert np.all(d == 2)  # ... and delivered at the end of the window
    p, d = deliver(13, quiet=(22, 7))
    assert np.all(d == 2)
    for hour, due in ((12, True), (13, False), (14, False), (15, True)):
        p, d = deliver(hour, mode="batched")
        assert np.all(d == (2 if due else 0)), hour
    p, d = deliver(10, mode="off")
    assert np.all(d == 0) and np.all(p == 0)  # dropped, not held
    teen = np.array([1, 0, 1, 0], np.uint8)
    p, d = deliver(2, teen=teen, teen_window=(22, 7))
    assert d.tolist() == [0, 2, 0, 2] and p.tolist() == [2, 0, 2, 0]
    p, d = deliver(9, active=np.array([1, 0, 1, 1], np.uint8))
    assert d.tolist() == [2, 0, 2, 2] and p[1] == 0  # a deactivated account receives nothing


def test_the_notification_policy_object_reads_its_config(compose_small):
    users = UserState(3)
    users.notif_pending[:] = 1
    nt = notifications.Notifications(compose_small(**{"platform.notifications.mode": "quiet_hours"}), np.zeros(3, bool))
    nt.deliver(24 * 3 + 23, users, np.ones(3, np.uint8))
    assert np.all(users.notif_delivered == 0) and np.all(users.notif_pending == 1)


def test_time_limit_and_pause_nudge_triggers():
    assert limits.crosses_limit(60.0, UNDER_LIMIT, 59.0, 2.0)
    assert not limits.crosses_limit(60.0, UNDER_LIMIT, 50.0, 2.0)
    assert not limits.crosses_limit(0.0, UNDER_LIMIT, 500.0, 2.0)  # no limit
    assert not limits.crosses_limit(60.0, LIMIT_DISMISSED, 59.0, 2.0)  # reminder dismissed today
    assert limits.nudge_due(20.0, 19.5, 1.0) and limits.nudge_due(20.0, 39.0, 2.0)
    assert not limits.nudge_due(20.0, 20.5, 1.0) and not limits.nudge_due(0.0, 19.5, 1.0)


def test_daily_limits_apply_to_the_chosen_group_and_reset_at_midnight(compose_small):
    users = users_with_ages()
    assert not limits.limit_minutes(compose_small(), users).any()
    cfg = compose_small(
        **{
            "platform.time_limit.mode": "soft",
            "platform.time_limit.applies_to": "minors",
            "platform.time_limit.minutes": 45,
        }
    )
    minutes = limits.limit_minutes(cfg, users)
    assert np.all(minutes[users.age_group == 0] == 45) and np.all(minutes[users.age_group > 0] == 0)
    users.limit_state[:] = LIMIT_LOCKED
    limits.new_day(users)
    assert np.all(users.limit_state == UNDER_LIMIT)


def moderation_batch(n=20000, hostile_share=0.2, seed=1):
    rng = np.random.default_rng(seed)
    post_id = np.arange(n, dtype=np.int64)
    style = np.where(rng.random(n) < hostile_share, OUTRAGE, rng.choice([PERSONAL, IDEALISED], n)).astype(np.int8)
    author = rng.integers(0, 2000, n).astype(np.int32)
    return post_id, author, style


def test_moderation_removes_at_the_configured_recall_and_precision():
    post_id, author, style = moderation_batch()
    removed = np.zeros(post_id.shape[0], np.uint8)
    strikes = np.zeros(2000, np.int32)
    suspended = np.full(2000, np.iinfo(np.int64).min, np.int64)
    p = moderation.ModerationParams(recall=0.6, precision=0.75, strikes=3, suspension_hours=168)
    hits, mistakes = moderation.review(
        np.uint64(5),
        100,
        p,
        0,
        post_id.shape[0],
        post_id,
        author,
        style,
        removed,
        strikes,
        suspended,
        np.zeros((2000, 20)),
    )
    hostile = style == OUTRAGE
    assert removed[hostile].mean() == pytest.approx(0.6, abs=0.02)
    assert hits / (hits + mistakes) == pytest.approx(0.75, abs=0.02)
    assert hits == removed[hostile].sum() and mistakes == removed[~hostile].sum()
    assert np.array_equal(strikes, np.bincount(author[removed == 1], minlength=2000))
    assert np.all(suspended[strikes >= 3] == 100 + 168) and np.all(suspended[strikes < 3] < 0)


def test_moderation_reviews_each_post_once_and_can_suspend_for_good():
    post_id, author, style = moderation_batch(n=3000)
    removed = np.zeros(3000, np.uint8)
    strikes = np.zeros(2000, np.int32)
    suspended = np.full(2000, np.iinfo(np.int64).min, np.int64)
    p = moderation.ModerationParams(recall=1.0, precision=1.0, strikes=1, suspension_hours=0)
    moderation.review(
        np.uint64(5), 10, p, 0, 3000, post_id, author, style, removed, strikes, suspended, np.zeros((2000, 20))
    )
    assert np.array_equal(removed.astype(bool), style == OUTRAGE)  # perfect moderation
    assert np.all(suspended[strikes >= 1] == moderation.FOREVER)
    before = strikes.copy()
    moderation.review(
        np.uint64(5), 11, p, 0, 3000, post_id, author, style, removed, strikes, suspended, np.zeros((2000, 20))
    )
    assert np.array_equal(strikes, before)  # removed posts are not reviewed again


def test_deactivation_draws_its_own_treatment_group(compose_small):
    users = users_with_ages(20000)
    cfg = compose_small(
        **{
            "platform.deactivation.enabled": "true",
            "platform.deactivation.share": 0.4,
            "platform.deactivation.groups": "[adult]",
            "days": 20,
            "platform.deactivation.start_day": 2,
            "platform.deactivation.end_day": 5,
        }
    )
    treated = deactivation.assign(cfg, users, Streams(3))
    assert not treated[users.age_group != 2].any()
    assert treated[users.age_group == 2].mean() == pytest.approx(0.4, abs=0.02)
    assert np.array_equal(users.treated.astype(bool), treated)
    off = users_with_ages(20000)
    assert not deactivation.assign(compose_small(), off, Streams(3)).any()


def test_media_literacy_scales_the_traits_of_the_trained_share_only(compose_small):
    users = users_with_ages(20000)
    users.comparison[:] = 1.0
    users.outrage_susceptibility[:] = 2.0
    cfg = compose_small(
        **{
            "platform.media_literacy.enabled": "true",
            "platform.media_literacy.share": 0.25,
            "platform.media_literacy.comparison_factor": 0.5,
            "platform.media_literacy.outrage_factor": 0.8,
        }
    )
    media_literacy.train(cfg, users, Streams(4))
    trained = users.media_literacy.astype(bool)
    assert trained.mean() == pytest.approx(0.25, abs=0.02)
    assert np.all(users.comparison[trained] == 0.5) and np.all(users.comparison[~trained] == 1.0)
    assert np.allclose(users.outrage_susceptibility[trained], 1.6) and np.all(
        users.outrage_susceptibility[~trained] == 2
    )
