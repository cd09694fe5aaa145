"""The two hourly hooks an intervention with its own dynamics can use."""

from __future__ import annotations


class Intervention:
    def start_hour(self, model, hour: int) -> None:
        """Before sleep, sessions and feeds."""

    def end_hour(self, model, hour: int) -> None:
        """After posting and feedback."""
