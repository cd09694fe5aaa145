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

from sim.ranking.features import F, N_FEATURES
from sim.ranking.kernels import PolicyParams

POOL_KEY_IDS = {"virality": 0, "bridging": 1, "recent": 2}


def weight_vector(weights) -> np.ndarray:
    w = np.zeros(N_FEATURES, np.float64)
    for name, value in weights.items():
        w[F[name]] = float(value)
    return w


def policy_params(cfg) -> PolicyParams:
    pc = cfg.policy
    return PolicyParams(
        k=int(pc.k), m=int(pc.m),
        oon_candidates=int(pc.oon_candidates) if pc.out_of_network else 0,
        per_followee_cap=int(pc.per_followee_cap), author_cap=int(pc.author_cap),
        max_age_hours=int(pc.max_age_hours), show_seen=bool(pc.show_seen),
        estimation_noise=float(pc.estimation_noise), protected_factor=float(pc.protected_factor),
    )
