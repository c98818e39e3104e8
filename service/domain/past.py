"""The picture as it stood at an earlier seq or moment, from checkpoints and the log."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime

from service.clock import iso
from service.errors import ValidationFailed
from service.picture.checkpoints import fold_after
from service.picture.fold import Picture, advance, empty_picture
from service.picture.moments import Moments
from service.repo import Conn, checkpoints, events
from service.repo.incidents import IncidentRow


async def picture_at_seq(conn: Conn, incident_id: uuid.UUID, seq: int, every: int) -> Picture:
    """The fold of the log up to `seq`: the latest checkpoint at or before it and the
    events after it. Checkpoints missing on the way (a log older than them) are written,
    so the next look back starts later."""
    start = await checkpoints.latest(conn, incident_id, at_or_before=seq)
    after = 0 if start is None else int(start["seq"])
    log = await events.since(conn, incident_id, after, until=seq)
    picture, crossed = fold_after(start, log, every)
    await checkpoints.write(conn, incident_id, crossed)
    return picture


async def picture_stamped_by(
    conn: Conn, incident_id: uuid.UUID, moment: datetime, last_seq: int
) -> Picture:
    """The fold of every event stamped at or before `moment`, in seq order (a round's
    picture at its deadline): the latest checkpoint whose events all are, and the
    events after it that are."""
    start = await checkpoints.latest(
        conn,
        incident_id,
        at_or_before=await checkpoints.seq_at(conn, incident_id, moment, last_seq),
    )
    after = 0 if start is None else int(start["seq"])
    log = await events.since(conn, incident_id, after, until=last_seq)
    picture = empty_picture() if start is None else start
    for event in log:
        if datetime.fromisoformat(event["at"]) <= moment:
            picture = advance(picture, event)
    return picture


class MomentIndex:
    """Which seq each moment is, for the incidents looked back at lately: each one's
    `Moments`, brought up to its log's end when asked. At most `incidents` are kept,
    the least recently asked going first (10,000 events take 80 KB)."""

    def __init__(self, incidents: int = 32) -> None:
        self._incidents = incidents
        self._kept: OrderedDict[uuid.UUID, Moments] = OrderedDict()

    async def seq_at(self, conn: Conn, row: IncidentRow, moment: datetime) -> int:
        """The last seq at or before `moment` (see `seq_at`), never past `row.last_seq`."""
        kept = self._kept.pop(row.id, None) or Moments()
        self._kept[row.id] = kept
        while len(self._kept) > self._incidents:
            self._kept.popitem(last=False)
        if kept.last_seq < row.last_seq:
            kept.extend(await events.stamped_after(conn, row.id, kept.last_seq))
        return min(kept.seq_at(moment), row.last_seq)


async def seq_at(conn: Conn, row: IncidentRow, moment: datetime, index: MomentIndex) -> int:
    """The last seq at or before `moment`: every event up to it is stamped no later.

    A round closes a moment after its deadline but is stamped with the deadline, so the
    log's times are not quite in seq order; taking the seq before the first event
    stamped after `moment` keeps anything that happened later out of the picture.
    A moment before the activation has no picture (422).
    """
    seq = await index.seq_at(conn, row, moment)
    if seq < 1:
        raise ValidationFailed(
            errors=[
                (
                    ("query", "at"),
                    f"the incident was activated at {iso(row.activated_at)}; "
                    "there is no picture before that",
                )
            ]
        )
    return seq
