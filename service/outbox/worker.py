"""The outbox worker: one per instance, delivering due messages through their channels.

Each pass finds destinations with due messages, claims a batch of each (a short
`FOR UPDATE SKIP LOCKED` statement that also moves the rows' due time a lease ahead),
and delivers each destination's batch in a task of its own, outside any transaction,
so a slow or dead destination holds up nothing but itself. Outcomes are written one by
one: delivered, due again after a jittered back-off, or dead. A breaker per destination
stops attempts after repeated failures and probes with one message after a cool-down.

The loop wakes on NOTIFY `lagesbild_outbox` (sent by `enqueue` and retries), when a
destination's task ends, and every `outbox_poll_seconds`, so delivery never depends on
a notification arriving. Tests turn the loop off and call `run_once()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
from datetime import datetime, timedelta

import asyncpg
import structlog

from service.clock import Clock
from service.config import Settings
from service.metrics import Metrics
from service.outbox import repo
from service.outbox.backoff import Breakers, BreakerState, backoff_delay
from service.outbox.channel import DeliveryFailed
from service.outbox.registry import Channels
from service.outbox.repo import OutboxMessage
from service.repo import DATABASE_ERRORS, Conn

log = structlog.get_logger(__name__)

# Destinations looked at per pass; more wait for the next pass (which comes at once).
DESTINATIONS_PER_PASS = 100
STATUSES = ("pending", "delivered", "dead")


class Worker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Channels,
        settings: Settings,
        clock: Clock,
        metrics: Metrics,
        *,
        dsn: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`pool` should be the worker's own, so deliveries never take requests' connections;
        `dsn`, when given, is used for a LISTEN connection (without it: polling only)."""
        self._pool = pool
        self._channels = channels
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self._dsn = dsn
        self._rng = rng or random.Random()
        self.breakers = Breakers(
            threshold=settings.outbox_breaker_threshold,
            cooldown=timedelta(seconds=settings.outbox_breaker_cooldown_seconds),
        )
        # A claim must outlive the deliveries of its batch, or another instance retakes it.
        self._lease = timedelta(
            seconds=settings.outbox_batch_size * settings.outbox_delivery_timeout_seconds + 60
        )
        self._inflight: dict[str, asyncio.Task[int]] = {}
        self._quiet = asyncio.Event()  # set by a pass that found nothing to do
        self._wake = asyncio.Event()
        self._listen_conn: asyncpg.Connection | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._depth_labels: set[tuple[str, str]] = set()
        self._breaker_labels: set[str] = set()
        self._depth_at = float("-inf")

    # Lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Run the delivery loop in the background until `stop`."""
        await self._listen()
        self._loop_task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        inflight = list(self._inflight.values())
        if inflight:
            # Let deliveries under way finish (each is bounded by the delivery timeout);
            # one cut short is delivered again after its lease: at least once.
            _, late = await asyncio.wait(
                inflight, timeout=self._settings.outbox_delivery_timeout_seconds
            )
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._listen_conn is not None and not self._listen_conn.is_closed():
            await self._listen_conn.close()
        self._listen_conn = None

    def wake(self) -> None:
        self._quiet.clear()
        self._wake.set()

    async def _listen(self) -> None:
        if self._dsn is None:
            return
        try:
            conn = await asyncpg.connect(
                self._dsn, server_settings={"application_name": "lagesbild-outbox"}
            )
            await conn.add_listener(repo.CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox.listen_failed", error=str(exc))
            return
        self._listen_conn = conn

    def _on_notify(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        self._quiet.clear()  # new messages: not quiet until a pass has looked
        self._wake.set()

    async def _run(self) -> None:
        poll = self._settings.outbox_poll_seconds
        while True:
            self._wake.clear()
            if self._listen_conn is None or self._listen_conn.is_closed():
                await self._listen()  # lost (or never had) it: polling covers meanwhile
            try:
                started = await self._start_pass()
                if started or self._inflight:
                    self._quiet.clear()
                else:
                    self._quiet.set()
                loop_time = asyncio.get_running_loop().time()
                if loop_time - self._depth_at >= poll:  # at most once per poll interval
                    self._depth_at = loop_time
                    await self.refresh_depth()
            except DATABASE_ERRORS as exc:
                log.warning("outbox.pass_failed", error=str(exc))
            except Exception:
                log.exception("outbox.pass_error")  # keep delivering; the next pass retries
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._wake.wait()

    # Passes --------------------------------------------------------------------------

    async def run_once(self) -> int:
        """One pass, waiting for its deliveries: how many messages were attempted."""
        tasks = await self._start_pass()
        counts = await asyncio.gather(*tasks)
        return sum(counts)

    async def settled(self) -> None:
        """Return once a pass of the loop found nothing to start with nothing in flight:
        what was due has gone out, or waits for a retry or behind an open breaker. The
        demo waits for this before it shows its closing lines; callers bound the wait."""
        await self._quiet.wait()

    async def _start_pass(self) -> list[asyncio.Task[int]]:
        names = self._channels.names()
        if not names:
            return []
        now = self._clock.now()
        exclude = sorted(set(self._inflight) | set(self.breakers.blocked(now)))
        started: list[asyncio.Task[int]] = []
        async with self._pool.acquire() as conn:
            due = await repo.due_destinations(
                conn, now=now, channels=names, exclude=exclude, limit=DESTINATIONS_PER_PASS
            )
            for destination in due:
                state = self.breakers.state(destination, now)
                if state is BreakerState.OPEN:
                    continue
                limit = 1 if state is BreakerState.HALF_OPEN else self._settings.outbox_batch_size
                batch = await repo.claim(
                    conn,
                    destination=destination,
                    now=now,
                    lease_until=now + self._lease,
                    limit=limit,
                    ordered=self._channels.ordered(destination),
                )
                if batch:
                    task = asyncio.create_task(
                        self._deliver_batch(
                            destination, batch, probe=state is BreakerState.HALF_OPEN
                        ),
                        name=f"outbox-{destination}",
                    )
                    self._inflight[destination] = task
                    task.add_done_callback(functools.partial(self._finished, destination))
                    started.append(task)
        return started

    def _finished(self, destination: str, task: asyncio.Task[int]) -> None:
        self._inflight.pop(destination, None)
        self._wake.set()  # its remaining messages, if any, are due now
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("outbox.batch_failed", destination=destination, error=repr(error))

    async def _deliver_batch(
        self, destination: str, batch: list[OutboxMessage], *, probe: bool = False
    ) -> int:
        """Deliver one destination's batch in order; give back what is left when its breaker
        opens, or, for an ordered channel, after a message that will be retried."""
        ordered = self._channels.ordered(destination)
        attempted = 0
        for position, message in enumerate(batch):
            now = self._clock.now()
            if self.breakers.state(destination, now) is BreakerState.OPEN:
                await self._release(batch[position:], now)
                break
            attempted += 1
            if not await self._deliver(message, probe=probe) and ordered:
                await self._release(batch[position + 1 :], now)
                break
        return attempted

    async def _deliver(self, message: OutboxMessage, *, probe: bool = False) -> bool:
        """Attempt one message and record the outcome; False when it is to be retried."""
        channel = self._channels.for_destination(message.destination)
        failure: DeliveryFailed | None = None
        if channel is None:
            failure = DeliveryFailed("no channel registered")
        else:
            try:
                async with asyncio.timeout(self._settings.outbox_delivery_timeout_seconds):
                    await channel.deliver(message)
            except DeliveryFailed as exc:
                failure = exc
            except TimeoutError:
                failure = DeliveryFailed("timed out")
            except Exception as exc:
                log.exception("outbox.channel_error", destination=message.destination)
                failure = DeliveryFailed(f"channel error: {type(exc).__name__}")
        try:
            return await self._record(message, failure, probe=probe)
        except DATABASE_ERRORS as exc:
            # The lease makes the row due again: it will be delivered (again) later.
            log.warning("outbox.record_failed", id=message.id, error=str(exc))
            return False

    async def _record(
        self, message: OutboxMessage, failure: DeliveryFailed | None, *, probe: bool
    ) -> bool:
        destination = message.destination
        now = self._clock.now()
        deliveries = self._metrics.outbox_deliveries
        async with self._pool.acquire() as conn:
            if failure is None:
                self.breakers.succeeded(destination)
                await repo.mark_delivered(conn, message, at=now)
                deliveries.labels(destination, "delivered").inc()
                log.info("outbox.delivered", id=message.id, destination=destination)
                return True
            error = str(failure)
            if failure.permanent:
                # The destination answered; the message itself is refused.
                self.breakers.succeeded(destination)
            elif self.breakers.failed(destination, now):
                log.warning("outbox.breaker_open", destination=destination)
            # A failed probe of a down destination does not count: an outage alone makes no
            # dead letters; its messages wait behind the breaker and go once it is back.
            counted = not probe or failure.permanent
            if failure.permanent or (
                counted and message.attempts >= self._settings.outbox_max_attempts
            ):
                await repo.mark_dead(conn, message, error=error)
                deliveries.labels(destination, "dead").inc()
                self._metrics.outbox_dead_letters.labels(destination).inc()
                log.warning(
                    "outbox.dead",
                    id=message.id,
                    destination=destination,
                    attempts=message.attempts,
                    error=error,
                )
                return True  # settled: nothing waits for it any more
            delay = backoff_delay(
                message.attempts,
                base=self._settings.outbox_backoff_base_seconds,
                cap=self._settings.outbox_backoff_cap_seconds,
                rng=self._rng,
            )
            await repo.schedule_retry(
                conn, message, at=now + timedelta(seconds=delay), error=error, counted=counted
            )
            deliveries.labels(destination, "retry").inc()
            log.info(
                "outbox.retry",
                id=message.id,
                destination=destination,
                attempts=message.attempts,
                in_seconds=round(delay, 1),
                error=error,
            )
            return False

    async def _release(self, messages: list[OutboxMessage], now: datetime) -> None:
        if not messages:
            return
        try:
            async with self._pool.acquire() as conn:
                for message in messages:
                    await repo.release(conn, message, at=now)
        except DATABASE_ERRORS as exc:
            log.warning("outbox.release_failed", error=str(exc))  # due after their lease

    # Metrics -------------------------------------------------------------------------

    async def refresh_depth(self, conn: Conn | None = None) -> None:
        """Set the depth gauge (pending and dead per destination) from the database."""
        if conn is None:
            async with self._pool.acquire() as own:
                counts = await repo.counts(own, include_delivered=False)
        else:
            counts = await repo.counts(conn, include_delivered=False)
        depth = self._metrics.outbox_depth
        seen = {(count.destination, count.status) for count in counts}
        for destination, status in self._depth_labels - seen:
            depth.labels(destination, status).set(0)
        for count in counts:
            depth.labels(count.destination, count.status).set(count.count)
        self._depth_labels |= seen
        breaker = self._metrics.outbox_breaker_open
        opened = set(self.breakers.opened())
        for destination in self._breaker_labels - opened:
            breaker.labels(destination).set(0)
        for destination in opened:
            breaker.labels(destination).set(1)
        self._breaker_labels |= opened
