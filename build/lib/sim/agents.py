"""User: a Mesa agent that is a thin, read-only view on one row of the model's arrays.

The model keeps all state in arrays (``model.users``); a ``User`` is created on request
(``model.user(uid)``) for inspection and the interactive explorer, so a million-user model does not pay
for a million Python objects.
"""

from __future__ import annotations

import mesa

from sim.state import ASLEEP, IN_BED, USER_FIELDS
from sim.vocabulary import AGE_GROUPS


class User(mesa.Agent):
    def __init__(self, model, uid: int):
        super().__init__(model)
        self.uid = int(uid)

    def _get(self, name: str):
        return getattr(self.model.users, name)[self.uid].item()

    @property
    def age_group(self) -> str:
        return AGE_GROUPS[self._get("age_group")]

    @property
    def vulnerable(self) -> bool:
        return bool(self._get("vulnerable"))

    @property
    def ideology(self) -> float:
        return self._get("ideology")

    @property
    def followers(self) -> int:
        return self._get("followers")

    @property
    def followees(self) -> list[int]:
        return self.model.graph.followees_of(self.uid).tolist()

    @property
    def asleep(self) -> bool:
        return self._get("sleep_state") == ASLEEP

    @property
    def in_bed(self) -> bool:
        return self._get("sleep_state") == IN_BED

    @property
    def mood(self) -> float:
        return self._get("mood")

    @property
    def self_esteem(self) -> float:
        return self._get("self_esteem")

    @property
    def symptoms(self) -> float:
        return self._get("symptoms")

    @property
    def loneliness(self) -> float:
        return self._get("loneliness")

    @property
    def polarization(self) -> float:
        return self._get("polarization")

    @property
    def sleep_debt_h(self) -> float:
        return self._get("sleep_debt_h")

    @property
    def habit(self) -> float:
        return self._get("habit")

    @property
    def expected_likes(self) -> float:
        return self._get("expected_likes")

    def snapshot(self) -> dict:
        """All of this user's scalar state as a dict (for tables and the explorer)."""

        return {name: getattr(self.model.users, name)[self.uid].item() for name in USER_FIELDS}

    def step(self) -> None:  # the model steps all users at once, in kernels
        raise RuntimeError("User is a view; advance the model with model.step()")
