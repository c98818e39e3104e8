"""API requests per token: a token bucket, kept in PostgreSQL so that every instance
draws from the same one.

A bucket holds at most `burst` requests and refills at `rate` per second; a request
takes one, and one that finds less than one waits (429 with `Retry-After`). `take` is
the rule; `service/repo/rate.py` applies the same arithmetic in one statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from service.config import Settings


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate: float  # requests per second, refilled
    burst: float  # most requests at once

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit:
        return cls(rate=settings.api_rate_per_second, burst=settings.api_rate_burst)

    def seconds_to_full(self) -> float:
        return self.burst / self.rate


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: datetime


def take(limit: RateLimit, bucket: Bucket | None, now: datetime) -> tuple[Bucket, float | None]:
    """The bucket after one request at `now`, and None when the request may go, or the
    seconds it must wait (then the bucket is only refilled, nothing taken)."""
    if bucket is None:
        available = limit.burst
    else:
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        available = min(limit.burst, bucket.tokens + elapsed * limit.rate)
    if available >= 1:
        return Bucket(available - 1, now), None
    return Bucket(available, now), (1 - available) / limit.rate


def retry_after(wait: float) -> int:
    """`Retry-After` in whole seconds, never 0."""
    return max(1, math.ceil(wait))
