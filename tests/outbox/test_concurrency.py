"""Several workers on one database: SKIP LOCKED claims and leases keep deliveries apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from service import keys
from service.clock import FixedClock
from service.config import Settings
from service.db.pool import create_pool
from service.metrics import Metrics
from service.outbox import repo
from service.outbox.channel import DeliveryFailed
from service.outbox.registry import Channels
from service.outbox.repo import OutboxMessage
from service.outbox.worker import Worker
from tests.outbox.support import Outbox


class Recording:
    """A channel that records which worker delivered which message, yielding in between
    so that the two workers' passes interleave."""

    def __init__(self, worker_name: str, log: list[tuple[str, str]]) -> None:
        self._worker_name = worker_name
        self._log = log

    @property
    def destination(self) -> str:
        return "probe"

    async def deliver(self, message: OutboxMessage) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        self._log.append((self._worker_name, message.message_id))


async def test_two_workers_on_one_database_never_deliver_a_message_twice(
    outbox: Outbox, dsn: str, settings: Settings, clock: FixedClock
) -> None:
    ids = [f"m-{d}-{n}" for d in range(6) for n in range(12)]
    for message_id in ids:
        await outbox.enqueue(f"probe:{message_id.split('-')[1]}", message_id, {})
    log: list[tuple[str, str]] = []
    workers: list[Worker] = []
    pools = []
    for name in ("a", "b"):
        pool = await create_pool(dsn, min_size=1, max_size=3)
        pools.append(pool)
        channels = Channels()
        channels.register(Recording(name, log))
        workers.append(Worker(pool, channels, settings, clock, Metrics()))
    try:
        while True:
            attempted = await asyncio.gather(*(worker.run_once() for worker in workers))
            if sum(attempted) == 0:
                break
    finally:
        for pool in pools:
            await pool.close()
    delivered = Counter(message_id for _, message_id in log)
    assert delivered == Counter(ids)  # every message once, none twice
    assert {worker for worker, _ in log} == {"a", "b"}  # both took part
    assert set((await outbox.statuses()).values()) == {"delivered"}


async def test_rows_locked_by_a_claim_in_progress_are_skipped_not_waited_for(
    outbox: Outbox, dsn: str, clock: FixedClock
) -> None:
    for n in range(4):
        await outbox.enqueue("probe:1", f"m-{n}", {})
    now = clock.now()
    pool = await create_pool(dsn, min_size=2, max_size=2)
    try:
        async with pool.acquire() as first, pool.acquire() as second:
            async with first.transaction():
                mine = await repo.claim(
                    first, destination="probe:1", now=now, lease_until=now, limit=2
                )
                # Uncommitted: the rows are locked, and still look due (lease_until=now).
                theirs = await repo.claim(
                    second, destination="probe:1", now=now, lease_until=now, limit=4
                )
            later = await repo.claim(
                second,
                destination="probe:1",
                now=now,
                lease_until=now + timedelta(minutes=5),
                limit=4,
            )
    finally:
        await pool.close()
    assert [m.message_id for m in mine] == ["m-0", "m-1"]
    assert [m.message_id for m in theirs] == ["m-2", "m-3"]
    assert [m.message_id for m in later] == ["m-0", "m-1", "m-2", "m-3"]


class Fifo:
    """An ordered channel that fails the messages in `fail_once` on their first attempt."""

    ordered = True

    def __init__(self, fail_once: set[str]) -> None:
        self.fail_once = fail_once
        self.seen: list[str] = []

    @property
    def destination(self) -> str:
        return "fifo"

    async def deliver(self, message: OutboxMessage) -> None:
        if message.message_id in self.fail_once:
            self.fail_once.discard(message.message_id)
            raise DeliveryFailed("try later")
        self.seen.append(message.message_id)


async def test_an_ordered_channel_holds_later_messages_back_behind_a_retry(
    outbox: Outbox,
) -> None:
    fifo = Fifo({"m-2"})
    outbox.app[keys.outbox_channels].register(fifo)
    for n in range(1, 5):
        await outbox.enqueue("fifo:node", f"m-{n}", {})
    assert await outbox.worker.run_once() == 2  # m-1 delivered, m-2 failed, the rest held
    rows = {r["message_id"]: r for r in await outbox.rows()}
    assert [rows[f"m-{n}"]["attempts"] for n in range(1, 5)] == [1, 1, 0, 0]
    if rows["m-2"]["next_attempt_at"] > outbox.clock.now():
        assert await outbox.worker.run_once() == 0  # m-3 and m-4 wait for m-2
    await outbox.passes_until_quiet()
    assert fifo.seen == ["m-1", "m-2", "m-3", "m-4"]
