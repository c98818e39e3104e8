"""The token bucket of API requests per token, and the default limits against the load
of every municipality in Sweden reporting in the same five minutes."""

from __future__ import annotations

import random
from datetime import timedelta

from service.access.rate import Bucket, RateLimit, retry_after, take
from service.config import Settings
from tests.support import T0

MUNICIPALITIES = 290


def test_a_full_bucket_lets_a_burst_through_then_waits_for_the_refill() -> None:
    limit = RateLimit(rate=2.0, burst=3)
    bucket: Bucket | None = None
    for _ in range(3):
        bucket, wait = take(limit, bucket, T0)
        assert wait is None
    bucket, wait = take(limit, bucket, T0)
    assert wait == 0.5  # one request refills in half a second
    assert retry_after(wait) == 1
    bucket, wait = take(limit, bucket, T0 + timedelta(seconds=0.5))
    assert wait is None
    bucket, wait = take(limit, bucket, T0 + timedelta(hours=1))
    assert wait is None
    assert bucket.tokens == 2  # never more than the burst


def test_a_refused_request_takes_nothing() -> None:
    limit = RateLimit(rate=1.0, burst=1)
    bucket, _ = take(limit, None, T0)
    for _ in range(100):
        bucket, wait = take(limit, bucket, T0)
        assert wait is not None
    assert take(limit, bucket, T0 + timedelta(seconds=1))[1] is None


def _refusals(limit: RateLimit, moments: list[float]) -> int:
    bucket: Bucket | None = None
    refused = 0
    for second in sorted(moments):
        bucket, wait = take(limit, bucket, T0 + timedelta(seconds=second))
        refused += wait is not None
    return refused


def test_the_defaults_never_refuse_290_municipalities_reporting_in_five_minutes() -> None:
    limit = RateLimit.from_settings(Settings())
    rng = random.Random(290)
    # Each municipality with a token of its own: a report, an unchanged report and a
    # correction, each with two reads around it, all in the same five minutes.
    for _ in range(MUNICIPALITIES):
        assert _refusals(limit, [rng.uniform(0, 300) for _ in range(9)]) == 0
    # One gateway token (a WIS node, a county board's relay) carrying every municipality:
    # all 290 reports at the very same moment, then spread over the five minutes with a
    # read each, and twice over.
    assert _refusals(limit, [0.0] * MUNICIPALITIES) == 0
    spread = [rng.uniform(0, 300) for _ in range(MUNICIPALITIES * 2)]
    assert _refusals(limit, spread * 2) == 0
