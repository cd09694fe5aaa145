"""This engine against other simulators (``benchmarks/run.py --peers``): in the same invocation, on the same
machine, T-RECS's ContentFiltering and a plain Mesa 3 agent model of the same hour (``plain_mesa_feed.py``), each
beside this engine's throughput at the same number of users. The section "Against other simulators (peers)" of
``benchmarks/RESULTS.md`` is written from it.

    .venv/bin/python benchmarks/run.py --peers                 # the whole benchmark, with the peers section
    .venv/bin/python benchmarks/run.py --peers-only            # only the peers section of RESULTS.md, the rest kept

Nothing is installed here. T-RECS is not a dependency of the project: its release 0.2.1 pins pandas 1.0.5 and
lenskit, so it goes into .venv without them, ``.venv/bin/pip install --no-deps trecs==0.2.1``. Even so it does not
import as is: ``trecs/__init__.py`` imports every model, and ``trecs/models/mf.py`` (ImplicitMF) imports
``lenskit.algorithms.als`` at import time. The last lenskit with ``lenskit.algorithms`` (0.14.4) needs
numba < 0.59, which has no Python 3.12 or NumPy 2 support; lenskit 2025.x dropped ``lenskit.algorithms``.
ContentFiltering never uses lenskit, so the T-RECS worker, in its own process only, puts an empty module in place
of ``lenskit.algorithms.als`` when it is missing, and the section says so. A peer that is not installed, or fails,
is reported in one line instead of failing the benchmark.

Units of work, so that a ratio compares like with like:

- T-RECS user-step: one user's predicted scores over all items (an inner product of profiles of
  ``TRECS_ATTRIBUTES`` attributes), the sort of those scores into one recommendation of ``num_items_per_iter``
  items, and the user's choice of one of them. The default ``run()`` also re-fits every user's profile by NNLS
  between steps; that is timed apart, on a model of ``--trecs-train-users`` users, because at 1,000 attributes it
  costs about a second per user and would make the run hours long.
- Mesa agent-step: one agent's hour in the plain Mesa model (``plain_mesa_feed.py``).
- User-hour (this engine): one user simulated for one hour with the full step (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import sys
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from machine_info import machine

SECTION_HEADING = "## Against other simulators (peers)"
TRECS_INSTALL = "`.venv/bin/pip install --no-deps trecs==0.2.1`"
TRECS_ATTRIBUTES = 1_000  # ContentFiltering's default number of attributes
LENSKIT_STAND_INS = ("lenskit", "lenskit.algorithms", "lenskit.algorithms.als")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("peers (other simulators, in the same invocation)")
    g.add_argument("--peers", action="store_true", help="also measure T-RECS and a plain Mesa model")
    g.add_argument(
        "--peers-only",
        action="store_true",
        help="measure only the peers and this engine at their sizes; replace that section of --out, keep the rest",
    )
    g.add_argument("--trecs-users", type=int, nargs="+", default=[1_000, 5_000])
    g.add_argument("--trecs-items", type=int, default=5_000)
    g.add_argument("--trecs-steps", type=int, default=3, help="timed T-RECS steps (after one untimed)")
    g.add_argument("--trecs-train-users", type=int, default=2, help="users of the model whose NNLS fit is timed")
    g.add_argument("--mesa-users", type=int, default=10_000)
    g.add_argument("--mesa-hours", type=int, default=24, help="timed hours of the plain Mesa model, from midnight")


# ------------------------------------------------------------------------------------------------
# workers (run in subprocesses by run.py, so that a peer's threads and memory are its own)


def _import_content_filtering() -> tuple[type, str | None]:
    """T-RECS's ContentFiltering, and a note when lenskit had to be stood in for (see the module docstring)."""
    try:
        from trecs.models import ContentFiltering  # guarded optional import of a peer

        return ContentFiltering, None
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("lenskit"):
            raise
    for name in LENSKIT_STAND_INS:
        if name == "lenskit" and importlib.util.find_spec("lenskit") is not None:
            continue  # a lenskit 2025.x is there, without lenskit.algorithms
        sys.modules[name] = types.ModuleType(name)
    sys.modules["lenskit.algorithms"].als = sys.modules["lenskit.algorithms.als"]
    for name in [m for m in sys.modules if m == "trecs" or m.startswith("trecs.")]:
        del sys.modules[name]  # the failed import left half-initialised modules behind
    from trecs.models import ContentFiltering  # guarded optional import of a peer, now with the stand-in

    return ContentFiltering, "lenskit.algorithms.als (imported by ImplicitMF, not run) stood in by an empty module"


def worker_trecs(n_users: int, n_items: int, steps: int, train_users: int, seed: int) -> dict:
    if importlib.util.find_spec("trecs") is None:
        return {"unavailable": f"T-RECS is not installed ({TRECS_INSTALL} adds it)"}
    version = importlib.metadata.version("trecs")
    try:
        content_filtering, workaround = _import_content_filtering()
    except Exception as err:  # any failure of the peer is reported, not raised
        return {"unavailable": f"T-RECS {version} does not import: {type(err).__name__}: {err}"}
    rng = np.random.default_rng(seed)

    def build(n: int):
        # T-RECS starts every user's profile at zero and fits it between steps; a random profile stands for a
        # fitted one, so that scores differ across items and sorting them costs what it does in a trained system.
        profiles = rng.random((n, TRECS_ATTRIBUTES))
        return content_filtering(num_users=n, num_items=n_items, user_representation=profiles, seed=seed)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no measurements are defined": none are, on purpose
            model = build(n_users)
            model.run(timesteps=1, train_between_steps=False, disable_tqdm=True)  # untimed: first-touch costs
            t0 = time.perf_counter()
            model.run(timesteps=steps, train_between_steps=False, disable_tqdm=True)
            seconds = time.perf_counter() - t0
            small = build(train_users)
            small.run(timesteps=1, train_between_steps=False, disable_tqdm=True)
            t0 = time.perf_counter()
            small.train()  # one NNLS fit per user over the interactions so far
            train_s = time.perf_counter() - t0
    except Exception as err:  # any failure of the peer is reported, not raised
        return {"unavailable": f"T-RECS {version} failed with NumPy {np.__version__}: {type(err).__name__}: {err}"}
    return {
        "version": version,
        "workaround": workaround,
        "n": n_users,
        "items": n_items,
        "attributes": TRECS_ATTRIBUTES,
        "items_per_step": int(model.num_items_per_iter),
        "steps": steps,
        "seconds": seconds,
        "units_per_s": n_users * steps / seconds,
        "train_s_per_user": train_s / train_users,
    }


def worker_mesa(n_users: int, hours: int, seed: int) -> dict:
    try:
        import mesa  # guarded optional import of a peer
        from plain_mesa_feed import PlainFeedModel
    except ImportError as err:
        return {"unavailable": f"Mesa is not importable ({err})"}
    t0 = time.perf_counter()
    model = PlainFeedModel(n_users, seed=seed)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(hours):
        model.step()
    seconds = time.perf_counter() - t0
    return {
        "version": mesa.__version__,
        "n": n_users,
        "hours": hours,
        "setup_s": setup_s,
        "seconds": seconds,
        "units_per_s": n_users * hours / seconds,
        "sessions_per_agent_hour": model.sessions / (n_users * hours),
        "items_per_session": model.impressions / max(model.sessions, 1),
    }


WORKERS = {"trecs": worker_trecs, "mesa": worker_mesa}


# ------------------------------------------------------------------------------------------------
# measurement and report


def measure(a: argparse.Namespace, run_worker: Callable, summarise: Callable, results: list[dict]) -> dict:
    """Each peer in a subprocess of its own, then this engine (the engagement rule, the run's timed windows) at
    every size a peer ran, taken from ``results`` when the run already measured it."""
    seed = 0
    peers = [
        ("T-RECS", run_worker("trecs", {"n_users": n, "n_items": a.trecs_items, "steps": a.trecs_steps,
                                        "train_users": a.trecs_train_users, "seed": seed}))
        for n in a.trecs_users
    ]  # fmt: skip
    peers.append(("Mesa", run_worker("mesa", {"n_users": a.mesa_users, "hours": a.mesa_hours, "seed": seed})))
    engine = {}
    for n in sorted({p["n"] for _, p in peers if "unavailable" not in p}):
        r = next((r for r in results if r["policy"] == "engagement" and r["n"] == n), None)
        if r is None:
            r = run_worker(
                "throughput",
                {"n": n, "policy": "engagement", "repeats": a.repeats, "hours": a.hours,
                 "offline_days": a.offline_days, "warmup_hours": a.warmup_hours},
            )  # fmt: skip
        engine[n] = dict(r, **summarise(r))
    return {"machine": machine(), "peers": peers, "engine": engine}


def _ratio(x: float) -> str:
    return f"{x:,.1f}x" if x >= 1 else f"{x:.2g}x"


def measured_rows(measured: dict) -> tuple[list[tuple[str, dict, float]], list[tuple[str, str]]]:
    """(peer, its measurement, this engine's user-hours/s at its size) for each peer measured, and (peer, why) once
    for each peer that could not be."""
    rows, unavailable = [], {}
    for name, p in measured["peers"]:
        if "unavailable" in p:
            unavailable.setdefault(name, p["unavailable"])
        else:
            rows.append((name, p, measured["engine"][p["n"]]["user_hours_per_s"]))
    return rows, list(unavailable.items())


def summary_lines(measured: dict) -> list[str]:
    """One line per peer: what ``--peers`` prints."""
    rows, unavailable = measured_rows(measured)
    lines = [f"{name}: not measured: {why}" for name, why in unavailable]
    for name, p, e in rows:
        unit = "user-steps" if name == "T-RECS" else "agent-steps"
        lines.append(
            f"{name} at {p['n']:,} users: {p['units_per_s']:,.0f} {unit}/s; this engine "
            f"{e:,.0f} user-hours/s ({_ratio(e / p['units_per_s'])} the peer's rate)"
        )
    return lines


def render_section(measured: dict, command: str) -> str:
    mach = measured["machine"]
    L = [
        SECTION_HEADING,
        "",
        f"Written by `{command}` on {mach['date']} at commit `{mach['commit']}` (Python {mach['python']}, NumPy "
        f"{mach['numpy']}, load average at the start {', '.join(f'{x:.2f}' for x in mach['load_avg'])}). Each "
        "peer ran in a subprocess of its own, then this engine at the same numbers of users (the engagement rule, "
        "timed as in the throughput table), one after the other on the same machine. T-RECS is not a dependency: "
        f"install it with {TRECS_INSTALL} (`benchmarks/peers.py` says why `--no-deps`).",
        "",
        "What one unit of work is:",
        "",
        "- **T-RECS user-step**: one user's predicted scores over all items, sorted into one recommendation "
        "(a slate of `num_items_per_iter` items), and the user's choice of one item.",
        "- **Mesa agent-step**: one agent's hour in a plain Mesa 3 model of this engine's hour "
        '(`benchmarks/plain_mesa_feed.py`: one `mesa.Agent` per user, `shuffle_do("step")`; an awake agent may '
        "open the app, gets its followees' unseen posts of the last 48 h ranked by an engagement score, scrolls, "
        "likes, maybe posts).",
        "- **User-hour** (this engine): one user simulated for one hour with the full step.",
        "",
        "| peer | users | peer's unit | peer: units/s | this engine: user-hours/s | engine / peer |",
        "|---|---:|---|---:|---:|---:|",
    ]
    rows, unavailable = measured_rows(measured)
    notes = [f"- {name}: not measured: {why}." for name, why in unavailable]
    for name, p, e in rows:
        if name == "T-RECS":
            label = f"T-RECS {p['version']} ContentFiltering, {p['items']:,} items, {p['attributes']:,} attributes"
            unit = "user-step"
        else:
            label, unit = f"plain Mesa {p['version']} agent model", "agent-step"
        L.append(
            f"| {label} | {p['n']:,} | {unit} | {p['units_per_s']:,.0f} | {e:,.0f} | **{_ratio(e / p['units_per_s'])}** |"
        )
    L.append("")
    trecs = [p for name, p in measured["peers"] if name == "T-RECS" and "unavailable" not in p]
    mesa = [p for name, p in measured["peers"] if name == "Mesa" and "unavailable" not in p]
    if trecs:
        t = trecs[-1]
        with_training = 1 / (1 / t["units_per_s"] + t["train_s_per_user"])
        notes.append(
            f"- T-RECS: {t['steps']} timed steps after one untimed, without re-fitting user profiles between steps "
            f"(`train_between_steps=False`). That fit (NNLS per user, as the default `run()` does) costs "
            f"{t['train_s_per_user']:.2f} s per user, timed on a small model: with it, {t['n']:,} users would run "
            f"at about {with_training:,.1f} user-steps/s. Users start from a random profile instead of zeros, so "
            "that the scores to sort differ." + (f" Import: {t['workaround']}." if t["workaround"] else "")
        )
    if mesa:
        m = mesa[0]
        notes.append(
            f"- Mesa: {m['hours']} hours from midnight of day 0"
            + (" (whole days, as the engine's windows)" if m["hours"] % 24 == 0 else "")
            + f", after a set-up of {m['setup_s']:.1f} s that lays down two days of posts; {m['sessions_per_agent_hour']:.2f} "
            f"sessions per agent-hour, {m['items_per_session']:.1f} items viewed per session."
        )
    n_engine = ", ".join(f"{n:,}: {r['repeats']} x {r['hours']} h" for n, r in measured["engine"].items())
    if n_engine:
        notes.append(f"- This engine: timed windows at {n_engine} (median window).")
    L += ["Notes:", "", *notes, ""]
    L += [
        "What is not comparable:",
        "",
        "- A T-RECS user-step is a recommender's step, not a user's hour: it scores every item for every user "
        "(dense matrix products and a full sort, in NumPy's compiled code), and has no time of day, sessions, "
        "scrolling, posting, sleep or wellbeing. This engine scores only each session's candidates (at most "
        "`policy.m`), and only for users who open the app in that hour. The ratio says how much simulated life "
        "each costs per second, not which ranks faster.",
        "- The plain Mesa model does coarsely what this engine's hour does (sessions by hour of day, in-network "
        "candidates ranked by an engagement score, scrolling with fatigue, likes, posting, a mood), but has no "
        "sleep model, notifications, out-of-network pool, learned engagement model, platform features, "
        "moderation or daily wellbeing updates, so it does less work per user-hour than the engine: the ratio "
        "is a lower bound on what per-agent Python costs.",
        "- Threads: this engine runs its kernels on every core (Numba); T-RECS's matrix products use NumPy's "
        "BLAS threads; the Mesa model runs on one core.",
        "",
    ]
    return "\n".join(L)


def splice_section(text: str, section: str) -> str:
    """``text`` with its peers section replaced by ``section``; without one, ``section`` goes before the
    targets (or at the end)."""
    lines = text.splitlines()
    if SECTION_HEADING in lines:
        start = lines.index(SECTION_HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    else:
        start = end = next((i for i, line in enumerate(lines) if line == "## Targets"), len(lines))
    return "\n".join([*lines[:start], *section.rstrip().splitlines(), "", *lines[end:]]).rstrip() + "\n"


def write_section(out: Path, section: str) -> None:
    """Only the peers section of ``out``: the rest of the file (an earlier full run) is kept as it is."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(splice_section(out.read_text(), section) if out.exists() else section)
