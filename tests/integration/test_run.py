"""sim.run and python -m sim run the same thing and write the output contract of docs/design/reference-design.md section 7."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import sim
from sim import metrics
from sim.results import ResultsError, load
from tests.conftest import assert_no_pickle, small_overrides

DAILY_CONTRACT = [
    "day",
    "group",
    "n_users",
    "wellbeing",
    "mood",
    "self_esteem",
    "symptoms",
    "elevated_symptoms_share",
    "loneliness",
    "sleep_hours",
    "sleep_debt_hours",
    "late_sleep_onset_share",
    "minutes_on_platform",
    "night_minutes",
    "sessions",
    "posts",
    "likes",
    "exposure_hostile_share",
    "exposure_idealised_share",
    "exposure_supportive_share",
    "exposure_bridging_share",
    "post_outrage_share",
    "affective_polarization",
]
USERS_CONTRACT = [
    "user_id",
    "age_group",
    "vulnerable",
    "ideology",
    "treated",
    "followers",
    "minutes_per_day",
    "night_minutes_per_day",
    "posts_total",
    "likes_received_total",
    "wellbeing_start",
    "wellbeing_end",
    "symptoms_end",
    "sleep_hours_mean",
    "late_sleep_onset_days",
    "negative_experience_share",
    "affective_polarization_end",
]
POSTS_CONTRACT = ["post_id", "author", "created_hour", "style", "likes", "impressions"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return sim.run(small_overrides(**{"output.dir": out, "output.name": "api"}))


def test_the_run_directory_holds_the_contract(result):
    for name in ("daily.parquet", "users.parquet", "posts.parquet", "manifest.json"):
        assert (result.path / name).is_file()
    assert list(result.daily.columns[: len(DAILY_CONTRACT)]) == DAILY_CONTRACT
    assert list(result.users.columns[: len(USERS_CONTRACT)]) == USERS_CONTRACT
    assert list(result.posts.columns[: len(POSTS_CONTRACT)]) == POSTS_CONTRACT
    assert list(result.daily.columns) == list(metrics.DAILY)
    assert set(result.daily["group"]) == {"all", "adolescent", "young_adult", "adult", "vulnerable"}
    assert len(result.daily) == 3 * 5 and len(result.users) == 300
    m = result.manifest
    assert m["status"] == "complete" and m["seed"] == 0 and m["config"]["n_users"] == 300
    assert {"numba", "mesa", "numpy"} <= set(m["versions"])
    assert set(m["tables"]) == {"daily", "users", "posts"}


def test_outputs_are_sane(result):
    d, u, p = result.daily, result.users, result.posts
    assert np.isfinite(d.drop(columns=["group"]).to_numpy(float)).all()
    for col in d.columns:
        if col.endswith("_share"):
            assert d[col].between(0, 1).all(), col
    assert d["sleep_hours"].between(0, 24).all()
    assert (d[["minutes_on_platform", "night_minutes", "posts", "likes", "sessions"]] >= 0).all().all()
    assert (p["likes"] <= p["impressions"]).all()
    mine = p[p["author"] < len(u)]  # the users' posts; the rest are outside accounts' (sim/external.py)
    assert len(mine) < len(p)
    assert mine["likes"].sum() == u["likes_received_total"].sum()
    assert len(mine) == u["posts_total"].sum()
    assert np.array_equal(p["post_id"], np.arange(len(p)))
    assert set(p["style"]) <= {"personal", "idealised", "outrage", "informational"}


def test_a_run_directory_holds_parquet_and_json_only(result):
    names = sorted(p.name for p in assert_no_pickle(result.path))
    assert names == ["daily.parquet", "manifest.json", "posts.parquet", "users.parquet"]


def test_load_round_trips_and_refuses_incomplete_runs(result, tmp_path):
    again = load(result.path)
    assert again.daily.equals(result.daily) and again.users.equals(result.users)
    with pytest.raises(ResultsError, match="manifest.json is missing"):
        load(tmp_path)
    bad = tmp_path / "failed"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"status": "failed", "error": "killed"}))
    with pytest.raises(ResultsError, match="status is 'failed'"):
        load(bad)


def test_the_command_line_writes_the_same_tables_as_the_api(result, tmp_path):
    args = small_overrides(**{"output.dir": tmp_path, "output.name": "cli"})
    proc = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    cli = load(tmp_path / "cli")
    assert cli.manifest["tables"] == result.manifest["tables"]
    assert "wellbeing" in proc.stdout


def test_agents_are_thin_views_on_the_arrays(compose_small):
    from sim.model import FeedModel

    model = FeedModel(compose_small())
    model.run_for(5)
    user = model.user(7)
    assert user.mood == pytest.approx(float(model.users.mood[7]))
    assert user.followees == model.graph.followees_of(7).tolist()
    assert len(model.agents) == 1
    with pytest.raises(IndexError):
        model.user(10_000)
