"""The report's derived quantities (sim/report/effects.py) on tables whose answers are known, the briefing's
words for them (sim/report/briefing.py), and the escaping of user values in HTML and Markdown."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.report import briefing
from sim.report import effects as fx
from sim.report.document import (
    Document,
    Section,
    Table,
    Text,
    User,
    html,
    markdown,
    md_escape,
)


def test_t_interval_matches_the_textbook_and_refuses_a_single_value():
    values = np.array([0.1, 0.3, 0.2, 0.6])
    mean, lo, hi, n = fx.t_interval(values)
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2
    assert (mean, n) == (pytest.approx(0.3), 4) and lo == pytest.approx(0.3 - half) and hi == pytest.approx(0.3 + half)
    mean, lo, hi, n = fx.t_interval(np.array([0.4]))
    assert mean == 0.4 and n == 1 and math.isnan(lo) and math.isnan(hi)


def _tables(effect_by_seed, days=4, last_days=2):
    """Two labels; the alternative's wellbeing and minutes exceed the baseline's by a known amount per seed
    in the last ``last_days`` days only."""
    daily, users = [], []
    for seed, effect in enumerate(effect_by_seed):
        for label in ("base", "alt"):
            for day in range(days):
                for group in fx.GROUPS:
                    late = day >= days - last_days
                    shift = effect if (label == "alt" and late) else 0.0
                    row = {"job": f"{label}{seed}", "label": label, "seed": seed, "day": day, "group": group}
                    row.update({o.column: 0.2 + 0.01 * seed for o in fx.OUTCOMES})
                    row["wellbeing"] += shift
                    row["minutes_on_platform"] = 60.0 + 10 * shift
                    daily.append(row)
            for uid, minutes in enumerate((40.0, 60.0, 80.0)):
                users.append(
                    {
                        "label": label,
                        "seed": seed,
                        "age_group": "adult",
                        "vulnerable": uid == 0,
                        "minutes_per_day": minutes,
                        "sleep_hours_mean": 7.0 + uid,
                        "night_minutes_per_day": 1.0 + uid,
                        "affective_polarization_end": 0.4 + 0.1 * uid,
                    }
                )
    return pd.DataFrame(daily), pd.DataFrame(users)


def test_effects_are_paired_by_seed_over_the_window():
    daily, users = _tables([0.1, 0.2, 0.3])
    eff = fx.effects(daily, users, "base", last_days=2)
    row = eff[(eff.label == "alt") & (eff.group == "all") & (eff.outcome == "wellbeing")].iloc[0]
    # Seeds differ in level (0.01 per seed) but pairing removes it: the differences are exactly 0.1, 0.2, 0.3.
    assert row.effect == pytest.approx(0.2) and row.seeds == 3
    assert row.effect_sd == row.effect  # wellbeing is already in SD units
    half = stats.t.ppf(0.975, 2) * np.std([0.1, 0.2, 0.3], ddof=1) / math.sqrt(3)
    assert row.lower == pytest.approx(0.2 - half) and row.upper == pytest.approx(0.2 + half)
    minutes = eff[(eff.label == "alt") & (eff.group == "all") & (eff.outcome == "minutes_on_platform")].iloc[0]
    assert minutes.effect == pytest.approx(2.0)
    assert minutes.person_sd == pytest.approx(20.0)  # SD of 40, 60, 80 under the baseline
    assert minutes.effect_sd == pytest.approx(0.1)
    # A window that misses the change sees no effect.
    early = fx.effects(daily[daily.day < 2], users, "base", last_days=2)
    assert early[(early.outcome == "wellbeing")]["effect"].abs().max() == pytest.approx(0.0)


def test_a_single_seed_gives_an_effect_without_interval():
    daily, users = _tables([0.25])
    eff = fx.effects(daily, users, "base", last_days=2)
    row = eff[(eff.group == "all") & (eff.outcome == "wellbeing")].iloc[0]
    assert row.effect == pytest.approx(0.25) and row.seeds == 1 and math.isnan(row.lower) and math.isnan(row.upper_sd)


def test_shares_of_persons_are_standardised_by_the_indicator_sd_and_item_shares_not_at_all():
    daily, users = _tables([0.1, 0.2])
    eff = fx.effects(daily, users, "base", last_days=2)
    prevalence = eff[(eff.group == "all") & (eff.outcome == "elevated_symptoms_share")].iloc[0]
    p = daily[(daily.label == "base") & (daily.group == "all") & (daily.day >= 2)]["elevated_symptoms_share"].mean()
    assert prevalence.person_sd == pytest.approx(100 * math.sqrt(p * (1 - p)))
    hostile = eff[(eff.group == "all") & (eff.outcome == "exposure_hostile_share")].iloc[0]
    assert math.isnan(hostile.effect_sd)


def test_societal_value_is_the_trimbos_figure_times_the_translated_improvement():
    v = fx.societal_value(0.1, 17.3, 1000)
    assert v["percent_improvement"] == pytest.approx(1.73)
    assert v["eur_per_person_year"] == pytest.approx(1.73 * 28.86)
    assert v["eur_per_year"] == pytest.approx(1.73 * 28.86 * 1000)
    parts = [v[f"eur_per_year_{k}"] for k in fx.COST_SHARES]
    assert sum(parts) == pytest.approx(v["eur_per_year"]) and parts[0] == pytest.approx(0.54 * v["eur_per_year"])
    assert fx.DEFAULT_PERCENT_PER_SD == pytest.approx(17.34, abs=0.01)


def test_user_values_are_escaped_in_html_and_markdown():
    evil = '<script>alert("x")</script> | *bold* [link](javascript:x)'
    doc = Document(
        evil,
        [
            Section(
                "Summary",
                [Text(["label ", User(evil)]), Table(pd.DataFrame({"label": [evil], "v": ["1"]}), caption=evil)],
            )
        ],
    )
    page = html(doc)
    assert "<script>" not in page and "&lt;script&gt;" in page
    md = markdown(doc, "figures")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\| \\*bold\\* \\[link\\]" in md
    table_row = [line for line in md.splitlines() if line.startswith("| &lt;script")][0]
    assert table_row.count(" | ") == 1  # the pipe inside the value does not split the cell
    assert md_escape("civic_platform") == "civic\\_platform"


def _effect(outcome, effect, lower, upper, seeds=5, effect_sd=math.nan, lower_sd=math.nan, upper_sd=math.nan):
    """One row of effects(), as the briefing reads it."""
    return pd.Series(
        {
            "outcome": outcome,
            "effect": effect,
            "lower": lower,
            "upper": upper,
            "seeds": seeds,
            "effect_sd": effect_sd,
            "lower_sd": lower_sd,
            "upper_sd": upper_sd,
        }
    )


def test_the_briefing_gives_each_change_its_size_unit_and_interval():
    time = briefing._change_words(_effect("minutes_on_platform", -7.9, -8.5, -7.3), "time on the platform", 96.0)
    # minutes with their interval in minutes, then the percent of the baseline's time with its interval
    assert time == "time on the platform lower, -7.9 min/day [-8.5, -7.3] (-8.2% [-8.9%, -7.6%])"
    sleep = briefing._change_words(_effect("sleep_hours", 0.01, 0.005, 0.015), "sleep", 7.5)
    assert sleep == "sleep higher, +0.6 min/night [+0.3, +0.9]"
    wellbeing = briefing._change_words(_effect("wellbeing", 0.027, 0.010, 0.044), "wellbeing", 0.0)
    assert wellbeing == "wellbeing higher, +0.027 SD [+0.010, +0.044]"
    # thousandths of the 0-1 scale also in SDs between persons, so that a reader can judge "lower"
    polarisation = briefing._change_words(
        _effect("affective_polarization", -0.0022, -0.0030, -0.0014, 5, -0.020, -0.027, -0.013),
        "affective polarisation",
        0.4,
    )
    assert polarisation == (
        "affective polarisation lower, -0.0022 on the 0-1 scale [-0.0030, -0.0014] "
        "(-0.020 SD between persons [-0.027, -0.013])"
    )


def test_the_briefing_calls_a_change_whose_interval_includes_zero_no_clear_change():
    row = _effect("affective_polarization", -0.0022, -0.0050, 0.0006, 5, -0.020, -0.045, 0.005)
    words = briefing._change_words(row, "affective polarisation", 0.4)
    assert words.startswith("affective polarisation no clear change, -0.0022 on the 0-1 scale [-0.0050, +0.0006]")
    time = briefing._change_words(_effect("minutes_on_platform", -1.0, -2.5, 0.5), "time on the platform", 100.0)
    assert time == "time on the platform no clear change, -1.0 min/day [-2.5, +0.5] (-1.0% [-2.5%, +0.5%])"
    one_seed = briefing._change_words(_effect("minutes_on_platform", -1.0, math.nan, math.nan, 1), "time", 100.0)
    assert one_seed == "time no interval (one seed), -1.0 min/day (-1.0%)"
