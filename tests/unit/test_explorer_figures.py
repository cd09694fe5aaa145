"""The explorer's figures and network sample, from small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.explorer import figures, network_sample
from sim.state import FollowGraph
from sim.vocabulary import STYLES

PNG = b"\x89PNG"


def _daily(days: int, shift: float = 0.0) -> pd.DataFrame:
    rows = []
    for day in range(days):
        for g, group in enumerate(("all", "adolescent", "young_adult", "adult", "vulnerable")):
            rows.append({"day": day, "group": group, **{c: day + g + shift for c in figures.OUTCOMES}})
    return pd.DataFrame(rows, columns=["day", "group", *figures.OUTCOMES])


def test_differences_are_b_minus_a_for_days_both_sides_have():
    diff = figures.differences(_daily(3), _daily(2, shift=0.5))
    assert sorted(diff["day"].unique()) == [0, 1]
    assert np.allclose(diff[list(figures.OUTCOMES)], 0.5)


def test_latest_table_has_every_outcome_for_the_shown_groups():
    table = figures.latest_table(_daily(3), _daily(3, shift=-0.25))
    assert len(table) == len(figures.OUTCOMES) * len(figures.GROUPS)
    assert np.allclose(table["B − A"], -0.25)
    vulnerable_wellbeing = table[(table["group"] == "vulnerable") & table["outcome"].str.startswith("Wellbeing")]
    assert vulnerable_wellbeing["A"].item() == 2 + 4  # last day (2) + group offset (4)


@pytest.mark.parametrize("difference", [False, True])
def test_outcome_panels_draw_each_day_and_change_with_the_data(difference):
    panels = figures.OutcomePanels(difference=difference)
    empty = panels.draw(_daily(0), _daily(0), "A: x", "B: y")  # before the first day
    one = panels.draw(_daily(1), _daily(1, 0.1), "A: x", "B: y")
    three = panels.draw(_daily(3), _daily(3, 0.3), "A: x", "B: y")
    assert all(image.startswith(PNG) for image in (empty, one, three))
    assert len({empty, one, three}) == 3


def _hours(n: int) -> pd.DataFrame:
    h = np.arange(24, 24 + n)
    table = {
        "hour": h,
        "asleep_min": np.where(h % 24 < 7, 60.0, 0.0),
        "session": (h % 24 >= 7).astype(int),
        "mood": np.sin(h / 5.0),
        "minutes": np.where(h % 24 >= 7, 10.0, 0.0),
    }
    table.update({f"items_{s}": np.full(n, 3) for s in STYLES})
    return pd.DataFrame(table)


def test_user_day_figure_has_sleep_feed_and_mood_rows_for_both_sides():
    fig = figures.user_day(_hours(48), _hours(48), "A: x", "B: y")
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title() == "A: x" and fig.axes[1].get_title() == "B: y"
    assert figures.png(fig).startswith(PNG)


def _ring(n: int, k: int) -> FollowGraph:
    """Each user follows the next k users around a ring."""
    indices = np.array([(u + d) % n for u in range(n) for d in range(1, k + 1)], np.int32)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    empty = np.zeros(0, np.int32)
    return FollowGraph(
        indptr, indices, np.zeros(n * k, np.uint8), np.zeros(n + 1, np.int64), empty, np.full(n, k, np.int32)
    )


def test_followers_of_inverts_the_followee_lists():
    graph = _ring(50, 3)
    assert sorted(network_sample.followers_of(graph, 10)) == [7, 8, 9]


def test_sample_holds_the_centre_its_neighbours_and_others_with_real_follows_between_them():
    graph = _ring(200, 4)
    sample = network_sample.sample(graph, centre=100, size=40)
    users = sample.users
    assert users[0] == 100 and len(set(users)) == 40
    assert {96, 97, 98, 99, 101, 102, 103, 104} <= set(users)  # followers and followees of the centre
    assert (users > 110).any() or (users < 90).any()  # and users from elsewhere
    for i, j in sample.edges:
        assert users[j] in graph.followees_of(int(users[i]))
    assert sample.positions.shape == (40, 2) and np.isfinite(sample.positions).all()
    again = network_sample.sample(graph, centre=100, size=40)
    assert np.array_equal(again.users, users) and np.allclose(again.positions, sample.positions)


def test_sample_leaves_out_the_accounts_outside_the_sample():
    """Users also follow outside accounts (ids from n_users on), which have no traits to colour by."""
    n = 200
    graph = _ring(n + 50, 4)  # users 196-199 follow accounts 200-203, which lie outside a sample of 200 users
    graph.indptr = graph.indptr[: n + 1]
    graph.indices = graph.indices[: graph.indptr[-1]]
    sample = network_sample.sample(graph, centre=199, size=40)
    assert (sample.users < n).all() and {195, 196, 197, 198} <= set(sample.users)


@pytest.mark.parametrize(
    "centre, size, message",
    [(200, 40, "user 200 does not exist"), (0, 1, "sample size 1"), (0, 500, "sample size 500")],
)
def test_sample_rejects_what_cannot_be_drawn(centre, size, message):
    with pytest.raises(ValueError, match=message):
        network_sample.sample(_ring(200, 4), centre, size)


def test_network_figure_colours_the_sample():
    graph = _ring(60, 3)
    sample = network_sample.sample(graph, 0, 30)
    fig = figures.network(
        sample.positions,
        sample.edges,
        [np.linspace(-1, 1, 30)],
        ["ideology"],
        "ideology",
        "coolwarm",
        (-1, 1),
        highlight=0,
    )
    assert figures.png(fig).startswith(PNG)


def test_tick_labels_have_the_decimals_their_step_needs_and_no_noise():
    assert figures.tick_labels([0.0, 0.25, 0.5]) == ["0.00", "0.25", "0.50"]
    assert figures.tick_labels([100.0, 120.0, 140.0]) == ["100", "120", "140"]
    assert figures.tick_labels([-0.015, 0.0, 0.015]) == ["\N{MINUS SIGN}0.015", "0.000", "0.015"]
    assert figures.tick_labels([-1e-17, 0.5]) == ["0.0", "0.5"]  # rounding noise is 0, not -0.0 or 1e-17
    assert figures.tick_decimals(0.1) == 1 and figures.tick_decimals(0.005) == 3 and figures.tick_decimals(0) == 0


@pytest.mark.parametrize(
    "values, resolution, options, check",
    [
        # a flat series (with rounding noise) spans at least four resolutions around its value
        ([0.3, 0.3 + 1e-16, 0.3], 0.005, {}, lambda lo, hi: hi - lo >= 0.02 and lo < 0.3 < hi),
        # a share never below 0, however small its values
        ([0.001, 0.002], 0.005, {"floor": 0.0}, lambda lo, hi: lo == 0.0 and hi >= 0.02),
        # a difference shows its zero line
        ([0.5, 0.6], 0.01, {"include_zero": True}, lambda lo, hi: lo < 0 < 0.6 < hi),
        # a negative value is not cut off by the floor
        ([-0.2, 0.1], 0.01, {"floor": 0.0}, lambda lo, hi: lo < -0.2),
        # nothing simulated yet
        ([], 1.0, {}, lambda lo, hi: hi - lo >= 4.0),
    ],
)
def test_y_limits_are_readable_for_flat_and_small_series(values, resolution, options, check):
    lo, hi = figures.y_limits(np.array(values, float), resolution, **options)
    assert check(lo, hi), (lo, hi)


def test_differences_that_are_only_rounding_are_zero():
    a = np.array([0.1 + 0.2, 5.0, 0.0])
    b = np.array([0.3, 5.5, 0.0])
    assert figures.without_noise(b, a).tolist() == [0.0, 0.5, 0.0]
    assert (
        figures.number_text(-1e-5, 3, signed=True) == "0.000" and figures.number_text(0.25, 2, signed=True) == "+0.25"
    )


@pytest.mark.parametrize("difference", [False, True])
def test_outcome_panels_show_no_offset_or_scientific_notation_on_flat_series(difference):
    flat = _daily(3)
    for c in figures.OUTCOMES:
        flat[c] = 0.3
    noisy = flat.copy()
    noisy[list(figures.OUTCOMES)] += 1e-16
    panels = figures.OutcomePanels(difference=difference)
    panels.draw(flat, noisy, "A: x", "B: y", days=28)
    for ax in panels.axes.values():
        assert ax.yaxis.get_offset_text().get_text() == ""
        labels = ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks())  # B's are hidden beside A's
        assert labels and not any("e" in label for label in labels), labels
        assert ax.get_xlim()[1] >= 28  # the x axis spans the whole run


def test_days_count_from_1_on_the_page():
    assert figures.latest_day(_daily(3)) == 3
    days, _ = figures._series(_daily(2), "all", "wellbeing")
    assert days.tolist() == [1, 2]
    assert figures.window_label(24, 72) == "days 2-3" and figures.window_label(0, 24) == "day 1"
    _, labels = figures.hour_labels(np.arange(18, 31))
    assert labels == ["18h", "day 2 Tue", "06h"]


def test_users_without_a_follow_in_the_sample_sit_on_a_ring_around_the_others():
    positions = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [50.0, 50.0], [-40.0, 0.0]])
    edges = np.array([[0, 1], [1, 2]])
    out = network_sample.ring_the_unconnected(positions, edges)
    assert np.array_equal(out[:3], positions[:3])
    centre = positions[:3].mean(axis=0)
    radii = np.linalg.norm(out[3:] - centre, axis=1)
    assert np.allclose(radii, radii[0]) and radii[0] < 2
