"""The mutation check: realistic bugs, each put into the code in turn, and the tests that must catch it.

    .venv/bin/python scripts/mutations.py            # every mutation, cold and warm compiled cache
    .venv/bin/python scripts/mutations.py --only 3 7 # some of them
    .venv/bin/python scripts/mutations.py --list

A test suite that passes says little unless it fails when the code is wrong. Each mutation below is a bug
that could plausibly be written (a sign, an off-by-one, a forgotten term, a lever that stops acting, a
record that drops a field); the check edits one line of the checkout, runs the named tests, and restores
the line whatever happens (also on Ctrl-C). A mutation the tests do not catch is a hole in the suite.

The compiled Numba cache gets a fresh folder for each run: "cold" starts from an empty one; "warm" first
compiles the unmutated code into it, so a mutation in a helper that a cached kernel inlines shows whether
the cache serves old code (sim/codecache.py keys it by the code's version). The result is recorded in
docs/reference/reproducibility.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    bug: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = (
    Mutation(
        "an upward comparison lifts mood instead of lowering it",
        "sim/behaviour/comparison.py",
        "return -p.upward_mood * imp / (1.0 + p.upward_habituation * upward_earlier)",
        "return p.upward_mood * imp / (1.0 + p.upward_habituation * upward_earlier)",
        ("tests/unit/test_comparison.py",),
    ),
    Mutation(
        "habituation ignores how many comparisons came before",
        "sim/behaviour/comparison.py",
        "return -p.upward_mood * imp / (1.0 + p.upward_habituation * upward_earlier)",
        "return -p.upward_mood * imp / (1.0 + p.upward_habituation)",
        ("tests/unit/test_comparison.py",),
    ),
    Mutation(
        "hidden like counts no longer shrink the comparison gap",
        "sim/behaviour/comparison.py",
        "        gap *= p.hidden_counts_status_factor",
        "        gap *= 1.0",
        ("tests/unit/test_comparison.py",),
    ),
    Mutation(
        "a constant of the random-number helper changes (inlined into every kernel)",
        "sim/rng.py",
        "_INV53 = 1.0 / 9007199254740992.0",
        "_INV53 = 1.0 / 4503599627370496.0",
        ("tests/unit/test_rng.py",),
    ),
    Mutation(
        "time awake at night is not deducted from the night's sleep",
        "sim/behaviour/sleep.py",
        "                night_sleep[u] - night_lost[u],",
        "                night_sleep[u],",
        ("tests/unit/test_sleep.py",),
    ),
    Mutation(
        "sleep pressure rises while awake at the rate it falls asleep",
        "sim/behaviour/sleep.py",
        "            s = 1.0 - (1.0 - s) * p.k_rise\n            awake_min[u] += dt_min\n            # awake_until",
        "            s = 1.0 - (1.0 - s) * p.k_fall\n            awake_min[u] += dt_min\n            # awake_until",
        ("tests/unit/test_sleep.py",),
    ),
    Mutation(
        "loneliness counts as wellbeing in the composite index",
        "sim/metrics.py",
        '("loneliness", -1.0))',
        '("loneliness", 1.0))',
        ("tests/unit/test_wellbeing_index.py",),
    ),
    Mutation(
        "the run's manifest leaves out the seed",
        "sim/runner.py",
        '"config": OmegaConf.to_container(cfg, resolve=True),',
        '"config": {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k != "seed"},',
        (
            "tests/integration/test_run_folders.py::test_the_manifest_holds_the_whole_composed_config_for_a_non_zero_seed",
        ),
    ),
    Mutation(
        "tie strength drops out of the like decision",
        "sim/behaviour/response.py",
        "z = p.like_intercept + p.like_tie * tie + p.like_agreement * agreement",
        "z = p.like_intercept + p.like_agreement * agreement",
        ("tests/unit/test_response.py",),
    ),
    Mutation(
        "moderation suspends one strike late",
        "sim/platform/moderation.py",
        "if strikes[a] >= p.strikes:",
        "if strikes[a] > p.strikes:",
        ("tests/unit/test_platform.py",),
    ),
    Mutation(
        "hostile out-group content cools polarisation instead of heating it",
        "sim/behaviour/opinion.py",
        "            p.outgroup_hostile_rate * user_day[u, UD_OUTGROUP_HOSTILE] * (1.0 - a)",
        "            -p.outgroup_hostile_rate * user_day[u, UD_OUTGROUP_HOSTILE] * (1.0 - a)",
        ("tests/unit/test_opinion.py",),
    ),
    Mutation(
        "the stopping cue appears one item late",
        "sim/behaviour/response.py",
        "and i + 1 == lp.stop_cue_items",
        "and i == lp.stop_cue_items",
        ("tests/integration/test_probe.py::test_a_stopping_cue_is_named_as_the_reason_a_session_ended",),
    ),
    Mutation(
        "a viewed post is only half marked as seen (never tests as seen)",
        "sim/ranking/seen.py",
        "    w[b >> _SIX] |= _ONE << (b & _LOW6)",
        "    pass",
        ("tests/unit/test_state.py",),
    ),
    Mutation(
        "expected likes learn towards zero instead of the likes received",
        "sim/behaviour/posting.py",
        "alpha_reward[u] * (likes[slot] - expected_likes[u])",
        "alpha_reward[u] * (0.0 - expected_likes[u])",
        ("tests/unit/test_posting.py",),
    ),
    Mutation(
        "the style a creator is rewarded for is not learned",
        "sim/behaviour/posting.py",
        "style_value[u, s] += p.style_learning_rate * (np.log1p(likes[slot]) - style_value[u, s])",
        "style_value[u, s] += 0.0 * (np.log1p(likes[slot]) - style_value[u, s])",
        ("tests/unit/test_posting.py",),
    ),
    Mutation(
        "a pause nudge never falls due",
        "sim/platform/limits.py",
        "    return np.floor((streak_before + dwell_min) / after_min) > np.floor(streak_before / after_min)",
        "    return False",
        ("tests/unit/test_platform.py", "tests/integration/test_levers.py"),
    ),
    Mutation(
        "a stopping cue ends sessions with a fixed chance, whatever its setting",
        "sim/behaviour/response.py",
        "                and uniform(keys.cont, hour, u, 1000 + i) < lp.stop_cue_prob",
        "                and uniform(keys.cont, hour, u, 1000 + i) < 0.5",
        ("tests/integration/test_lever_sizes.py",),
    ),
    Mutation(
        "moderation's mistaken removals ignore its precision",
        "sim/platform/moderation.py",
        "        fpr = min(1.0, p.recall * n_hostile * (1.0 - p.precision) / p.precision / n_other)",
        "        fpr = min(1.0, p.recall * n_hostile / n_other)",
        ("tests/integration/test_lever_sizes.py",),
    ),
    Mutation(
        "the value of recent sessions no longer brings users back",
        "sim/behaviour/sessions.py",
        "                * np.exp(p.return_value_effect * (recent_value[u] - p.value_reference))",
        "                * np.exp(p.return_value_effect * 0.0)",
        ("tests/unit/test_sessions.py",),
    ),
    Mutation(
        "the learned engagement model stops learning users' style affinities",
        "sim/ranking/engagement_model.py",
        "    em.em_user_style[u, style] += p.user_learning_rate * (err - p.shrinkage * em.em_user_style[u, style])",
        "    em.em_user_style[u, style] += 0.0 * (err - p.shrinkage * em.em_user_style[u, style])",
        ("tests/integration/test_engagement_model.py",),
    ),
    Mutation(
        "outside accounts ignore their main style",
        "sim/external.py",
        "            if uniform(key_style, hour, j, 2 * i) >= p.style_consistency:",
        "            if True:",
        ("tests/unit/test_external.py",),
    ),
)


def run_tests(tests: tuple[str, ...], cache: Path) -> tuple[bool, float]:
    """Whether the tests pass, and how long they took, with the compiled cache in ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "FEEDSIM_NUMBA_CACHE_CHOSEN"}
    env["NUMBA_CACHE_DIR"] = str(cache)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0, time.perf_counter() - started


def apply(m: Mutation) -> str:
    path = ROOT / m.file
    original = path.read_text()
    if original.count(m.old) != 1:
        raise SystemExit(f"mutation {m.bug!r}: the line to change occurs {original.count(m.old)} times in {m.file}")
    path.write_text(original.replace(m.old, m.new))
    return original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="*", help="numbers of the mutations to try (see --list)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--modes", nargs="*", default=["cold", "warm"], choices=["cold", "warm"])
    args = parser.parse_args(argv)
    chosen = [(i, m) for i, m in enumerate(MUTATIONS, 1) if not args.only or i in args.only]
    if args.list:
        for i, m in chosen:
            print(f"{i:2d}. {m.bug} ({m.file}) -> {', '.join(m.tests)}")
        return 0
    survived = []
    with tempfile.TemporaryDirectory(prefix="feedsim-mutations-") as tmp:
        for mode in args.modes:
            cache = Path(tmp) / mode
            if mode == "warm":  # compile the unmutated code into the cache the mutations will find
                ok, _ = run_tests(tuple(sorted({t for _, m in chosen for t in m.tests})), cache)
                if not ok:
                    print("the tests fail on the unmutated code: fix them first", file=sys.stderr)
                    return 2
            for i, m in chosen:
                original = apply(m)
                try:
                    passed, seconds = run_tests(m.tests, cache if mode == "warm" else Path(tmp) / f"cold-{i}")
                finally:
                    (ROOT / m.file).write_text(original)
                verdict = "SURVIVED" if passed else "caught"
                print(f"[{mode}] {i:2d}. {verdict:8s} {m.bug} ({seconds:.0f} s)", flush=True)
                if passed:
                    survived.append((mode, i, m.bug))
    print(f"{sum(1 for _ in chosen) * len(args.modes) - len(survived)} of {len(chosen) * len(args.modes)} caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
