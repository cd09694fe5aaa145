"""Sweeps end to end: a sweep of 2 labels x 3 seeds on a small population, killed midway and resumed
without redoing finished jobs; its sweep tables; its report; the same sweep with Hydra's basic launcher
and on a local Ray instance giving identical tables; and a failing job that does not stop the others.

The sweep and its labels are in tests/sweeps.py; the ``resumed_sweep`` fixture (tests/conftest.py) makes it once."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.sweeps import (
    ALTERNATIVE,
    AXIS,
    BASELINE,
    LABELS,
    REPORT_SECTIONS,
    SEEDS,
    THIRD,
    complete_jobs,
    job,
    manifests,
    sweep_command,
)

pytestmark = pytest.mark.xdist_group("sweeps")


def md(text: str) -> str:
    from sim.report.document import md_escape

    return md_escape(text)


def test_a_killed_sweep_resumes_without_redoing_finished_jobs(resumed_sweep):
    before, second, sweep_dir = resumed_sweep["before"], resumed_sweep["second"], resumed_sweep["dir"]
    assert 1 <= len(before) < len(LABELS) * len(SEEDS), (
        f"the kill must come after the first job and before the last: {sorted(before)}\n{resumed_sweep['first_log']}"
    )
    assert second.returncode == 0, second.stdout + second.stderr
    after = complete_jobs(sweep_dir)
    assert sorted(after) == sorted(job(p, s) for p in LABELS for s in SEEDS)
    for name, manifest in before.items():
        assert f"{name}: already complete, skipped" in second.stdout
        assert (sweep_dir / name / "manifest.json").stat().st_mtime_ns == resumed_sweep["mtimes"][name]
        assert after[name]["started"] == manifest["started"] and after[name]["tables"] == manifest["tables"]
    redone = set(after) - set(before)
    assert len(re.findall(r"already complete, skipped", second.stdout)) == len(before)
    assert len(re.findall(r"^\[skip\] ", second.stdout, re.M)) == len(before), second.stdout  # no "[6/6]" on skips
    for name in redone:
        assert re.search(rf"\[\d+/6\] {re.escape(name)}: wellbeing [+-]\d\.\d{{3}} SD", second.stdout), second.stdout
    assert "6 of 6 jobs complete" in second.stdout
    # the sweep's own first line says what runs where; the joblib launcher's settings are not logged (conf/config.yaml)
    assert f"sweep of 6 jobs -> {sweep_dir}" in second.stdout and "Joblib.Parallel" not in second.stdout
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
    proc = subprocess.run(
        [sys.executable, "-m", "sim.report", str(sweep_dir), "--baseline", BASELINE, "--population", "17000000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = sweep_dir / "report"
    html = (out / "report.html").read_text()
    report = (out / "report.md").read_text()
    for title in REPORT_SECTIONS:
        assert f"<h2>{title}</h2>" in html and f"## {title}" in report
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3 and all(len(i) > 10_000 for i in images)
    for name in ("time_series.png", "wellbeing_effects.png", "trade_off.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(figures/{name})" in report
    assert 'src="http' not in html and "<script" not in html

    # The quoted effect equals the paired difference computed here from the job directories themselves.
    diffs = []
    for seed in SEEDS:
        means = {}
        for label in LABELS:
            d = pd.read_parquet(sweep_dir / job(label, seed) / "daily.parquet")
            means[label] = d[d["group"] == "all"]["wellbeing"].mean()  # 3 days: the window is the whole run
        diffs.append(means[ALTERNATIVE] - means[BASELINE])
    effect = sum(diffs) / len(diffs)
    quoted = re.search(
        rf"\| {re.escape(md(ALTERNATIVE))} \| everyone \| ([+-]\d\.\d{{3}}) \\\[([+-]\d\.\d{{3}}), "
        rf"([+-]\d\.\d{{3}})\\\] \| 3 \|",
        report,
    )
    assert quoted, report
    assert float(quoted.group(1)) == pytest.approx(effect, abs=5e-4)
    assert float(quoted.group(2)) < float(quoted.group(1)) < float(quoted.group(3))
    effects = pd.read_csv(out / "effects.csv")
    row = effects[(effects["label"] == ALTERNATIVE) & (effects["group"] == "all") & (effects["outcome"] == "wellbeing")]
    assert row["effect"].iloc[0] == pytest.approx(effect, rel=1e-9)
    for group in ("everyone", "adolescents (13-17)", "young adults (18-25)", "adults (26+)", "vulnerable users"):
        assert re.search(rf"\| {re.escape(md(ALTERNATIVE))} \| {re.escape(group)} \| [+-]\d\.\d{{3}} \\\[", report), (
            group
        )
    # In brief: the effect in words with its interval, and the warnings this small sweep deserves.
    brief = report.split("## In brief")[1].split("## Summary")[0]
    said = re.search(rf"{re.escape(md(ALTERNATIVE))} against {re.escape(md(BASELINE))}, for everyone: (.*)", brief)
    assert said, brief
    words = re.search(r"wellbeing (higher|lower|no clear change), ([+-]\d\.\d{3}) SD \[", said.group(1))
    assert words and float(words.group(2)) == pytest.approx(effect, abs=5e-4), said.group(1)
    assert "time on the platform" in said.group(1) and "min/night" in said.group(1)
    for warning in ("Only 3 seeds", "300 users is below", "3 days is shorter", "F1 ("):
        assert warning in brief, warning
    # Societal value: effect x 17.3 % per SD x EUR 28.86 per % per person per year, to two significant figures.
    per_person = effect * (100 * 8.79 / 50.7) * 28.86
    societal = report.split("## Societal value")[1].split("## Methods")[0]
    row = next(line for line in societal.splitlines() if line.startswith(f"| {md(ALTERNATIVE)} |"))
    shown = float(re.search(r"EUR ([+-][\d.]+) ", row.split("|")[4]).group(1))
    assert shown == pytest.approx(per_person, rel=0.05) and len(re.sub(r"\D", "", f"{shown:g}").lstrip("0")) <= 2, row
    assert all(re.search(r"EUR [^\[]+ \\\[EUR [^,]+, EUR .+\\\]", cell) for cell in row.split("|")[4:-1]), (
        row
    )  # split too
    # The report can be shared, and its command pasted into a shell.
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == 0o777 & ~umask
    command = json.loads((sweep_dir / "sweep_plan.json").read_text())["command"]
    assert subprocess.run(["bash", "-n", "-c", command]).returncode == 0, command
    assert "seed=range(0,3)" in shlex.split(command), command
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
    proc = subprocess.run(
        [sys.executable, "-m", "sim.report", *cases[0][0], "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
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


def test_a_job_of_the_sweep_reproduces_under_sim_verify(resumed_sweep):
    """A job run by a joblib worker (threads shared with other jobs) is rerun here, alone, from its manifest."""
    from sim.verify import report, verify

    v = verify(resumed_sweep["dir"] / job(ALTERNATIVE, 1))
    assert v.reproduced, report(v)
    assert [t.name for t in v.tables] == ["daily", "users", "posts"] and all(t.rerun_rows > 0 for t in v.tables)


EVIL_LABEL = '<script>alert("label")</script> *bold* | [x](javascript:y)'
EVIL_COMMAND = "<img src=x onerror=alert(1)> & rest"


def test_the_report_escapes_labels_and_every_recorded_string(resumed_sweep, tmp_path):
    """Labels (free text, label=...) and what the sweep recorded (its command, a failed job's error) reach the
    report only escaped: no markup from them in the HTML, no raw HTML or table-breaking pipe in the Markdown."""
    import shutil

    from sim.report.__main__ import main

    sweep_dir = tmp_path / "evil"
    shutil.copytree(resumed_sweep["dir"], sweep_dir, ignore=shutil.ignore_patterns("report", "superseded"))
    for name in [job(ALTERNATIVE, s) for s in SEEDS]:
        path = sweep_dir / name / "manifest.json"
        m = json.loads(path.read_text())
        m["label"] = m["config"]["label"] = EVIL_LABEL
        path.write_text(json.dumps(m))
    broken = sweep_dir / job(BASELINE, 2) / "manifest.json"
    m = json.loads(broken.read_text())
    broken.write_text(json.dumps({**m, "status": "failed", "error": f"OSError: {EVIL_COMMAND}"}))
    plan = json.loads((sweep_dir / "sweep_plan.json").read_text())
    (sweep_dir / "sweep_plan.json").write_text(json.dumps({**plan, "command": EVIL_COMMAND}))
    out = tmp_path / "report"
    assert main([str(sweep_dir), "--baseline", BASELINE, "--out", str(out)]) == 0
    page, md_text = (out / "report.html").read_text(), (out / "report.md").read_text()
    assert "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;" in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; rest" in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;") >= 3  # summary, effects and trade-off tables at least
    assert "<script" not in md_text and "<img src=x" not in md_text
    assert md(EVIL_LABEL) in md_text and "\\| \\[x\\](javascript:y)" in md_text
    tables, current = [], []  # a label in a table row stays one cell: every row has the header's cells
    for line in md_text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(len(re.findall(r"(?<!\\)\|", line)))
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 3 and all(len(set(t)) == 1 for t in tables), tables
    assert sum(md(EVIL_LABEL) in line for line in md_text.splitlines() if line.startswith("|")) >= 3


def test_a_sweep_directory_holds_no_pickle(resumed_sweep):
    """A sweep killed and resumed (and reported on, if that test ran first): its tables and manifests are
    Parquet and JSON; besides them only Hydra's YAML, logs and the report's own files."""
    from tests.conftest import assert_no_pickle

    files = assert_no_pickle(resumed_sweep["dir"])
    suffixes = {p.suffix for p in files}
    assert {".parquet", ".json"} <= suffixes
    assert not any(p.name.endswith(".tmp") for p in files)


def test_a_sweep_on_a_local_ray_instance_gives_the_same_tables(resumed_sweep, tmp_path):
    import ray  # noqa: F401  (installed with the dev extras: feedsim[ray])

    ray_dir = tmp_path / "ray"
    proc = subprocess.run(
        sweep_command(
            ray_dir,
            "hydra/launcher=ray",
            "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.include_dashboard=false",
            seeds="range(0,1)",  # two jobs: Ray's start-up is the cost, and one seed per label shows the same tables
        ),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "RAY_DEDUP_LOGS": "0"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Started a local Ray instance" in proc.stdout + proc.stderr
    on_ray = complete_jobs(ray_dir)
    on_joblib = complete_jobs(resumed_sweep["dir"])
    assert sorted(on_ray) == sorted(job(p, 0) for p in LABELS)
    for name in on_ray:
        assert on_ray[name]["tables"] == on_joblib[name]["tables"], name
    plan = json.loads((ray_dir / "sweep_plan.json").read_text())
    assert plan["launcher"] == "RayLauncher"


def test_the_basic_launcher_gives_the_same_tables_as_joblib(resumed_sweep, tmp_path):
    """Hydra's basic launcher runs the jobs one after the other in this process, each with all cores' Numba
    threads; joblib runs them in parallel worker processes that share the cores: the tables are identical."""
    basic = tmp_path / "basic"
    proc = subprocess.run(
        sweep_command(basic, "hydra/launcher=basic", seeds="range(0,2)"), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((basic / "sweep_plan.json").read_text())["launcher"] == "BasicLauncher"
    on_joblib = complete_jobs(resumed_sweep["dir"])
    jobs = complete_jobs(basic)
    assert sorted(jobs) == sorted(job(p, s) for p in LABELS for s in (0, 1))
    for name, manifest in jobs.items():
        assert manifest["tables"] == on_joblib[name]["tables"], name


def test_the_submitit_launcher_runs_the_same_jobs(resumed_sweep, tmp_path):
    """hydra/launcher=submitit_slurm needs a SLURM cluster; its local twin runs the same code path
    (pickled job, separate process per job) on this machine."""
    local = tmp_path / "submitit"
    proc = subprocess.run(
        sweep_command(local, "hydra/launcher=submitit_local", seeds="range(0,1)"),
        capture_output=True,
        text=True,
        timeout=600,
    )
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
    # An obstacle where the first job writes its daily table: a directory in place of the table.
    failing, others = job(BASELINE), sorted([job(ALTERNATIVE), job(THIRD)])
    obstacle = sweep_dir / failing / "daily.parquet"
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
    made = subprocess.run(
        [sys.executable, "-m", "sim.report", str(sweep_dir), "--baseline", ALTERNATIVE],
        capture_output=True,
        text=True,
        timeout=300,
    )
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
    are collected all the same and the sweep exits 1. No unfinished job can be read as a result, and the
    same command run again completes the sweep without redoing the finished jobs."""
    from sim.results import ResultsError, load

    sweep_dir = tmp_path / "s"
    command = sweep_command(sweep_dir, seeds="range(0,2)")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not complete_jobs(sweep_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [p for p in _descendants(proc.pid) if b"LokyProcess" in Path(f"/proc/{p}/cmdline").read_bytes()]
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
    unfinished = [d for d in sweep_dir.iterdir() if d.is_dir() and d.name not in done and "=" in d.name]
    for d in unfinished:  # the killed job (and any not started): whatever it wrote, it is not a result
        with pytest.raises(ResultsError, match="is not a complete run"):
            load(d)

    mtimes = {name: (sweep_dir / name / "manifest.json").stat().st_mtime_ns for name in done}
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "4 of 4 jobs complete" in again.stdout
    assert sorted(complete_jobs(sweep_dir)) == sorted(job(p, s) for p in LABELS for s in (0, 1))
    for name, mtime in mtimes.items():
        assert f"{name}: already complete, skipped" in again.stdout
        assert (sweep_dir / name / "manifest.json").stat().st_mtime_ns == mtime
    assert not list(sweep_dir.glob("*/*.tmp"))  # an interrupted write is cleaned up when its job is redone
    for name in complete_jobs(sweep_dir):
        load(sweep_dir / name, verify=True)


FAULTY_DISK = '''
"""python -m sim with a disk that fails for some jobs (basic launcher: the jobs run in this process)."""
import errno
import sys

from sim import results

original_table, original_bytes = results.write_table, results._atomic_write_bytes


def write_table(run_dir, name, df):
    if "{full}" in str(run_dir) and name == "users":  # the disk fills up halfway through a table
        (run_dir / "users.parquet.tmp").write_bytes(b"PAR1 half a table")
        raise OSError(errno.ENOSPC, "No space left on device", str(run_dir / "users.parquet.tmp"))
    if "{read_only}" in str(run_dir):
        raise OSError(errno.EROFS, "Read-only file system", str(run_dir / f"{{name}}.parquet.tmp"))
    return original_table(run_dir, name, df)


def atomic_write_bytes(path, data):
    if "{read_only}" in str(path) and b'"status": "running"' not in data:  # only the first manifest got out
        raise OSError(errno.EROFS, "Read-only file system", str(path))
    return original_bytes(path, data)


results.write_table, results._atomic_write_bytes = write_table, atomic_write_bytes
from sim.__main__ import main

sys.argv = ["python -m sim", *sys.argv[1:]]
main()
'''


def test_a_failing_disk_loses_no_finished_job_leaves_no_table_and_a_rerun_completes(tmp_path):
    """One job's disk fills up while it writes a table; another job's target turns read-only after its run
    started, so even its failure cannot be recorded. Finished jobs are kept, no table that looks complete is
    left, the failures are listed, and the same command run again (disk repaired) completes the sweep."""
    sweep_dir = tmp_path / "s"
    full, read_only, fine = job(BASELINE), job(ALTERNATIVE), job(THIRD)
    script = tmp_path / "faulty_disk.py"
    script.write_text(FAULTY_DISK.format(full=full, read_only=read_only))
    args = sweep_command(sweep_dir, "hydra/launcher=basic", axis=f"{AXIS}={BASELINE},{ALTERNATIVE},{THIRD}", seeds="0")[
        3:
    ]  # after "python -m sim"
    first = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=600)
    assert first.returncode == 1, first.stdout + first.stderr
    assert re.search(rf"{re.escape(full)}: FAILED OSError: \[Errno 28\] No space left on device", first.stdout)
    assert re.search(rf"{re.escape(read_only)}: FAILED OSError: \[Errno 30\] Read-only file system", first.stdout)
    assert f"could not mark {sweep_dir / read_only} failed" in first.stderr
    assert "1 of 3 jobs complete" in first.stdout
    assert sorted(complete_jobs(sweep_dir)) == [fine]
    for name in (full, read_only):  # nothing that looks like a table, finished or not
        assert not list((sweep_dir / name).glob("*.parquet*")), name
    status = manifests(sweep_dir)
    assert status[full]["status"] == "failed" and "No space left" in status[full]["error"]
    assert status[read_only]["status"] == "running"  # the failure could not be written: read as unfinished
    jobs = pd.read_parquet(sweep_dir / "sweep_jobs.parquet").set_index("job")["status"].to_dict()
    assert jobs == {full: "failed", read_only: "running", fine: "complete"}
    from sim.results import ResultsError, load

    for name in (full, read_only):
        with pytest.raises(ResultsError, match="is not a complete run: status is"):
            load(sweep_dir / name)

    fine_mtime = (sweep_dir / fine / "manifest.json").stat().st_mtime_ns
    second = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{fine}: already complete, skipped" in second.stdout and "3 of 3 jobs complete" in second.stdout
    assert (sweep_dir / fine / "manifest.json").stat().st_mtime_ns == fine_mtime
    assert sorted(complete_jobs(sweep_dir)) == sorted([full, read_only, fine])
    assert not list(sweep_dir.glob("*/*.tmp"))
