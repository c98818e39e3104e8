"""All time in the service comes through a clock, so tests can move time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, in UTC."""
        ...


def iso(moment: datetime) -> str:
    """A time as the service writes it everywhere: ISO 8601 in UTC with a `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at.astimezone(UTC)

    def set(self, at: datetime) -> None:
        self._at = at
