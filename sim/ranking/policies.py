"""Built-in ranking rules. Each is a weight vector over the features of ``features.py`` plus
candidate-generation settings; the weights live in ``conf/policy/<rule>.yaml``.

* ``chronological``: newest first (weight -1 on age), followees only, nothing already seen.
* ``engagement``: the platform's predicted engagement (p(like), dwell) plus a virality boost, with
  viral out-of-network posts in the candidate pool.
* ``civic``: public values: approval across the divide (bridging), informational quality, close ties
  and supportive content up; outrage and idealisation down, ``protected_factor`` times as strongly
  for minors and vulnerable users; at most two posts per author; the out-of-network pool is chosen by
  bridging, not virality.

For a built-in rule the score is sum_f w_f * x_f, where for protected viewers a negative weight on
``outrage`` or ``idealised`` is multiplied by ``protected_factor``.
"""

from __future__ import annotations

import numpy as np

from sim.checks import Checker, fail
from sim.ranking.features import FEATURES, N_FEATURES, F
from sim.ranking.kernels import PolicyParams
from sim.vocabulary import POOL_KEYS


def weight_vector(weights) -> np.ndarray:
    w = np.zeros(N_FEATURES, np.float64)
    for name, value in weights.items():
        w[F[name]] = float(value)
    return w


def policy_params(cfg) -> PolicyParams:
    pc = cfg.policy
    return PolicyParams(
        k=int(pc.k),
        m=int(pc.m),
        oon_candidates=int(pc.oon_candidates) if pc.out_of_network else 0,
        per_followee_cap=int(pc.per_followee_cap),
        author_cap=int(pc.author_cap),
        max_age_hours=int(pc.max_age_hours),
        show_seen=bool(pc.show_seen),
        estimation_noise=float(pc.estimation_noise),
        protected_factor=float(pc.protected_factor),
        learned_engagement=str(cfg.platform.engagement_model.kind) == "learned",
    )


def check_settings(c: Checker) -> None:
    """Range and cross-field checks of the ``policy`` settings (run by ``sim.config.validate``)."""
    p = "policy"
    c.choice(f"{p}.pool_key", POOL_KEYS)
    for key in ("k", "m", "max_age_hours"):
        if c.get(f"{p}.{key}") <= 0:
            fail(f"{p}.{key}", c.get(f"{p}.{key}"), "must be a positive integer")
    c.probability(f"{p}.pool_share")
    for key in ("oon_candidates", "author_cap", "per_followee_cap"):
        if c.get(f"{p}.{key}") < 0:
            fail(f"{p}.{key}", c.get(f"{p}.{key}"), "must be 0 or a positive integer")
    k, mm = c.get(f"{p}.k"), c.get(f"{p}.m")
    if k > mm:
        fail(f"{p}.k", k, f"must not exceed the candidate pool policy.m ({mm})")
    if c.get(f"{p}.max_age_hours") < c.get("behaviour.posting.feedback_delay_hours"):
        fail(
            f"{p}.max_age_hours",
            c.get(f"{p}.max_age_hours"),
            "must be at least behaviour.posting.feedback_delay_hours "
            f"({c.get('behaviour.posting.feedback_delay_hours')})",
        )
    if c.get(f"{p}.out_of_network"):
        if c.get(f"{p}.oon_candidates") > mm:
            fail(
                f"{p}.oon_candidates",
                c.get(f"{p}.oon_candidates"),
                f"must not exceed the candidate pool policy.m ({mm})",
            )
        if c.get(f"{p}.pool_share") <= 0:
            fail(
                f"{p}.pool_share", c.get(f"{p}.pool_share"), "must be greater than 0 when policy.out_of_network is true"
            )
    c.non_negative(f"{p}.estimation_noise", f"{p}.protected_factor")
    for name in c.get(f"{p}.weights"):
        if name not in FEATURES:
            fail(f"{p}.weights.{name}", c.get(f"{p}.weights")[name], "unknown feature; known: " + ", ".join(FEATURES))
        c.finite(f"{p}.weights.{name}")
