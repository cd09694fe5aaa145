"""Plug-in tutorial (docs/guide/plugins.md): run a home-made ranking rule against `engagement` and `civic` on
the same population and print what changed.

    python experiments/plugin_tutorial/run.py                       # 2,000 users, 28 days
    python experiments/plugin_tutorial/run.py n_users=500 days=7    # any setting, for all three runs
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from sim.compare import comparison_table, format_table

RULE = f"{Path(__file__).resolve().parent / 'rules.py'}:friends_first"
POLICIES = {
    "engagement": ["policy=engagement"],
    "civic": ["policy=civic"],
    "friends_first": ["policy=custom", f"policy.score={RULE}"],
}


def main(settings: list[str]) -> None:
    summaries = {}
    for name, policy in POLICIES.items():
        result = sim.run(policy + settings + [f"label={name}"])
        summaries[name] = result.summary(last_days=min(7, int(result.manifest["config"]["days"])))
        print(f"{name}: {result.path}", file=sys.stderr)
    print(format_table(comparison_table(summaries)))


if __name__ == "__main__":
    main(sys.argv[1:])
