"""All time in the service comes through a clock, so tests can move time without sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

# A sleeping SystemClock looks at the wall clock again at least this often (seconds), so
# a clock that is stepped (NTP) does not leave a wake-up far off.
_LONGEST_NAP = 60.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, in UTC."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once `now()` has reached `moment` (at once if it has)."""
        ...


def iso(moment: datetime) -> str:
    """A time as the service writes it everywhere: ISO 8601 in UTC with a `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        # Nothing but the wall clock itself says the moment has come: sleep in naps.
        while (left := (moment - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, _LONGEST_NAP))


class FixedClock:
    """A clock that only moves when told to (tests). A sleeper wakes when `set` moves the
    clock to or past its moment, without any real time passing."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._at.astimezone(UTC)

    def set(self, at: datetime) -> None:
        self._at = at
        for moment, woken in self._sleepers:
            if moment <= at and not woken.done():
                woken.set_result(None)

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._at:
            return
        sleeper = (moment, asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        try:
            await sleeper[1]
        finally:
            self._sleepers.remove(sleeper)
