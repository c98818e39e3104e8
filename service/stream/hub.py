"""The stream hub: the current picture of each incident in memory, fanned out to sockets.

Every instance keeps the picture of each active incident it has seen, advances it by
reading the log after each notification (NOTIFY carries only `incident:seq`), and
hands each event's frame, serialised once, to every subscribed socket (several that
follow each other in one write).
Reading the log rather than trusting notifications makes the hub exact: a lost or
coalesced notification only delays events, never drops or reorders them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import asyncpg
import structlog
from aiohttp import WSCloseCode

from service.access.matrix import may_follow
from service.access.policy import can_see_national
from service.access.principal import Principal
from service.access.sessions import expire_due
from service.clock import Clock
from service.config import Settings
from service.metrics import Metrics
from service.national.rollup import Rollup
from service.picture.checkpoints import fold_after, is_checkpoint
from service.picture.fold import Picture
from service.repo import DATABASE_ERRORS, checkpoints, events, incidents, tokens, users
from service.stream import frames
from service.stream.connection import SESSION_ENDED, Connection
from service.stream.feed import Feed
from service.stream.national import NATIONAL_TOPIC, NationalFeed
from service.stream.watchers import IncidentWatchers, announcement

log = structlog.get_logger(__name__)

# The most frames, and the most bytes (unless one frame alone is more), one write to a
# socket carries (a run).
RUN_FRAMES = 16
RUN_BYTES = 64 * 1024


class _Run:
    """Frames that follow each other, waiting to go to every subscriber in one write."""

    __slots__ = ("frames", "size")

    def __init__(self) -> None:
        self.frames: list[frames.Frame] = []
        self.size = 0

    def has_room(self, frame: frames.Frame) -> bool:
        """Whether `frame` may join the run (an empty run takes any frame)."""
        return not self.frames or (
            len(self.frames) < RUN_FRAMES and self.size + len(frame.wire) <= RUN_BYTES
        )

    def add(self, frame: frames.Frame) -> None:
        self.frames.append(frame)
        self.size += len(frame.wire)

    def take(self) -> list[frames.Frame]:
        """The frames so far; the run starts again empty."""
        taken, self.frames, self.size = self.frames, [], 0
        return taken


class Hub:
    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, metrics: Metrics, clock: Clock
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._settings = settings
        self._metrics = metrics
        self._feeds: dict[uuid.UUID, Feed] = {}
        self._loading: dict[uuid.UUID, asyncio.Task[Feed | None]] = {}
        self._connections: set[Connection] = set()
        self._watchers = IncidentWatchers()
        self._national = NationalFeed(settings.stream_replay_limit)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lifecycle_listeners: list[Callable[[uuid.UUID], None]] = []
        # Incidents this process is writing reports to (`writing`, `written`: batches
        # under way), and the highest seq heard of each meanwhile.
        self._writing: dict[uuid.UUID, int] = {}
        self._heard_while_writing: dict[uuid.UUID, int] = {}
        # Set by `stop`: what is heard after (a write's hand-off, a late notification)
        # starts nothing, for nothing would cancel it.
        self._stopped = False

    # -- lifecycle -----------------------------------------------------------------

    def start_sweeping(self) -> None:
        """Look for sends stuck on slow peers, on one timer for all sockets."""
        self._spawn(self._sweep(), name="stream-sweep")

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        every = min(0.5, self._settings.stream_send_timeout_seconds / 4)
        while True:
            await asyncio.sleep(every)
            now = loop.time()
            for conn in list(self._connections):
                conn.check_send(now)

    async def start(self) -> None:
        """Rebuild the picture of every active incident from the log."""
        async with self._pool.acquire() as conn:
            active = await incidents.list_active_ids(conn)
        for incident_id in active:
            await self.feed(incident_id)
        log.info("hub.started", incidents=len(active))

    async def close_sockets(self) -> None:
        """Close every socket with 1001 (going away): the service is stopping."""
        await self.close_all(WSCloseCode.GOING_AWAY, "")

    async def stop(self) -> None:
        """Stop background work (and close any socket still open, with 1001); what the
        hub hears after that starts no more."""
        self._stopped = True
        await self.close_sockets()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None] | None:
        if self._stopped:
            coro.close()
            return None
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def on_lifecycle(self, listener: Callable[[uuid.UUID], None]) -> None:
        """Call `listener(incident_id)` for each activation, change and closure this
        instance learns of, its own and other instances' alike (the rounds timer)."""
        self._lifecycle_listeners.append(listener)

    @property
    def max_topics(self) -> int:
        return self._settings.stream_max_topics

    # -- feeds ---------------------------------------------------------------------

    async def feed(self, incident_id: uuid.UUID) -> Feed | None:
        """The incident's feed, loading it from the log if this instance has not yet."""
        existing = self._feeds.get(incident_id)
        if existing is not None:
            return existing
        loading = self._loading.get(incident_id)
        if loading is None:
            loading = asyncio.create_task(self._load(incident_id), name=f"load-{incident_id}")
            self._tasks.add(loading)
            loading.add_done_callback(self._tasks.discard)
            self._loading[incident_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(incident_id, None))
        return await asyncio.shield(loading)

    async def _load(self, incident_id: uuid.UUID) -> Feed | None:
        """Start from the latest checkpoint and fold only the events after it: the same
        picture as folding from seq 0 (the fold depends on nothing but the events), in
        time bounded by the checkpoints' spacing, not the log's length. The ring then
        holds the events after the last checkpoint; a viewer resuming from further back
        is sent a snapshot. Checkpoints crossed on the way that are missing (a log older
        than checkpoints) are written, off the load's path."""
        every, ring = self._settings.checkpoint_every, self._settings.stream_replay_limit
        async with self._pool.acquire() as conn:
            start = await checkpoints.latest(conn, incident_id)
            log = await events.since(conn, incident_id, 0 if start is None else start["seq"])
        if not log and start is None:
            return None
        # Up to the last checkpoint the log crosses, fold alone (keeping the pictures
        # there); the events after it fold into the feed with their frames.
        cut = max((n + 1 for n, event in enumerate(log) if is_checkpoint(event, every)), default=0)
        folded, kept = fold_after(start, log[:cut], every)
        feed = Feed.from_log(incident_id, log[cut:], ring, start=folded)
        self._feeds[incident_id] = feed
        self._national.update(feed.picture, log[-1] if log else None)
        self._keep_soon(incident_id, kept)
        return feed

    def notify(self, incident_id: uuid.UUID, seq: int) -> None:
        """Event `seq` is in the log (from LISTEN, or from whoever wrote it here): catch
        the feed up soon. While this process writes reports to the incident, what is
        heard waits for the write to end (`written`): it is most likely that write's own
        notification, whose events the write brings without a read."""
        if incident_id in self._writing:
            held = self._heard_while_writing.get(incident_id, seq)
            self._heard_while_writing[incident_id] = max(held, seq)
            return
        self._heard(incident_id, seq)

    def _heard(self, incident_id: uuid.UUID, seq: int | None) -> None:
        """The log has reached `seq` (None: may have moved on): read it soon."""
        feed = self._feeds.get(incident_id)
        if feed is None:
            self._spawn(self._load_then_announce(incident_id, seq), name=f"load-{incident_id}")
            return
        if seq is None:
            self._schedule_catch_up(feed)
            return
        self._announce_folded(feed, seq)
        if seq > feed.seq:  # else folded already (`written`, or a read that came first)
            self._schedule_catch_up(feed)

    def writing(self, incident_id: uuid.UUID) -> None:
        """This process begins to write a batch of reports to the incident."""
        self._writing[incident_id] = self._writing.get(incident_id, 0) + 1

    def written(self, incident_id: uuid.UUID, new_events: list[dict[str, Any]] | None) -> None:
        """A batch begun with `writing` is over: `new_events` it wrote and committed (in
        seq order, as the log gives them back; none: it wrote nothing; None: not known,
        the database failed it). They are folded and fanned out now, without reading
        them back, when the feed stands right before them and no read is under way;
        otherwise the feed reads the log. Then what was heard during the write is read
        if the feed has not reached it (another instance's change, say)."""
        left = self._writing.pop(incident_id, 1) - 1
        held = None
        if left > 0:
            self._writing[incident_id] = left
        else:
            held = self._heard_while_writing.pop(incident_id, None)
        try:
            self._take(incident_id, new_events)
        finally:
            if held is not None:
                self._heard(incident_id, held)

    def _take(self, incident_id: uuid.UUID, new_events: list[dict[str, Any]] | None) -> None:
        if new_events == []:
            return
        feed = self._feeds.get(incident_id)
        if (
            new_events is None
            or feed is None
            or feed.lock.locked()
            or new_events[0]["seq"] != feed.seq + 1
        ):
            self._heard(incident_id, None if new_events is None else new_events[-1]["seq"])
            return
        try:
            self._keep_soon(incident_id, self._publish(feed, new_events))
        except Exception:
            # A bug, not the database: what was folded went out; the log has the rest.
            log.exception("hub.publish_failed", incident_id=str(incident_id))
            self._heard(incident_id, new_events[-1]["seq"])

    def notify_all(self) -> None:
        """After the listener reconnected: anything may have been missed."""
        for feed in list(self._feeds.values()):
            self._schedule_catch_up(feed)
        self._spawn(self.start(), name="hub-resync")

    async def _load_then_announce(self, incident_id: uuid.UUID, seq: int | None) -> None:
        feed = await self.feed(incident_id)
        if feed is not None:
            if seq is not None:
                self._announce_folded(feed, seq)
            self._schedule_catch_up(feed)

    def _announce_folded(self, feed: Feed, seq: int) -> None:
        """A notified lifecycle event that arrived with a load, not by catch-up, is
        announced here; one that catch-up publishes is announced by `_publish`."""
        event = feed.lifecycle.get(seq)
        if event is not None and seq <= feed.seq and seq not in feed.announced:
            self._announce(feed, event)

    def _schedule_catch_up(self, feed: Feed) -> None:
        feed.dirty = True
        if feed.catching_up is None or feed.catching_up.done():
            feed.catching_up = self._spawn(
                self._catch_up_loop(feed), name=f"catch-up-{feed.incident_id}"
            )

    async def _catch_up_loop(self, feed: Feed) -> None:
        while feed.dirty:
            feed.dirty = False
            try:
                await self.catch_up(feed)
            except DATABASE_ERRORS as exc:
                log.warning(
                    "hub.catch_up_failed", incident_id=str(feed.incident_id), error=str(exc)
                )
                await asyncio.sleep(0.5)
                feed.dirty = True
            except Exception:
                # A bug, not the database: say so loudly, and try again rather than leave
                # the feed stalled without a word.
                log.exception("hub.catch_up_crashed", incident_id=str(feed.incident_id))
                await asyncio.sleep(2.0)
                feed.dirty = True

    async def catch_up(self, feed: Feed) -> None:
        """Read and publish every event after the feed's seq, in order."""
        asked = feed.reads_begun
        async with feed.lock:
            await self._catch_up_locked(feed, asked)

    async def _catch_up_locked(self, feed: Feed, asked: int | None = None) -> None:
        """Catch up, under the feed's lock. With `asked` (`feed.reads_begun` when the
        caller asked, before waiting for the lock): nothing to read when a read that
        began after that has finished meanwhile, for it saw everything the caller's
        would have. A thousand viewers subscribing at once make one read, not a
        thousand."""
        if asked is not None and feed.reads_done > asked:
            return
        feed.reads_begun += 1
        began = feed.reads_begun
        async with self._pool.acquire() as conn:
            new_events = await events.since(conn, feed.incident_id, feed.seq)
        kept = self._publish(feed, new_events)
        feed.reads_done = began
        self._keep_soon(feed.incident_id, kept)

    def _keep_soon(self, incident_id: uuid.UUID, pictures: list[Picture]) -> None:
        if pictures:
            self._spawn(self._keep(incident_id, pictures), name=f"checkpoint-{incident_id}")

    async def _keep(self, incident_id: uuid.UUID, pictures: list[Picture]) -> None:
        """Write checkpoints after the events are out: never on the report's path, and
        never holding up the fan-out. A lost one is written by the next look back."""
        try:
            async with self._pool.acquire() as conn:
                await checkpoints.write(conn, incident_id, pictures)
        except DATABASE_ERRORS as exc:
            log.warning("hub.checkpoint_failed", incident_id=str(incident_id), error=str(exc))

    def _publish(self, feed: Feed, new_events: Sequence[dict[str, Any]]) -> list[Picture]:
        """Fold and fan out `new_events`, in order; return the pictures at checkpoints.

        Frames that follow each other go to each socket as one write, a run (`_Run`):
        when reports come faster than one fan-out takes, a catch-up reads several events
        and costs one send per socket, not one per event. A run ends before an event that
        changes who may follow (who may no longer gets nothing after it) and after a
        lifecycle event (announced once its frame is out). Whatever was folded goes out
        even if a later step fails: the feed has moved past it, and the next read starts
        after it. The national roll-up takes the picture once, after the incident's
        viewers have their frames: one national frame for what was folded together.
        """
        every = self._settings.checkpoint_every
        kept: list[Picture] = []
        run = _Run()
        folded = 0
        last: dict[str, Any] | None = None
        try:
            for event in new_events:
                frame = feed.advance(event)
                folded += 1
                last = event
                if feed.checked_access is not feed.access:
                    # Who may follow changed (an update, share or unshare): those before
                    # it go out first, then everyone is looked at once.
                    self._fan_out(feed, run.take())
                    for conn in list(feed.subscribers):
                        if not may_follow(conn.principal, feed.access):
                            self._revoke(conn, feed)
                    feed.checked_access = feed.access
                if not run.has_room(frame):
                    self._fan_out(feed, run.take())
                run.add(frame)
                if is_checkpoint(event, every):
                    kept.append(feed.picture)
                if event["seq"] in feed.lifecycle:
                    self._fan_out(feed, run.take())
                    self._announce(feed, event)
        finally:
            self._fan_out(feed, run.take())
            self._metrics.events_fanned_out.inc(folded)
            if last is not None:
                self._national.update(feed.picture, last)
        return kept

    def _fan_out(self, feed: Feed, run: list[frames.Frame]) -> None:
        """Write a run of frames to every subscriber, the bytes joined once for all."""
        if not run:
            return
        wire = run[0].wire if len(run) == 1 else b"".join(frame.wire for frame in run)
        written = writes = 0
        for conn in list(feed.subscribers):
            if went := conn.deliver_run(run, wire):
                written += went
                writes += 1
        self._metrics.stream_frames_sent.inc(written)
        self._metrics.stream_writes.inc(writes)

    def _revoke(self, conn: Connection, feed: Feed) -> None:
        feed.subscribers.discard(conn)
        conn.topics.discard(feed.incident_id)
        conn.send(
            frames.error_frame("forbidden", "you may no longer see this incident", feed.topic)
        )
        self._count_subscriptions()

    def _announce(self, feed: Feed, event: dict[str, Any]) -> None:
        """Lifecycle events also go to `incidents` watchers who may see the incident."""
        feed.announced.add(event["seq"])
        for listener in self._lifecycle_listeners:
            listener(feed.incident_id)
        if len(self._watchers):
            frame = announcement(str(feed.incident_id), event, feed.picture["incident"])
            self._watchers.announce(frame, feed.access)

    # -- reading -------------------------------------------------------------------

    async def current_picture(self, incident_id: uuid.UUID) -> Picture | None:
        """The picture now, caught up with the log (read-your-writes for HTTP callers)."""
        feed = await self.feed(incident_id)
        if feed is None:
            return None
        await self.catch_up(feed)
        self._forget_if_idle(feed)
        return feed.picture

    # -- sockets -------------------------------------------------------------------

    def register(self, conn: Connection) -> None:
        self._connections.add(conn)
        self._metrics.stream_connections.set(len(self._connections))

    async def close_all(self, code: int, message: str) -> None:
        """Close every socket of this instance (clients come back with `since`)."""
        await asyncio.gather(*(conn.close(code, message) for conn in list(self._connections)))

    async def recheck_sessions(self) -> None:
        """Close sockets whose web session or token has ended or expired without this
        instance hearing of it (a notification lost while LISTEN was reconnecting, or
        expiry); end expired sessions, with their audit rows, on the way."""
        now = self._clock.now()
        sessions_open = {c.principal.session_id for c in self._connections} - {None}
        tokens_open = {c.principal.token_id for c in self._connections} - {None}
        async with self._pool.acquire() as conn:
            await expire_due(conn, now=now)
            live = await users.live_session_ids(
                conn, {i for i in sessions_open if i is not None}, now=now
            )
            live_tokens = await tokens.live_ids(
                conn, {i for i in tokens_open if i is not None}, now=now
            )
        ended = {i for i in sessions_open if i is not None and i not in live}
        if ended:
            self.end_sessions(ended)
        ended_tokens = {i for i in tokens_open if i is not None and i not in live_tokens}
        if ended_tokens:
            self.end_tokens(ended_tokens)

    def end_sessions(self, session_ids: set[int]) -> None:
        """Close the sockets opened under web sessions that have ended."""
        for conn in list(self._connections):
            if conn.principal.session_id in session_ids:
                conn.close_soon(SESSION_ENDED, "session ended: log in again")

    def end_tokens(self, token_ids: set[int]) -> None:
        """Close the sockets opened with API tokens that were revoked (or have expired)."""
        for conn in list(self._connections):
            if conn.principal.token_id in token_ids:
                conn.close_soon(SESSION_ENDED, "token revoked or expired")

    def drop(self, conn: Connection) -> None:
        self._connections.discard(conn)
        self._watchers.remove(conn)
        self._national.detach(conn)
        for incident_id in list(conn.topics):
            self._detach(conn, incident_id)
        conn.topics.clear()
        self._metrics.stream_connections.set(len(self._connections))
        self._count_subscriptions()

    def _detach(self, conn: Connection, incident_id: uuid.UUID | str | None) -> None:
        if incident_id is None:
            self._watchers.remove(conn)
            return
        if isinstance(incident_id, str):
            self._national.detach(conn)
            return
        feed = self._feeds.get(incident_id)
        if feed is None:
            return
        feed.subscribers.discard(conn)
        self._forget_if_idle(feed)

    def _forget_if_idle(self, feed: Feed) -> None:
        """Closed incidents nobody follows leave memory; they are loaded again on demand."""
        if feed.closed and not feed.subscribers and not feed.lock.locked():
            self._feeds.pop(feed.incident_id, None)

    def _count_subscriptions(self) -> None:
        total = (
            len(self._watchers)
            + len(self._national.watchers)
            + sum(len(f.subscribers) for f in self._feeds.values())
        )
        self._metrics.stream_subscriptions.set(total)

    def unsubscribe(self, conn: Connection, incident_id: uuid.UUID | str | None) -> None:
        conn.topics.discard(incident_id)
        self._detach(conn, incident_id)
        self._count_subscriptions()

    async def watch_incidents(self, conn: Connection, principal: Principal) -> None:
        """Subscribe to `incidents`: a snapshot of visible active incidents, then changes."""
        held = self._watchers.begin(conn)
        conn.topics.add(None)
        async with self._pool.acquire() as conn_db:
            rows = await incidents.list_visible(conn_db, principal, status="active")
        self._watchers.ready(conn, held, rows)
        self._count_subscriptions()

    @property
    def national_seq(self) -> int:
        """The `seq` of the `national` topic that `current_national` stands at."""
        return self._national.seq

    async def current_national(self) -> Rollup:
        """The national roll-up now: every active incident loaded and caught up."""
        async with self._pool.acquire() as conn_db:
            active = await incidents.list_active_ids(conn_db)
        for incident_id in active:
            feed = await self.feed(incident_id)
            if feed is not None:
                await self.catch_up(feed)
        return self._national.rollup

    async def watch_national(self, conn: Connection, since: int | None) -> bool:
        """Subscribe to `national` (agencies and admins): a snapshot or the frames after
        `since`, then live. Returns False when the caller may not (nothing is sent)."""
        if not can_see_national(conn.principal):
            return False
        await self.current_national()
        self._national.attach(conn, since)  # no await between: no frame falls between
        conn.topics.add(NATIONAL_TOPIC)
        self._count_subscriptions()
        return True

    async def subscribe(self, conn: Connection, incident_id: uuid.UUID, since: int | None) -> bool:
        """Attach `conn` to the incident: a snapshot, or the events after `since`, then live.

        Returns False when the caller may not see the incident (nothing is sent).
        Holding the feed's lock while catching up, replaying and attaching means no
        event can fall between what is replayed and what is sent live.
        """
        feed = await self.feed(incident_id)
        if feed is None:
            return False
        if not may_follow(conn.principal, feed.access):
            self._forget_if_idle(feed)
            return False
        asked = feed.reads_begun
        async with feed.lock:
            await self._catch_up_locked(feed, asked)
            if not may_follow(conn.principal, feed.access):  # removed by what was caught up
                return False
            feed.subscribers.discard(conn)
            self._replay_or_snapshot(conn, feed, since)
            feed.subscribers.add(conn)
            conn.topics.add(incident_id)
        self._count_subscriptions()
        return True

    def _replay_or_snapshot(self, conn: Connection, feed: Feed, since: int | None) -> None:
        if since is None:
            conn.send(feed.snapshot())
            return
        if since > feed.seq:
            conn.send(
                frames.error_frame(
                    "resync",
                    f"seq {since} is ahead of the log ({feed.seq}); here is a snapshot",
                    feed.topic,
                )
            )
            conn.send(feed.snapshot())
            return
        replay = feed.frames_after(since)
        if replay is None or len(replay) > conn.room:
            # Older than the ring reaches back (stream_replay_limit), or more than the
            # socket's queue takes at once (which would close it with 4008 on every
            # reconnect): a snapshot says the same in one frame.
            conn.send(feed.snapshot())
            return
        for frame in replay:
            conn.send(frame)
