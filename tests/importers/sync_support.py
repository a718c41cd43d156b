"""What the API connector tests share: instants from API JSON and a recorder for back-off."""

from __future__ import annotations

from datetime import datetime


def instant(text: str) -> datetime:
    """An API's ISO 8601 timestamp ("...Z") as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Sleeps(list[float]):
    """Stands in for time.sleep in a retry policy and records every wait instead."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
