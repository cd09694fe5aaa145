"""Validation experiments: one per published fact of ``docs/reference/validation-targets.md`` (F1-F14).

    python -m sim.experiments list
    python -m sim.experiments run deactivation            # full scale: table + figure in results/experiments/
    python -m sim.experiments run all --scale ci          # the smaller scale the tests use
    python -m sim.experiments table > docs/reference/validation.md  # from the committed experiments/*/expected.json

See ``base.py`` for what an experiment is and ``docs/reference/validation.md`` for the results.
"""

from sim.experiments import (  # noqa: F401
    chronological,
    deactivation,
    experiences,
    population,
    posting,
    sleep,
    social_comparison,
    use,
)
from sim.experiments.base import MEASURES, load, names, run

__all__ = ["MEASURES", "load", "names", "run"]
