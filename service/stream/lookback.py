"""Looking back over the stream: the picture of a followed incident as it stood at a moment.

The dashboard's time slider asks for a past picture at every step. Asked over the socket
the dashboard already holds, a step costs no new HTTP request, in the browser or here
(docs/benchmarks.md, "moment"). The answer is the one `GET …/picture?at=` gives, from
the same checkpoints; the HTTP route stays for everything else.

One look back runs at a time per socket. A request that comes while one runs waits in
the one place there is, and a newer request takes that place: the slider has moved on.
Answers go out in the order asked and carry the client's `ref`, so a client that sees
the answer to `ref` knows that every earlier request it still waits for was passed over
(a frame that cannot be read at all is refused at once, before any running look back).
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from aiohttp import WSCloseCode

from schemas.stream import Moment, parse_topic
from service.domain import lifecycle, past
from service.errors import NotFound, ServiceUnavailable, ValidationFailed
from service.lanes import Lane
from service.repo import DATABASE_ERRORS
from service.stream import frames
from service.stream.connection import Connection

log = structlog.get_logger(__name__)


class LookBack:
    """The look backs of one socket: at most one running and one waiting."""

    def __init__(
        self,
        conn: Connection,
        pool: asyncpg.Pool,
        lane: Lane,
        index: past.MomentIndex,
        every: int,
    ) -> None:
        self._conn = conn
        self._pool = pool
        self._lane = lane  # shared by every socket and `GET …/picture` of the process
        self._index = index
        self._every = every
        self._waiting: Moment | None = None
        self._task: asyncio.Task[None] | None = None

    def ask(self, command: Moment) -> None:
        """Answer `command` after the look back under way, in place of any still waiting."""
        self._waiting = command
        if self._task is None:
            self._task = asyncio.create_task(
                self._answer_all(), name=f"stream-lookback-{self._conn.id}"
            )

    async def close(self) -> None:
        """Stop: the socket has ended, nobody is left to answer."""
        self._waiting = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _answer_all(self) -> None:
        try:
            while self._waiting is not None:
                command, self._waiting = self._waiting, None
                try:
                    self._conn.send(await self._answer(command))
                except DATABASE_ERRORS as exc:
                    # As for a subscribe: the database is away, the client comes back.
                    log.warning("stream.lookback_failed", error=str(exc))
                    self._conn.close_soon(WSCloseCode.INTERNAL_ERROR, "try again shortly")
                    return
                except Exception:
                    # Not the client's doing, and no request may be left unanswered: the
                    # socket closes (1011), which tells the client to ask over HTTP.
                    log.exception("stream.lookback_broke", ref=command.ref)
                    self._conn.close_soon(WSCloseCode.INTERNAL_ERROR, "try again shortly")
                    return
        finally:
            self._task = None

    async def _answer(self, command: Moment) -> frames.Frame:
        topic, ref = command.topic, command.ref
        incident_id = parse_topic(topic)  # an incident's: the schema checked it
        if incident_id is None or incident_id not in self._conn.topics:
            return frames.error_frame(
                "not_found", "subscribe to the topic before looking back", topic, ref=ref
            )
        try:
            async with self._lane.turn(), self._pool.acquire() as db:
                # Asked again: a share withdrawn since the subscribe ends the look backs too.
                row = await lifecycle.visible(db, self._conn.principal, incident_id)
                seq = await past.seq_at(db, row, command.at, self._index)
                picture = await past.picture_at_seq(db, row.id, seq, self._every)
        except NotFound:
            return frames.error_frame("not_found", "no incident that you may see", topic, ref=ref)
        except ValidationFailed as exc:
            message = exc.errors[0][1] if exc.errors else exc.detail
            return frames.error_frame("bad_request", message, topic, ref=ref)
        except ServiceUnavailable as exc:  # no turn in time (`LAGESBILD_LOOKBACKS_AT_ONCE`)
            return frames.error_frame("unavailable", exc.detail, topic, ref=ref)
        return frames.moment_frame(topic, ref, command.at.isoformat(), picture)
