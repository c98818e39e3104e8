"""Group commit per incident: submissions to the same incident that arrive while one
batch is being written wait together, and the next batch writes them all at once.

Each incident this process is writing to has a lane: a list of waiting items and one
task, its leader, that takes up to `BATCH_LIMIT` of them at a time and hands them to
the writer, which answers each item (its result or its own error). The lane exists only
while something waits or is being written, so nothing outlives the pool it writes to.
Only this process's submissions are batched; across instances the incident's row is
what orders the writes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
import structlog

log = structlog.get_logger(__name__)

# The most submissions written in one statement (about 3 kB of JSON each).
BATCH_LIMIT = 64


class Item(Protocol):
    """Something waiting in a lane for its answer."""

    def done(self) -> bool: ...

    def fail(self, error: BaseException) -> None: ...


W = TypeVar("W", bound=Item)
Writer = Callable[[asyncpg.Pool, uuid.UUID, list[W]], Awaitable[None]]


@dataclass
class _Lane(Generic[W]):
    waiting: list[W] = field(default_factory=list)
    leader: asyncio.Task[None] | None = None


# (id of the pool, incident) → its lane; a lane's leader holds the pool, so while the
# entry exists the id is that pool's.
_lanes: dict[tuple[int, uuid.UUID], _Lane[Any]] = {}


def queue(pool: asyncpg.Pool, incident_id: uuid.UUID, item: W, write: Writer[W]) -> None:
    """Queue `item` for the incident's next batch; `write` answers it. A caller that
    stops waiting is skipped if its batch has not begun; what a batch takes, it writes."""
    key = (id(pool), incident_id)
    lane = _lanes.get(key)
    if lane is None:
        lane = _Lane()
        _lanes[key] = lane
        lane.leader = asyncio.create_task(
            _lead(pool, incident_id, key, lane, write), name=f"group-commit-{incident_id}"
        )
    lane.waiting.append(item)


async def _lead(
    pool: asyncpg.Pool,
    incident_id: uuid.UUID,
    key: tuple[int, uuid.UUID],
    lane: _Lane[W],
    write: Writer[W],
) -> None:
    """Write what waits, a batch at a time, until nothing does; then the lane goes."""
    batch: list[W] = []
    try:
        while lane.waiting:
            batch = [item for item in lane.waiting[:BATCH_LIMIT] if not item.done()]
            del lane.waiting[:BATCH_LIMIT]
            if batch:
                await write(pool, incident_id, batch)
    except BaseException as exc:
        # The writer answers every item; whatever escapes it (a bug, or the loop
        # stopping) is logged and every item still waiting is answered.
        if isinstance(exc, Exception):
            log.exception("group_commit.writer_failed", incident_id=str(incident_id))
        for item in [*batch, *lane.waiting]:
            if not item.done():
                item.fail(exc)
        if not isinstance(exc, Exception):
            raise
    finally:
        _lanes.pop(key, None)
