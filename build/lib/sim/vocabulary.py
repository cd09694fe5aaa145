"""The names the model is written in: age groups, post styles and pool keys, with their integer codes.

The lowest layer: it imports nothing from the project, and every other module takes these names from
here (a kernel stores a style or an age group as its index in the tuple below).
"""

from __future__ import annotations

AGE_GROUPS = ("adolescent", "young_adult", "adult")

STYLES = ("personal", "idealised", "outrage", "informational")
PERSONAL, IDEALISED, OUTRAGE, INFORMATIONAL = range(len(STYLES))
N_STYLES = len(STYLES)

# What the hour's out-of-network pool is ranked by (sim/ranking/policies.py)
POOL_KEYS = ("virality", "bridging", "recent")
POOL_KEY_IDS = {key: code for code, key in enumerate(POOL_KEYS)}
