"""Civic vs engagement ranking on the default population (1,000 users, 14 days) with the same seed.

Hostile exposure must fall (civic down-weights outrage by design). The directions of the wellbeing,
sleep and time-on-platform differences are measured and reported in the test summary, not asserted:
they are results of the model, not of the test."""

from __future__ import annotations

import pytest

import sim

REPORTED = ("wellbeing", "sleep_hours", "minutes_on_platform", "night_minutes", "affective_polarization")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("policies")
    runs = {}
    for policy in ("engagement", "civic"):
        # half the default population for half its days: make run gives the default's figures with intervals
        runs[policy] = sim.run(
            [
                f"policy={policy}",
                "n_users=1000",
                "days=14",
                "progress=false",
                f"output.dir={out}",
                f"output.name={policy}",
            ]
        )
    return runs


def test_civic_ranking_means_less_hostile_exposure_in_every_group(pair, report):
    eng, civ = pair["engagement"].summary(), pair["civic"].summary()
    lines = ["civic - engagement, default population at 1,000 users, 14 days, seed 0, last 7 days:"]
    for col in REPORTED:
        diff = civ.loc["all", col] - eng.loc["all", col]
        lines.append(f"  {col:24s} {eng.loc['all', col]:9.3f} -> {civ.loc['all', col]:9.3f}  ({diff:+.3f})")
    report("\n".join(lines))
    for group in eng.index:
        assert civ.loc[group, "exposure_hostile_share"] < eng.loc[group, "exposure_hostile_share"], group


def test_notifications_off_means_quieter_nights_and_more_sleep(tmp_path, report):
    runs = {
        mode: sim.run(
            [
                "n_users=1500",
                "days=7",
                "offline_days=7",
                "progress=false",
                f"platform.notifications.mode={mode}",
                f"output.dir={tmp_path}",
                f"output.name={mode}",
            ]
        )
        for mode in ("instant", "off")
    }
    on, off = runs["instant"].summary(6), runs["off"].summary(6)
    report(
        f"sleep with notifications off vs instant: {off.loc['all', 'sleep_hours']:.3f} vs "
        f"{on.loc['all', 'sleep_hours']:.3f} h; bed minutes {off.loc['all', 'bed_minutes']:.2f} vs "
        f"{on.loc['all', 'bed_minutes']:.2f}"
    )
    assert off.loc["all", "sleep_hours"] > on.loc["all", "sleep_hours"]
    assert off.loc["all", "bed_minutes"] < on.loc["all", "bed_minutes"]
