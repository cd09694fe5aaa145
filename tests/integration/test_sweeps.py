"""Sweeps end to end: a sweep of 2 labels x 3 seeds on a small population, killed midway and resumed
without redoing finished jobs; its sweep tables; its report; the same sweep on a local Ray instance
giving identical tables; and a failing job that does not stop the others.

The labels are scenario presets (AXIS, LABELS with the baseline first, and a third one in THIRD);
nothing else names a scenario."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

AXIS = "scenario"
LABELS = ("status_quo", "civic_platform")  # the baseline first
BASELINE, ALTERNATIVE = LABELS
THIRD = "chronological"
LABEL_AXIS = f"{AXIS}={','.join(LABELS)}"
SEEDS = (0, 1, 2)
SMALL = ["n_users=300", "days=3", "offline_days=2", "network.mean_out_degree=30", "progress=false"]

pytestmark = pytest.mark.xdist_group("sweeps")


def job(label: str, seed: int | None = None) -> str:
    """A job's directory: the swept settings, sorted (Hydra's override_dirname)."""
    return ",".join(sorted([f"{AXIS}={label}"] + ([f"seed={seed}"] if seed is not None else [])))


def md(text: str) -> str:
    from sim.report.document import md_escape

    return md_escape(text)


def sweep_command(sweep_dir: Path, *extra: str, axis: str = LABEL_AXIS, seeds: str = "range(0,3)") -> list[str]:
    return [sys.executable, "-m", "sim", "-m", axis, f"seed={seeds}", *SMALL, f"hydra.sweep.dir={sweep_dir}", *extra]


def manifests(sweep_dir: Path) -> dict[str, dict]:
    out = {}
    for m in sweep_dir.glob("*/manifest.json"):
        try:
            out[m.parent.name] = json.loads(m.read_text())
        except json.JSONDecodeError:
            pass
    return out


def complete_jobs(sweep_dir: Path) -> dict[str, dict]:
    return {name: m for name, m in manifests(sweep_dir).items() if m.get("status") == "complete"}


@pytest.fixture(scope="module")
def resumed_sweep(tmp_path_factory):
    """Start the sweep, SIGKILL its whole process group once the first job is complete, then run the same
    command again. Returns what each step saw."""
    sweep_dir = tmp_path_factory.mktemp("sweep") / "s"
    log = sweep_dir.parent / "first.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(sweep_command(sweep_dir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 300
        while not complete_jobs(sweep_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep's own process group: the launcher and its workers
        proc.wait(timeout=60)
    before = complete_jobs(sweep_dir)
    mtimes = {name: (sweep_dir / name / "manifest.json").stat().st_mtime_ns for name in before}
    from sim.sweep import collect

    killed = collect(sweep_dir).jobs
    second = subprocess.run(sweep_command(sweep_dir), capture_output=True, text=True, timeout=600)
    return {"dir": sweep_dir, "before": before, "mtimes": mtimes, "second": second, "first_log": log.read_text(),
            "killed": killed}


def test_a_killed_sweep_resumes_without_redoing_finished_jobs(resumed_sweep):
    before, second, sweep_dir = resumed_sweep["before"], resumed_sweep["second"], resumed_sweep["dir"]
    assert 1 <= len(before) < len(LABELS) * len(SEEDS), \
        f"the kill must come after the first job and before the last: {sorted(before)}\n{resumed_sweep['first_log']}"
    assert second.returncode == 0, second.stdout + second.stderr
    after = complete_jobs(sweep_dir)
    assert sorted(after) == sorted(job(p, s) for p in LABELS for s in SEEDS)
    for name, manifest in before.items():
        assert f"{name}: already complete, skipped" in second.stdout
        assert (sweep_dir / name / "manifest.json").stat().st_mtime_ns == resumed_sweep["mtimes"][name]
        assert after[name]["started"] == manifest["started"] and after[name]["tables"] == manifest["tables"]
    redone = set(after) - set(before)
    assert len(re.findall(r"already complete, skipped", second.stdout)) == len(before)
    for name in redone:
        assert re.search(rf"\[\d+/6\] {re.escape(name)}: wellbeing [+-]\d\.\d{{3}} SD", second.stdout), second.stdout
    assert "6 of 6 jobs complete" in second.stdout
    # Collected right after the kill: the finished jobs are complete, the others running (killed) or missing.
    killed = resumed_sweep["killed"].set_index("job")["status"]
    assert sorted(killed.index) == sorted(after)
    assert set(killed[killed == "complete"].index) == set(before)
    assert set(killed[killed != "complete"]) <= {"running", "missing"}


def test_the_sweep_tables_hold_every_job(resumed_sweep):
    sweep_dir = resumed_sweep["dir"]
    summary = json.loads((sweep_dir / "sweep.json").read_text())
    assert summary["status"] == "complete" and summary["counts"]["complete"] == 6
    assert summary["labels"] == sorted(LABELS) and summary["seeds"] == list(SEEDS)
    daily = pd.read_parquet(sweep_dir / "sweep_daily.parquet")
    assert list(daily.columns[:3]) == ["job", "label", "seed"]
    assert daily.groupby(["label", "seed"]).size().to_dict() == {(p, s): 3 * 5 for p in LABELS for s in SEEDS}
    for name, manifest in complete_jobs(sweep_dir).items():
        own = pd.read_parquet(sweep_dir / name / "daily.parquet")
        mine = daily[daily["job"] == name].drop(columns=["job", "label", "seed"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, own)
        assert (daily[daily["job"] == name]["label"] == manifest["label"]).all()
    users = pd.read_parquet(sweep_dir / "sweep_users.parquet")
    assert len(users) == 6 * 300
    jobs = pd.read_parquet(sweep_dir / "sweep_jobs.parquet")
    assert (jobs["status"] == "complete").all() and len(jobs) == 6


def test_the_report_fills_every_section_from_the_runs(resumed_sweep):
    sweep_dir = resumed_sweep["dir"]
    proc = subprocess.run([sys.executable, "-m", "sim.report", str(sweep_dir), "--baseline", BASELINE,
                           "--population", "17000000"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = sweep_dir / "report"
    html = (out / "report.html").read_text()
    report = (out / "report.md").read_text()
    for title in ("Summary", "Time series", "Effects against the baseline", "Engagement and wellbeing",
                  "Societal value", "Methods appendix"):
        assert f"<h2>{title}</h2>" in html and f"## {title}" in report
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3 and all(len(i) > 10_000 for i in images)
    for name in ("time_series.png", "wellbeing_effects.png", "trade_off.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(figures/{name})" in report
    assert "src=\"http" not in html and "<script" not in html

    # The quoted effect equals the paired difference computed here from the job directories themselves.
    diffs = []
    for seed in SEEDS:
        means = {}
        for label in LABELS:
            d = pd.read_parquet(sweep_dir / job(label, seed) / "daily.parquet")
            means[label] = d[d["group"] == "all"]["wellbeing"].mean()  # 3 days: the window is the whole run
        diffs.append(means[ALTERNATIVE] - means[BASELINE])
    effect = sum(diffs) / len(diffs)
    quoted = re.search(rf"\| {re.escape(md(ALTERNATIVE))} \| everyone \| ([+-]\d\.\d{{3}}) \\\[([+-]\d\.\d{{3}}), "
                       rf"([+-]\d\.\d{{3}})\\\] \| 3 \|", report)
    assert quoted, report
    assert float(quoted.group(1)) == pytest.approx(effect, abs=5e-4)
    assert float(quoted.group(2)) < float(quoted.group(1)) < float(quoted.group(3))
    effects = pd.read_csv(out / "effects.csv")
    row = effects[(effects["label"] == ALTERNATIVE) & (effects["group"] == "all") & (effects["outcome"] == "wellbeing")]
    assert row["effect"].iloc[0] == pytest.approx(effect, rel=1e-9)
    for group in ("everyone", "adolescents (13-17)", "young adults (18-25)", "adults (26+)", "vulnerable users"):
        assert re.search(rf"\| {re.escape(md(ALTERNATIVE))} \| {re.escape(group)} \| [+-]\d\.\d{{3}} \\\[", report), group
    # Societal value: effect x 17.3 % per SD x EUR 28.86 per % per person per year.
    per_person = effect * (100 * 8.79 / 50.7) * 28.86
    assert f"EUR {per_person:+,.2f}" in report
    # Methods: seeds, versions, commit, jobs, and the settings in which the labels differ.
    assert all(f"| {md(label)} | 0-2 |" in report for label in LABELS)
    assert "| numba |" in report and "Git commit(s) of the runs:" in report
    differences = report.split("Settings in which each label differs from")[1].split("Full configuration")[0]
    assert re.search(rf"\| {re.escape(md(ALTERNATIVE))} \| [\w.\\]+ \| ", differences), differences
    assert "Every planned job completed" in report
    assert "n/a" not in report and "no CI" not in report


def test_the_report_refuses_bad_input_with_one_line_and_writes_nothing(resumed_sweep, tmp_path, capsys):
    from sim.report.__main__ import main

    sweep_dir = resumed_sweep["dir"]
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([str(sweep_dir), "--baseline", "no_such_label"], ["--baseline 'no_such_label'", ", ".join(sorted(LABELS))]),
        ([str(empty), "--baseline", BASELINE], ["is not a sweep directory", "python -m sim -m"]),
        ([str(tmp_path / "nowhere"), "--baseline", BASELINE], ["does not exist"]),
        ([str(sweep_dir), "--baseline", BASELINE, "--last-days", "9"], ["--last-days 9", "between 1 and"]),
        ([str(sweep_dir), "--baseline", BASELINE, "--population", "0"], ["--population 0"]),
    ]
    out = tmp_path / "report-out"
    proc = subprocess.run([sys.executable, "-m", "sim.report", *cases[0][0], "--out", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and cases[0][1][0] in proc.stderr, proc.stderr
    for args, words in cases:
        with pytest.raises(SystemExit) as exit_code:
            sys.exit(main([*args, "--out", str(out)]))
        assert exit_code.value.code == 2, args
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
        for w in words:
            assert w in lines[0], (w, lines[0])
        assert not out.exists() and not list(tmp_path.glob(".report-out*"))


def test_a_sweep_on_a_local_ray_instance_gives_the_same_tables(resumed_sweep, tmp_path):
    import ray  # noqa: F401  (installed with the dev extras: feedsim[ray])

    ray_dir = tmp_path / "ray"
    proc = subprocess.run(sweep_command(ray_dir, "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
                                        "+hydra.launcher.ray.init.include_dashboard=false"),
                          capture_output=True, text=True, timeout=600, env={**os.environ, "RAY_DEDUP_LOGS": "0"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Started a local Ray instance" in proc.stdout + proc.stderr
    on_ray = complete_jobs(ray_dir)
    on_joblib = complete_jobs(resumed_sweep["dir"])
    assert sorted(on_ray) == sorted(on_joblib) and len(on_ray) == 6
    for name in on_joblib:
        assert on_ray[name]["tables"] == on_joblib[name]["tables"], name
    plan = json.loads((ray_dir / "sweep_plan.json").read_text())
    assert plan["launcher"] == "RayLauncher"


def test_the_submitit_launcher_runs_the_same_jobs(resumed_sweep, tmp_path):
    """hydra/launcher=submitit_slurm needs a SLURM cluster; its local twin runs the same code path
    (pickled job, separate process per job) on this machine."""
    local = tmp_path / "submitit"
    proc = subprocess.run(sweep_command(local, "hydra/launcher=submitit_local", seeds="range(0,1)"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    on_joblib = complete_jobs(resumed_sweep["dir"])
    jobs = complete_jobs(local)
    assert sorted(jobs) == sorted(job(p, 0) for p in LABELS)
    for name, manifest in jobs.items():
        assert manifest["tables"] == on_joblib[name]["tables"], name
    from sim.config import compose_unchecked

    slurm = compose_unchecked(["hydra/launcher=submitit_slurm"], with_hydra=True).hydra.launcher
    assert slurm._target_.endswith("SlurmLauncher") and "partition" in slurm


def test_one_failing_job_does_not_stop_the_others_and_a_rerun_finishes_it(tmp_path):
    sweep_dir = tmp_path / "s"
    # An obstacle where the first job writes its daily table: a directory in place of the temporary file.
    failing, others = job(BASELINE), sorted([job(ALTERNATIVE), job(THIRD)])
    obstacle = sweep_dir / failing / "daily.parquet.tmp"
    obstacle.mkdir(parents=True)
    command = sweep_command(sweep_dir, axis=f"{AXIS}={BASELINE},{ALTERNATIVE},{THIRD}", seeds="0")
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 1, first.stdout + first.stderr
    assert re.search(rf"\[\d/3\] {re.escape(failing)}: FAILED IsADirectoryError", first.stdout), first.stdout
    assert re.search(rf"FAILED\s+{re.escape(failing)}: IsADirectoryError", first.stdout), first.stdout
    assert "2 of 3 jobs complete" in first.stdout
    done = complete_jobs(sweep_dir)
    assert sorted(done) == others
    failed = manifests(sweep_dir)[failing]
    assert failed["status"] == "failed" and "IsADirectoryError" in failed["error"] and failed["traceback"]
    jobs = pd.read_parquet(sweep_dir / "sweep_jobs.parquet").set_index("job")
    assert jobs.loc[failing, "status"] == "failed"
    assert json.loads((sweep_dir / "sweep.json").read_text())["status"] == "incomplete"

    # The report of the partial sweep says which job failed and that one seed gives no interval.
    made = subprocess.run([sys.executable, "-m", "sim.report", str(sweep_dir), "--baseline", ALTERNATIVE],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    report = (sweep_dir / "report" / "report.md").read_text()
    assert f"Fewer than 2 seeds for {md(ALTERNATIVE)}, {md(THIRD)}" in report and "(no CI: 1 seed)" in report
    assert re.search(rf"{re.escape(md(failing))}: failed \(IsADirectoryError", report), report
    assert f"| {md(THIRD)} | everyone |" in report and f"| {md(BASELINE)} | everyone |" not in report

    obstacle.rmdir()
    mtimes = {name: (sweep_dir / name / "manifest.json").stat().st_mtime_ns for name in done}
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert sorted(complete_jobs(sweep_dir)) == sorted([failing, *others])
    for name, mtime in mtimes.items():
        assert (sweep_dir / name / "manifest.json").stat().st_mtime_ns == mtime
        assert f"{name}: already complete, skipped" in second.stdout

    # A table changed after its run no longer matches its manifest: the name is redone, and the old
    # files are kept under superseded/.
    tampered = sweep_dir / job(ALTERNATIVE)
    changed = pd.read_parquet(tampered / "daily.parquet")
    changed.loc[0, "wellbeing"] += 1.0
    changed.to_parquet(tampered / "daily.parquet", index=False)
    third = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stdout + third.stderr
    assert f"{job(ALTERNATIVE)}: previous run moved to" in third.stdout and "does not match the hash" in third.stdout
    [kept] = list((tampered / "superseded").iterdir())
    assert pd.read_parquet(kept / "daily.parquet").equals(changed)
    redone = complete_jobs(sweep_dir)[job(ALTERNATIVE)]
    assert redone["tables"] == json.loads((kept / "manifest.json").read_text())["tables"]


def _descendants(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *_descendants(int(child))]
    return out


def test_a_worker_killed_outright_still_leaves_the_finished_jobs_collected(tmp_path):
    """A job process that dies (out of memory, a segfault) breaks the joblib launcher; the finished jobs
    are collected all the same and the sweep exits 1."""
    sweep_dir = tmp_path / "s"
    proc = subprocess.Popen(sweep_command(sweep_dir, seeds="range(0,2)"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not complete_jobs(sweep_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [p for p in _descendants(proc.pid)
                   if b"LokyProcess" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert workers, "no joblib worker found"
        os.kill(workers[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1
    assert "the launcher stopped before the end of the sweep" in err
    done = complete_jobs(sweep_dir)
    summary = json.loads((sweep_dir / "sweep.json").read_text())
    assert 1 <= summary["counts"]["complete"] == len(done) < 4 and summary["status"] == "incomplete"
    assert {p["job"] for p in summary["problems"]} == {job(p, s) for p in LABELS for s in (0, 1)} - set(done)
    daily = pd.read_parquet(sweep_dir / "sweep_daily.parquet")
    assert set(daily["job"]) == set(done)
