"""Pure parts of the outbox: back-off, the breaker, webhook signatures, the registry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from service.outbox.backoff import Breakers, BreakerState, backoff_ceiling, backoff_delay
from service.outbox.registry import Channels, channel_name
from service.outbox.repo import OutboxMessage
from service.outbox.webhook_channel import classify
from service.outbox.webhooks import sign, verify_signature

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SECRET = "s3cret-s3cret-s3cret"


def test_backoff_ceiling_doubles_from_the_base_until_the_cap() -> None:
    ceilings = [backoff_ceiling(n, base=2.0, cap=100.0) for n in range(1, 9)]
    assert ceilings == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0, 100.0]
    assert backoff_ceiling(10_000, base=2.0, cap=100.0) == 100.0


def test_backoff_delay_is_jittered_between_zero_and_the_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = backoff_ceiling(attempt, base=1.0, cap=300.0)
        delays = [backoff_delay(attempt, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 100  # spread, not one fixed value
    late = [backoff_delay(9, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
    early = [backoff_delay(1, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
    assert sum(late) / len(late) > 10 * (sum(early) / len(early))  # the waits grow


def test_breaker_opens_after_threshold_then_half_opens_after_cooldown() -> None:
    breakers = Breakers(threshold=3, cooldown=timedelta(seconds=30))
    assert not breakers.failed("webhook:1", NOW)
    assert not breakers.failed("webhook:1", NOW)
    assert breakers.state("webhook:1", NOW) is BreakerState.CLOSED
    assert breakers.failed("webhook:1", NOW)
    assert breakers.state("webhook:1", NOW + timedelta(seconds=29)) is BreakerState.OPEN
    assert breakers.blocked(NOW) == ["webhook:1"]
    assert breakers.state("webhook:2", NOW) is BreakerState.CLOSED
    later = NOW + timedelta(seconds=30)
    assert breakers.state("webhook:1", later) is BreakerState.HALF_OPEN
    assert breakers.blocked(later) == []
    assert breakers.failed("webhook:1", later)  # the probe failed: open again
    assert breakers.state("webhook:1", later + timedelta(seconds=1)) is BreakerState.OPEN
    breakers.succeeded("webhook:1")
    assert breakers.state("webhook:1", later) is BreakerState.CLOSED
    assert breakers.opened() == {}


def test_a_signature_verifies_with_the_same_secret_body_and_a_recent_time() -> None:
    body = '{"a":"Vårgårda"}'.encode()
    header = sign(SECRET, body, timestamp=int(NOW.timestamp()))
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_signature(SECRET, header, body, NOW + timedelta(seconds=299), 300)


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "stale", "future", "no-t", "no-v1", "garbage", "empty"],
)
def test_a_signature_does_not_verify_when_anything_differs(tamper: str) -> None:
    body = b'{"a":1}'
    header = sign(SECRET, body, timestamp=int(NOW.timestamp()))
    secret, now = SECRET, NOW
    if tamper == "body":
        body = b'{"a":2}'
    elif tamper == "secret":
        secret = "another-secret-value"
    elif tamper == "stale":
        now = NOW + timedelta(seconds=301)
    elif tamper == "future":
        now = NOW - timedelta(seconds=301)
    elif tamper == "no-t":
        header = header.split(",", 1)[1]
    elif tamper == "no-v1":
        header = header.split(",", 1)[0]
    elif tamper == "garbage":
        header = "t=abc,v1=zz"
    else:
        header = ""
    assert not verify_signature(secret, header, body, now, 300)


def test_http_statuses_map_to_delivered_retry_or_permanent() -> None:
    assert classify(200) is None
    assert classify(204) is None
    for status in (400, 401, 403, 404, 410, 422):
        failure = classify(status)
        assert failure is not None
        assert failure.permanent, status
    for status in (408, 429, 500, 502, 503, 301):
        failure = classify(status)
        assert failure is not None
        assert not failure.permanent, status


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def destination(self) -> str:
        return self.name

    async def deliver(self, message: OutboxMessage) -> None:
        return None


def test_the_channel_is_chosen_by_the_part_before_the_colon() -> None:
    channels = Channels()
    webhook, wis = _Named("webhook"), _Named("wis")
    channels.register(webhook)
    channels.register(wis)
    assert channel_name("webhook:12") == "webhook"
    assert channels.for_destination("webhook:12") is webhook
    assert channels.for_destination("wis") is wis
    assert channels.for_destination("wis:node-a") is wis
    assert channels.for_destination("email") is None
    assert channels.names() == ["webhook", "wis"]
    with pytest.raises(ValueError, match="registered already"):
        channels.register(_Named("wis"))
    with pytest.raises(ValueError, match="no ':'"):
        channels.register(_Named("wis:a"))
