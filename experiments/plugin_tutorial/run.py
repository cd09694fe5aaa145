"""Plug-in tutorial (docs/guide/plugins.md): run a home-made ranking rule against `engagement` and `civic` on
the same population and print what changed.

    python experiments/plugin_tutorial/run.py                       # 2,000 users, 28 days
    python experiments/plugin_tutorial/run.py n_users=500 days=7    # any setting, for all three runs
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from sim.compare import WELLBEING_NOTE, comparison_table, format_table, pooled

RULE = f"{Path(__file__).resolve().parent / 'rules.py'}:friends_first"
POLICIES = {
    "engagement": ["policy=engagement"],
    "civic": ["policy=civic"],
    "friends_first": ["policy=custom", f"policy.score={RULE}"],
}


def main(settings: list[str]) -> None:
    results = {}
    for name, policy in POLICIES.items():
        result = sim.run(policy + settings + [f"label={name}"])
        results[(name, int(result.manifest["seed"]))] = result
        print(f"{name}: {result.path}", file=sys.stderr)
    days = int(result.manifest["config"]["days"])
    # one seed: differences without intervals (python -m sim.compare --seeds 5 gives them)
    print(format_table(comparison_table(*pooled(results), list(POLICIES), min(7, days))))
    print(WELLBEING_NOTE)


if __name__ == "__main__":
    main(sys.argv[1:])
