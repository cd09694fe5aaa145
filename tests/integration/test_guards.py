"""Numerical guards (sim/guards.py): a NaN or infinity in the state stops the run with the mechanism, the
hour and the user named, and the run's manifest is marked failed. The non-finite values are injected by
wrapping a mechanism's kernel."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sim import guards
from sim.behaviour import response, wellbeing
from sim.config import compose
from sim.model import FeedModel
from sim.runner import execute

OFFLINE = 2
BASE = ["n_users=300", "days=3", f"offline_days={OFFLINE}", "progress=false", "network.mean_out_degree=30"]


def poison_mood(monkeypatch, hour: int, user: int, value: float = np.nan, times: int | None = None) -> None:
    """Make wellbeing.hourly write ``value`` into the mood of ``user`` at ``hour``. It is called once per hour
    from the first offline hour on; calls are counted per model (per mood array), so that a replay of the
    run is poisoned the same way. ``times``: only the first so many models are poisoned."""
    original, calls = wellbeing.hourly, {}

    def hourly(p, key, hour_counter, moods):
        original(p, key, hour_counter, moods)
        n = calls.setdefault(id(moods.mood), [len(calls), 0])
        if n[1] - 24 * OFFLINE == hour and (times is None or n[0] < times):
            moods.mood[user] = value
        n[1] += 1

    monkeypatch.setattr(wellbeing, "hourly", hourly)


@pytest.mark.parametrize("mode", ["hour", "mechanism"])
def test_a_nan_stops_the_run_naming_mechanism_hour_and_user_and_fails_the_manifest(monkeypatch, tmp_path, mode):
    poison_mood(monkeypatch, hour=30, user=17)
    cfg = compose(BASE + [f"check_finite={mode}"])
    with pytest.raises(guards.NonFiniteState) as err:
        execute(cfg, tmp_path / "run")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(
        "non-finite state: users.mood = nan for user 17 after mechanism 'wellbeing' "
        "(wellbeing.hourly) at hour 30 (day 1, 06:00)"
    ), msg
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and msg in manifest["error"]
    assert manifest["nonfinite"] == {
        "array": "users.mood",
        "value": "nan",
        "user": 17,
        "post": None,
        "mechanism": "wellbeing",
        "hour": 30,
        "day": 1,
    }
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["manifest.json"]


def test_an_infinity_in_the_offline_burn_in_is_caught_before_day_0(monkeypatch):
    poison_mood(monkeypatch, hour=-5, user=3, value=np.inf)
    with pytest.raises(
        guards.NonFiniteState,
        match=r"users.mood = inf for user 3 after mechanism 'wellbeing' "
        r"\(wellbeing.hourly\) at hour -5 \(day -1, 19:00, before day 0",
    ):
        FeedModel(compose(BASE))


def test_a_value_the_replay_does_not_reproduce_is_still_reported_with_its_hour_and_user(monkeypatch):
    poison_mood(monkeypatch, hour=40, user=5, times=1)  # only the first run is poisoned: not deterministic
    model = FeedModel(compose(BASE))
    with pytest.raises(guards.NonFiniteState) as err:
        model.run_days(3)
    assert str(err.value).startswith(
        "non-finite state: users.mood = nan for user 5 in the hour's mechanisms at "
        "hour 40 (day 1, 16:00); a replay from the seed did not reproduce it"
    )
    assert err.value.details["mechanism"] is None


def test_a_non_finite_post_value_names_the_post_and_its_author(monkeypatch):
    original = response.record_impressions
    seen = {}

    def record(bp, session_users, feed, n_viewed, liked, replied, ideology, posts, *rest):
        original(bp, session_users, feed, n_viewed, liked, replied, ideology, posts, *rest)
        if not seen and n_viewed.sum() > 0:
            s = int(np.flatnonzero(n_viewed > 0)[0])
            slot = int(feed[s, 0])
            posts.bridging[slot] = -np.inf
            seen.update(post=int(posts.post_id[slot]), author=int(posts.author[slot]))

    monkeypatch.setattr(response, "record_impressions", record)
    model = FeedModel(compose(BASE + ["check_finite=mechanism"]))
    with pytest.raises(guards.NonFiniteState) as err:
        model.run_days(1)
    assert (
        f"posts.bridging = -inf for post {seen['post']} by user {seen['author']} after mechanism 'impressions'"
        in str(err.value)
    ), str(err.value)


def test_with_the_check_off_the_run_goes_on(monkeypatch):
    poison_mood(monkeypatch, hour=30, user=17)
    model = FeedModel(compose(BASE + ["check_finite=off"]))
    model.run_days(2)
    assert np.isnan(model.users.mood[17])


def test_no_false_alarm_and_only_a_bedtime_may_be_minus_infinity():
    """Before the first alarm nobody's bedtime is constrained (awake_until_h = -inf): allowed; +inf is not."""
    model = FeedModel(compose(BASE + ["behaviour.sleep.alarm_days=[]", "check_finite=mechanism"]))
    model.run_days(1)
    assert guards.scan(model) is None
    model.users.awake_until_h[4] = -np.inf
    assert guards.scan(model) is None
    model.users.awake_until_h[4] = np.inf
    assert guards.scan(model) == guards.Finding("users.awake_until_h", np.inf, 4)
    model.users.awake_until_h[4] = 0.0
    model.users.calendar_day[9, 3] = np.nan  # a counter, in a 2-D array
    assert guards.scan(model).array == "users.calendar_day" and guards.scan(model).user == 9


def test_the_command_line_prints_one_line_and_exits_1(tmp_path):
    code = f"""
import sys
import numpy as np
from sim.behaviour import wellbeing
original, calls = wellbeing.hourly, {{}}
def hourly(p, key, hour_counter, moods):
    original(p, key, hour_counter, moods)
    n = calls.setdefault(id(moods.mood), [0])
    if n[0] == 24 * {OFFLINE} + 30:
        moods.mood[17] = np.nan
    n[0] += 1
wellbeing.hourly = hourly
from sim.__main__ import main
sys.argv = ["sim", *sys.argv[1:]]
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", code, *BASE, f"output.dir={tmp_path}", "output.name=r"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "error: non-finite state: users.mood = nan for user 17 after mechanism 'wellbeing'"
    ), proc.stderr
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["status"] == "failed"
