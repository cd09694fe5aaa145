"""The performance benchmark of issue 6: throughput, scaling, memory, start-up and the ratio against the
per-agent pure-Python oracle (``sim/testing/oracle.py``). Writes ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/run.py                 # 1e3, 1e4, 1e5 users, engagement and civic
    .venv/bin/python benchmarks/run.py --full          # also 1e6 users
    .venv/bin/python benchmarks/run.py --sizes 200 --repeats 1 --hours 2 --out /tmp/R.md   # a smoke run
    .venv/bin/python benchmarks/run.py --peers-only    # only the section against T-RECS and Mesa (peers.py)

Each (rule, size) runs in a subprocess of its own, so that its peak resident memory (``ru_maxrss``) is its
own. In it the model is built (with ``offline_days`` burn-in days, not timed as the step), one simulated
day is run untimed (the post ring fills and the kernels are loaded), then ``--repeats`` windows of
``--hours`` hours are timed; the table gives the median and the range over the windows. A window is a
whole day by default so that every window has the same mix of night and day hours. The phase timer
(``sim/profiling.py``) splits each window into the phases of ``FeedModel.step``.

Start-up: for each rule, a subprocess with an empty Numba cache directory imports ``sim``, builds a
1,000-user model without burn-in and simulates its first hour (cold: every kernel the run uses is
compiled); a second subprocess does the same with the cache the first left (warm). The difference is
the compilation time.

Oracle: a model of ``--oracle-users`` users is run with the engine to the timed window's start, copied
into the oracle, and both step the same ``--oracle-hours`` hours from the same state; the ratio is of
their times per user-hour. The oracle is slow, so the window is short (by default the two midday hours
of day 1, hours of high use); the engine's time over the same hours is the comparison.

``--analysis FILE`` (default ``benchmarks/analysis.md`` when present) is appended as written: the
discussion of the figures (bottlenecks, plans) by whoever ran the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import peers
from machine_info import git_commit, machine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (1_000, 10_000, 100_000)
FULL_SIZE = 1_000_000
POLICIES = ("engagement", "civic")

# Targets of issue 6
TARGET_THROUGHPUT = 1_000_000  # user-hours per second at 1e6 users, engagement
TARGET_CIVIC_SHARE = 0.8  # civic within 20% of engagement
TARGET_SCALING = 1.3  # cost per user-hour at 1e6 over that at 1e4
TARGET_PEAK_GB = 4.0
TARGET_ORACLE_RATIO = 100.0
TARGET_COLD_S = 20.0
TARGET_WARM_S = 2.0


# ------------------------------------------------------------------------------------------------
# workers (run in subprocesses)


# "<rule>@reference" in --policies: the rule run by the engine of another checkout (``--reference DIR``, e.g.
# ``git worktree add /tmp/ref <commit>``) with that checkout's own defaults, in the same invocation, so that
# two versions of the engine are measured side by side on one machine under the same load.
REFERENCE = "@reference"


def _overrides(n: int, policy: str, offline_days: int, days: int) -> list[str]:
    rule = policy.removesuffix(REFERENCE)
    return [
        f"n_users={n}",
        f"policy={rule}",
        f"offline_days={offline_days}",
        f"days={days}",
        "seed=0",
        "progress=false",
    ]


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def worker_throughput(n: int, policy: str, repeats: int, hours: int, offline_days: int, warmup_hours: int = 24) -> dict:
    from sim.config import compose
    from sim.model import FeedModel
    from sim.profiling import PhaseTimer
    from sim.runner import set_threads

    cfg = compose(_overrides(n, policy, offline_days, (warmup_hours + repeats * hours + 23) // 24))
    set_threads(int(cfg.threads))
    t0 = time.perf_counter()
    model = FeedModel(cfg)
    setup_s = time.perf_counter() - t0
    rss_after_setup = _peak_rss_bytes()
    for _ in range(warmup_hours):  # untimed: the post ring fills
        model.step()
    windows, phases = [], []
    for _ in range(repeats):
        timer = PhaseTimer()
        model.phase_timer = timer
        t0 = time.perf_counter()
        for _ in range(hours):
            model.step()
        windows.append(time.perf_counter() - t0)
        phases.append(dict(timer.seconds))
        model.phase_timer = None
    u, g, p = model.users, model.graph, model.posts
    return {
        "n": n,
        "policy": policy,
        "hours": hours,
        "repeats": repeats,
        "warmup_hours": warmup_hours,
        "setup_s": setup_s,
        "windows_s": windows,
        "phases_s": phases,
        "peak_rss": _peak_rss_bytes(),
        "peak_rss_setup": rss_after_setup,
        "user_bytes": int(u.nbytes),
        "graph_bytes": int(g.nbytes),
        "edges": int(g.n_edges),
        "post_bytes": int(p.nbytes),
        "post_capacity": int(p.capacity),
        "posts_live": int((p.post_id >= 0).sum()),
        "posts_total": int(p.next_id),
    }


def worker_startup(n: int, policy: str) -> dict:
    """One run's start-up: import, compose the configuration, build an ``n``-user model without burn-in
    (burn-in days are simulated hours, measured as throughput) and simulate the first hour."""
    t0 = time.perf_counter()
    from sim.config import compose
    from sim.model import FeedModel

    t1 = time.perf_counter()
    cfg = compose(_overrides(n, policy, 0, 1))
    t2 = time.perf_counter()
    model = FeedModel(cfg)
    t3 = time.perf_counter()
    model.step()
    t4 = time.perf_counter()
    return {
        "policy": policy,
        "import_s": t1 - t0,
        "compose_s": t2 - t1,
        "build_s": t3 - t2,
        "first_hour_s": t4 - t3,
        "total_s": t4 - t0,
        "first_hour_done_epoch": time.time(),
    }


def worker_oracle(n: int, hours: int, start_hour: int, offline_days: int) -> dict:
    from sim.config import compose
    from sim.model import FeedModel
    from sim.testing.oracle import Oracle

    # the oracle covers the "oracle" engagement model, so both run it (the default learns: engagement_model.py)
    model = FeedModel(compose([*_overrides(n, "engagement", offline_days, 2), "platform.engagement_model.kind=oracle"]))
    while model.hour < start_hour:
        model.step()
    oracle = Oracle(model)  # a copy of the state: the oracle does not share arrays with the engine
    t0 = time.perf_counter()
    for _ in range(hours):
        model.step()
    engine_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(hours):
        oracle.step()
    oracle_s = time.perf_counter() - t0
    return {"n": n, "hours": hours, "start_hour": start_hour, "engine_s": engine_s, "oracle_s": oracle_s}


def _run_worker(kind: str, args: dict, env: dict | None = None, cwd: Path = ROOT) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--worker-args", json.dumps(args)]
    t0, start_epoch = time.perf_counter(), time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {kind} {args} failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    if "first_hour_done_epoch" in out:  # start-up: from launching the process to the end of its first hour
        out["to_first_hour_s"] = out["first_hour_done_epoch"] - start_epoch
    return out


# ------------------------------------------------------------------------------------------------
# report


def _fmt_n(n: int) -> str:
    return f"{n:,}"


def _gb(b: float) -> str:
    return f"{b / 1e9:.2f} GB"  # decimal gigabytes (10^9 bytes), as the target is stated


def summarise(r: dict) -> dict:
    per_hour = [w / r["hours"] for w in r["windows_s"]]
    med = statistics.median(per_hour)
    uh = r["n"] / med
    return {
        "s_per_hour": med,
        "min": min(per_hour),
        "max": max(per_hour),
        "user_hours_per_s": uh,
        "us_per_user_hour": 1e6 / uh,
    }


def phase_shares(r: dict) -> dict[str, float]:
    tot: dict[str, float] = {}
    for ph in r["phases_s"]:
        for k, v in ph.items():
            tot[k] = tot.get(k, 0.0) + v
    s = sum(tot.values()) or 1.0
    return {k: v / s for k, v in tot.items()}


def render(
    mach: dict, results: list[dict], startup: dict | None, oracle: dict | None, settings: dict, analysis: str | None
) -> str:
    L = [
        "# Benchmark results",
        "",
        f"Written by `benchmarks/run.py` on {mach['date']} at commit `{mach['commit']}`."
        + (
            f" Rules marked `{REFERENCE}` ran the engine of commit `{mach['reference_commit']}` with its own defaults"
            " (a second checkout, `--reference`), in the same invocation."
            if mach.get("reference_commit")
            else ""
        ),
        "",
        "## Machine",
        "",
        f"- CPU: {mach['cpu']}, {mach['cores']} logical cores (Numba threads: {mach['numba_threads']})",
        f"- RAM: {mach['ram_gb']:.1f} GB",
        f"- OS: {mach['os']}",
        f"- Python {mach['python']}, NumPy {mach['numpy']}, Numba {mach['numba']}",
        f"- Load average at the start (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in mach['load_avg'])}",
        "",
        "## Settings",
        "",
        f"- Default model (`conf/`), seed 0, `offline_days={settings['offline_days']}` (burn-in before day 0, "
        "part of set-up, not of the step).",
        "- Each size: untimed warm-up hours from midnight of day 0, then timed windows of simulated hours "
        "(column `timed windows`); median and range (min to max) over the windows. "
        "Timings are wall-clock on a machine shared with other jobs (see the load average), so they are "
        "noisy.",
        "- One user-hour = one user simulated for one hour with the full step (sleep, notifications, "
        "sessions, pool, ranking, scrolling, impressions, posting, feedback, platform, wellbeing, metrics).",
        "",
        "## Throughput and memory",
        "",
        "| rule | users | timed windows | s per simulated hour (median) | range | user-hours/s "
        "| us per user-hour | peak RSS | bytes/user | bytes/post | posts live | set-up s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        s = summarise(r)
        per_user = (r["user_bytes"] + r["graph_bytes"]) / r["n"]
        per_post = r["post_bytes"] / r["post_capacity"]
        L.append(
            f"| {r['policy']} | {_fmt_n(r['n'])} | {r['repeats']} x {r['hours']} h after {r.get('warmup_hours', 24)} h "
            f"| {s['s_per_hour']:.4f} | {s['min']:.4f} to {s['max']:.4f} "
            f"| {s['user_hours_per_s']:,.0f} | {s['us_per_user_hour']:.2f} | {_gb(r['peak_rss'])} "
            f"| {per_user:,.0f} | {per_post:.0f} | {_fmt_n(r['posts_live'])} | {r['setup_s']:.1f} |"
        )
    L += [
        "",
        "Bytes per user: the user state arrays plus the follow graph, divided by the users. Bytes per post: "
        "the post ring's arrays divided by its capacity (slots). Peak RSS: the worker process's "
        "`ru_maxrss`, set-up (population, follow graph, burn-in) included.",
        "",
    ]

    L += ["## Time per phase", "", "Share of the timed windows' wall time per phase of `FeedModel.step`.", ""]
    phases = list(phase_shares(results[0]).keys()) if results else []
    L.append("| rule | users | " + " | ".join(phases) + " |")
    L.append("|---|---:|" + "---:|" * len(phases))
    for r in results:
        sh = phase_shares(r)
        L.append(
            f"| {r['policy']} | {_fmt_n(r['n'])} | " + " | ".join(f"{100 * sh.get(p, 0):.1f}%" for p in phases) + " |"
        )
    L.append("")

    L += ["## Start-up", ""]
    if startup:
        L += [
            f"One run per rule in a new process: import `sim`, compose the configuration, build a "
            f"{_fmt_n(startup['n'])}-user model without burn-in (`offline_days=0`; burn-in days are simulated "
            "hours, counted as throughput above) and simulate its first hour; first with an empty Numba cache "
            "of its own (cold: every kernel the run uses is compiled), then again with the cache that run "
            "left (warm). Start-up is the time from launching the process to the end of its first simulated "
            "hour (the interpreter's own start included); the process wall time adds its exit.",
            "",
            "| rule | Numba cache | start-up s | import s | compose s | build s | first hour s | process wall s |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for policy, r in startup["rules"].items():
            for name in ("cold", "warm"):
                x = r[name]
                L.append(
                    f"| {policy} | {name} | {x['to_first_hour_s']:.2f} | {x['import_s']:.2f} | "
                    f"{x['compose_s']:.2f} | {x['build_s']:.2f} | {x['first_hour_s']:.2f} | "
                    f"{x['process_wall_s']:.2f} |"
                )
        L += [
            "",
            "Compilation (cold minus warm start-up): "
            + ", ".join(f"{p} {r['compile_s']:.1f} s" for p, r in startup["rules"].items())
            + ".",
            "",
        ]
    else:
        L += ["Not measured in this run.", ""]

    L += ["## Against the per-agent pure-Python oracle", ""]
    if oracle:
        e = oracle["engine_s"] / (oracle["n"] * oracle["hours"])
        o = oracle["oracle_s"] / (oracle["n"] * oracle["hours"])
        L += [
            f"`sim/testing/oracle.py` (one `step()` per `User` object, plain Python) and the engine step the same "
            f"{oracle['hours']} hours (from hour {oracle['start_hour']}, i.e. {oracle['start_hour'] % 24}:00 "
            f"of day {oracle['start_hour'] // 24}) from the same state with {_fmt_n(oracle['n'])} users. The "
            "oracle is timed on these few hours only and compared per user-hour.",
            "",
            "| | s | us per user-hour |",
            "|---|---:|---:|",
            f"| engine | {oracle['engine_s']:.3f} | {1e6 * e:.2f} |",
            f"| oracle | {oracle['oracle_s']:.3f} | {1e6 * o:.2f} |",
            "",
            f"Ratio: the oracle is **{o / e:,.0f}x** slower per user-hour.",
            "",
        ]
    else:
        L += ["Not measured in this run.", ""]

    L += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    L += targets(results, startup, oracle)
    L.append("")
    if analysis:
        L += [analysis.rstrip(), ""]
    return "\n".join(L)


def _find(results, policy, n):
    for r in results:
        if r["policy"] == policy and r["n"] == n:
            return r
    return None


def targets(results, startup, oracle) -> list[str]:
    rows = []
    yes = lambda ok: "yes" if ok else "**no**"  # noqa: E731

    def at_full(ok, n):
        return yes(ok) if n == FULL_SIZE else "not measured at 1e6"

    big = max((r["n"] for r in results), default=0)
    eng = _find(results, "engagement", big)
    if eng:
        uh = summarise(eng)["user_hours_per_s"]
        note = "" if big == FULL_SIZE else f" (at {_fmt_n(big)} users; 1e6 not run)"
        rows.append(
            f"| >= 1,000,000 user-hours/s at 1e6 users, engagement | {uh:,.0f}{note} "
            f"| {at_full(uh >= TARGET_THROUGHPUT, big)} |"
        )
        both = [r["n"] for r in results if r["policy"] == "civic" and _find(results, "engagement", r["n"])]
        if both:
            nb = max(both)
            e_b, c_b = _find(results, "engagement", nb), _find(results, "civic", nb)
            c = summarise(c_b)["user_hours_per_s"] / summarise(e_b)["user_hours_per_s"]
            rows.append(
                f"| civic within 20% of engagement | civic at {c:.2f}x the throughput of engagement at "
                f"{_fmt_n(nb)}{'' if nb == FULL_SIZE else ' (civic not run at 1e6)'} "
                f"| {at_full(c >= TARGET_CIVIC_SHARE, nb)} |"
            )
        ten = _find(results, "engagement", 10_000)
        if ten and big > 10_000:
            ratio = summarise(eng)["us_per_user_hour"] / summarise(ten)["us_per_user_hour"]
            same = (eng["hours"], eng.get("warmup_hours", 24)) == (ten["hours"], ten.get("warmup_hours", 24))
            note = "" if same else " (different timed windows: see the table)"
            rows.append(
                f"| cost per user-hour at 1e6 <= 1.3x that at 1e4 | {ratio:.2f}x at {_fmt_n(big)}{note} "
                f"| {at_full(ratio <= TARGET_SCALING, big)}{'' if same else ' (indicative)'} |"
            )
        peak = max(r["peak_rss"] for r in results if r["n"] == big)
        rows.append(
            f"| peak memory at 1e6 users <= 4 GB | {_gb(peak)} at {_fmt_n(big)} "
            f"| {at_full(peak <= TARGET_PEAK_GB * 1e9, big)} |"
        )
    ref = _find(results, "engagement" + REFERENCE, 100_000)
    eng5 = _find(results, "engagement", 100_000)
    if ref and eng5:  # the recommender-world target: the default no slower than the reference engine at 1e5
        now, then = summarise(eng5)["user_hours_per_s"], summarise(ref)["user_hours_per_s"]
        rows.append(
            f"| default at 1e5 users, engagement, >= the reference engine's throughput in the same run "
            f"| {now:,.0f} against {then:,.0f} user-hours/s ({now / then:.2f}x) | {yes(now >= then)} |"
        )
    if oracle:
        ratio = oracle["oracle_s"] / oracle["engine_s"]
        rows.append(
            f"| oracle >= 100x slower per user-hour at 1e4 | {ratio:,.0f}x at {_fmt_n(oracle['n'])} "
            f"| {yes(ratio >= TARGET_ORACLE_RATIO and oracle['n'] >= 10_000)} |"
        )
    if startup:
        rules = startup["rules"]
        worst = max(rules, key=lambda p: rules[p]["compile_s"])
        c = rules[worst]["compile_s"]
        rows.append(
            f"| cold-cache compilation <= 20 s | {c:.1f} s ({worst}, the slowest rule) | {yes(c <= TARGET_COLD_S)} |"
        )
        worst = max(rules, key=lambda p: rules[p]["warm"]["to_first_hour_s"])
        w = rules[worst]["warm"]["to_first_hour_s"]
        rows.append(
            f"| warm-cache start-up <= 2 s | {w:.2f} s ({worst}; from launching the process to the end of "
            f"the first hour of a {_fmt_n(startup['n'])}-user model) | {yes(w <= TARGET_WARM_S)} |"
        )
    return rows


# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--full", action="store_true", help="also run 1,000,000 users")
    ap.add_argument(
        "--policies",
        nargs="+",
        default=list(POLICIES),
        help="rules; <rule>@reference runs the rule with the engine of --reference",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hours", type=int, default=24, help="simulated hours per timed window")
    ap.add_argument("--offline-days", type=int, default=2)
    ap.add_argument("--warmup-hours", type=int, default=24)
    ap.add_argument("--oracle-users", type=int, default=10_000)
    ap.add_argument("--oracle-hours", type=int, default=2)
    ap.add_argument("--oracle-start-hour", type=int, default=36)
    ap.add_argument("--skip-oracle", action="store_true")
    ap.add_argument("--skip-startup", action="store_true")
    ap.add_argument("--startup-users", type=int, default=1_000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw measurements here")
    ap.add_argument("--analysis", type=Path, default=None)
    ap.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="a --json file of an earlier run: keep its measurements, run only what it lacks",
    )
    ap.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="a checkout of another commit (git worktree add DIR REV) whose engine runs the <rule>@reference rules",
    )
    peers.add_arguments(ap)
    ap.add_argument("--worker", choices=("throughput", "startup", "oracle", *peers.WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--worker-args", default="{}", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.worker:
        kw = json.loads(a.worker_args)
        own = {"throughput": worker_throughput, "startup": worker_startup, "oracle": worker_oracle}
        print(json.dumps({**own, **peers.WORKERS}[a.worker](**kw)))
        return 0
    command = " ".join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    if a.peers_only:  # the peers section alone, spliced into --out: the rest (an earlier full run) is kept
        measured = peers.measure(a, _run_worker, summarise, [])
        print("\n".join(peers.summary_lines(measured)))
        peers.write_section(a.out, peers.render_section(measured, command))
        if a.json:
            a.json.write_text(json.dumps({"peers": measured}, indent=1))
        print(f"wrote the peers section of {a.out}")
        return 0

    from tqdm import tqdm

    refs = [p for p in a.policies if p.endswith(REFERENCE)]
    if refs and (a.reference is None or not (a.reference / "sim" / "__init__.py").is_file()):
        ap.error(f"--policies {' '.join(refs)} needs --reference DIR, a checkout with sim/ (got {a.reference})")
    reference_env = dict(os.environ, PYTHONPATH=str(a.reference.resolve())) if refs else None

    sizes = sorted(set(a.sizes) | ({FULL_SIZE} if a.full else set()))
    jobs = [
        (
            "throughput",
            {
                "n": n,
                "policy": p,
                "repeats": a.repeats,
                "hours": a.hours,
                "offline_days": a.offline_days,
                "warmup_hours": a.warmup_hours,
            },
        )
        for n in sizes
        for p in a.policies
    ]
    if not a.skip_oracle:
        jobs.insert(
            0,
            (
                "oracle",
                {
                    "n": a.oracle_users,
                    "hours": a.oracle_hours,
                    "start_hour": a.oracle_start_hour,
                    "offline_days": a.offline_days,
                },
            ),
        )
    mach = machine()
    if refs:
        mach["reference_commit"] = git_commit(a.reference)
    results, oracle, startup = [], None, None
    if a.reuse:
        old = json.loads(a.reuse.read_text())
        results, oracle, startup = old["results"], old["oracle"], old["startup"]
        mach = old["machine"]
        have = {(r["policy"], r["n"]) for r in results}
        jobs = [
            (k, kw)
            for k, kw in jobs
            if (k == "throughput" and (kw["policy"], kw["n"]) not in have) or (k == "oracle" and not oracle)
        ]
        a.skip_startup = a.skip_startup or startup is not None
    own_rules = [p for p in a.policies if not p.endswith(REFERENCE)]  # start-up is measured for this engine only
    bar = tqdm(total=len(jobs) + (0 if a.skip_startup else 2 * len(own_rules)), desc="benchmark", unit="run")
    if not a.skip_startup:
        rules = {}
        for policy in own_rules:
            with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
                env = dict(os.environ, NUMBA_CACHE_DIR=cache)
                runs = {}
                for name in ("cold", "warm"):
                    bar.set_postfix_str(f"start-up, {policy}, {name} cache")
                    runs[name] = _run_worker("startup", {"n": a.startup_users, "policy": policy}, env)
                    bar.update()
            runs["compile_s"] = runs["cold"]["to_first_hour_s"] - runs["warm"]["to_first_hour_s"]
            rules[policy] = runs
        startup = {"n": a.startup_users, "rules": rules}
    for kind, kw in jobs:
        bar.set_postfix_str(f"{kind} {kw}")
        if kind == "throughput" and kw["policy"].endswith(REFERENCE):  # the other checkout's engine and cache
            r = _run_worker(kind, kw, reference_env, a.reference.resolve())
        else:
            r = _run_worker(kind, kw)
        if kind == "oracle":
            oracle = r
        else:
            results.append(r)
        bar.update()
    results.sort(key=lambda r: (r["policy"] != "engagement", r["policy"], r["n"]))
    bar.close()

    analysis_path = a.analysis or (ROOT / "benchmarks" / "analysis.md")
    analysis = analysis_path.read_text() if analysis_path.exists() else None
    settings = {"repeats": a.repeats, "hours": a.hours, "offline_days": a.offline_days}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    text = render(mach, results, startup, oracle, settings, analysis)
    measured = peers.measure(a, _run_worker, summarise, results) if a.peers else None
    if measured:
        print("\n".join(peers.summary_lines(measured)))
        text = peers.splice_section(text, peers.render_section(measured, command))
    a.out.write_text(text)
    if a.json:
        raw = {"machine": mach, "settings": settings, "results": results, "startup": startup, "oracle": oracle}
        a.json.write_text(json.dumps({**raw, "peers": measured}, indent=1))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
