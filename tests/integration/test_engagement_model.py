"""The platform's learned engagement model (sim/ranking/engagement_model.py): it personalises from what it
observes, so that users who respond more to outrage are shown more of it under engagement ranking and less
under civic ranking; and it never reads a user's latent traits (the "oracle" model does, and the same test
catches it)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behaviour import sleep
from sim.config import compose
from sim.model import FeedModel, Hour
from sim.state import CD_HOSTILE, CD_ITEMS
from sim.vocabulary import AGE_GROUPS, OUTRAGE

pytestmark = pytest.mark.xdist_group("engagement_model")

OPEN_WORLD = ["network.external.accounts_per_user=0.5", "network.external.follow_share=0.6"]


def _outrage_exposure(policy: str, kind: str, days: int = 8, n: int = 800):
    """Per day: the share of outrage among the items viewed by the most and the least outrage-susceptible
    fifth of users, and the model."""
    cfg = compose(
        [f"n_users={n}", "progress=false", f"policy={policy}", f"platform.engagement_model.kind={kind}", *OPEN_WORLD]
    )
    model = FeedModel(cfg)
    s = model.users.outrage_susceptibility
    high, low = s > np.quantile(s, 0.8), s < np.quantile(s, 0.2)
    rows = []
    for _ in range(days):
        model.run_for(23)  # the day's counters, read before midnight resets them
        cd = model.users.calendar_day
        share = cd[:, CD_HOSTILE] / np.maximum(cd[:, CD_ITEMS], 1)
        rows.append((share[high].mean(), share[low].mean()))
        model.run_for(1)
    return np.array(rows), model, high, low


@pytest.fixture(scope="module")
def engagement_learned():
    return _outrage_exposure("engagement", "learned")


def test_engagement_ranking_learns_to_show_outrage_to_those_who_respond_to_it(engagement_learned):
    rows, model, high, low = engagement_learned
    gap = rows[:, 0] - rows[:, 1]
    # at the start the model knows nobody: the most and least susceptible see about the same share (day 0
    # alone, 800 users: within about 0.02 by chance)
    assert abs(gap[0]) < 0.03
    # it learns who likes outrage (the affinity it holds for them), from likes alone ...
    affinity = model.engagement.user_style[:, OUTRAGE]
    assert affinity[high].mean() > affinity[low].mean() + 0.1
    # ... and shows them more of it: the gap opens over the days
    assert gap[-3:].mean() > 0.025 and gap[-3:].mean() > gap[0] + 0.02


def test_civic_ranking_shows_the_outrage_susceptible_less_than_engagement_ranking(engagement_learned):
    engagement_rows = engagement_learned[0]
    civic_rows, _, _, _ = _outrage_exposure("civic", "learned")
    assert civic_rows[-3:, 0].mean() < 0.6 * engagement_rows[-3:, 0].mean()
    assert (civic_rows[-3:, 0] - civic_rows[-3:, 1]).mean() < (engagement_rows[-3:, 0] - engagement_rows[-3:, 1]).mean()


def test_the_oracle_engagement_model_does_not_personalise_outrage():
    """The contrast: the response model at average susceptibility cannot learn who likes outrage."""
    rows, _, _, _ = _outrage_exposure("engagement", "oracle", days=4)
    assert abs((rows[:, 0] - rows[:, 1]).mean()) < 0.015


def _interest_in_what_was_viewed(policy: str, days: int = 6, n: int = 600):
    """Per day: the mean interest (standard normal units) of viewers in the topics of the items they viewed;
    and the model at the end."""
    cfg = compose(
        [
            f"n_users={n}",
            "progress=false",
            f"policy={policy}",
            "platform.engagement_model.kind=learned",
            "behaviour.response.like_interest=1.0",
            *OPEN_WORLD,
        ]
    )
    model = FeedModel(cfg)
    interest, topic = model.users.interest, model.posts
    per_day = []
    for _ in range(days):
        total = count = 0.0
        for _ in range(24):
            model.step()
            session_users, slots, _, n_viewed = model.last_feed
            for s, u in enumerate(session_users):
                viewed = slots[s, : n_viewed[s]]
                total += float(interest[u, topic.topic[viewed]].sum())
                count += viewed.size
        per_day.append(total / max(count, 1))
    return np.array(per_day), model


def test_engagement_ranking_learns_each_users_topics_from_likes_alone():
    """Interests are never read by the platform (the test below scrambles them); the learned model finds them
    from likes, so an engagement-ranked feed shows each user more of the topics they care about over the
    days, and more than a chronological feed of the same followees does."""
    engagement, model = _interest_in_what_was_viewed("engagement")
    chronological, _ = _interest_in_what_was_viewed("chronological", days=3)
    assert engagement[-2:].mean() > engagement[0] + 0.1
    assert engagement[-2:].mean() > chronological.mean() + 0.1
    # the learned affinities line up with the true interests of active users
    learned, true = model.engagement.user_topic, model.users.interest
    active = np.abs(learned).sum(axis=1) > 0
    corr = [np.corrcoef(learned[u], true[u])[0, 1] for u in np.flatnonzero(active)]
    assert np.nanmean(corr) > 0.6  # about 0.8 measured (model.md section 7.1)


LATENT = ("ideology", "outrage_susceptibility", "comparison", "feedback_sensitivity", "use_propensity", "mood")


def _feeds_of_every_user(model) -> np.ndarray:
    hour = model.hour
    h = Hour(hour, hour % 24, hour // 24, sleep.alarm_substeps(model.cfg, (hour // 24) % 7, AGE_GROUPS))
    h.session_users = np.arange(model.users.n)
    model.phase_pool(h)
    model.phase_ranking(h)
    return h.feeds.slot.copy()


@pytest.mark.parametrize("kind", ["learned", "oracle"])
def test_the_learned_model_reads_no_latent_trait(kind):
    """Scramble every latent trait of the users (and the ideology of outside accounts) after two days: the
    feeds an engagement ranking gives everyone at that hour must not change. The oracle model reads
    ideology and interests, so for it the same scramble changes the feeds: the test can fail."""
    cfg = compose(
        [
            "n_users=400",
            "progress=false",
            "policy=engagement",
            f"platform.engagement_model.kind={kind}",
            "behaviour.response.like_interest=1.0",
            *OPEN_WORLD,
        ]
    )
    model = FeedModel(cfg)
    model.run_for(2 * 24 + 13)
    before = _feeds_of_every_user(model)
    rng = np.random.default_rng(5)
    u = model.users
    for name in LATENT:
        values = getattr(u, name)
        values[:] = rng.permutation(values) + rng.normal(0, 0.3, values.shape).astype(values.dtype)
    u.interest[:] = rng.permutation(u.interest)
    model.authors.ideology[:] = rng.uniform(-1, 1, model.authors.ideology.shape)
    after = _feeds_of_every_user(model)
    if kind == "learned":
        assert np.array_equal(before, after)
    else:
        assert not np.array_equal(before, after)
