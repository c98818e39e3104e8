"""When to try again: exponential back-off with full jitter, and a breaker per destination."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The longest wait after failed attempt number `attempt` (1, 2, …): base·2^(n-1), capped."""
    exponent = min(max(attempt, 1) - 1, 62)  # past 2^62 every realistic cap has been reached
    return float(min(cap, base * 2.0**exponent))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt `attempt`: uniform in [0, ceiling] ("full jitter").

    Full jitter spreads the retries of many messages that failed together (a peer that
    went down) over the whole window instead of sending them back in a burst.
    """
    return rng.uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    opened_at: datetime | None = None


class Breakers:
    """A circuit breaker per destination, in this instance's memory.

    After `threshold` consecutive failures a destination's breaker opens: its messages
    are not attempted. After `cooldown` it is half-open: one message is tried; success
    closes it, failure opens it for another cooldown.
    """

    def __init__(self, *, threshold: int, cooldown: timedelta) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._circuits: dict[str, _Circuit] = {}

    def state(self, destination: str, now: datetime) -> BreakerState:
        circuit = self._circuits.get(destination)
        if circuit is None or circuit.opened_at is None:
            return BreakerState.CLOSED
        if now - circuit.opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def succeeded(self, destination: str) -> None:
        self._circuits.pop(destination, None)

    def failed(self, destination: str, now: datetime) -> bool:
        """Count a failure; True when this opened (or re-opened) the breaker."""
        circuit = self._circuits.setdefault(destination, _Circuit())
        circuit.failures += 1
        if circuit.opened_at is not None or circuit.failures >= self._threshold:
            circuit.opened_at = now
            return True
        return False

    def opened(self) -> dict[str, datetime]:
        """Destinations whose breaker is open or half-open, with when it opened."""
        return {
            destination: circuit.opened_at
            for destination, circuit in sorted(self._circuits.items())
            if circuit.opened_at is not None
        }

    def blocked(self, now: datetime) -> list[str]:
        """Destinations not to attempt at all now (open, cooldown not over)."""
        return [d for d in self.opened() if self.state(d, now) is BreakerState.OPEN]
