"""Delivering injects at their time, claimed once across instances.

`deliver_due(now)` delivers every pending inject of an active incident whose time has
come, in the order they fall due: under the incident's row lock it appends the
`inject.delivered` event, marks the inject delivered with that event's seq (the claim:
the lock orders instances, and the second finds the inject no longer pending) and
enqueues one e-mail (and webhook message) per recipient of its audience. An inject due
while every instance was down is delivered by whichever runs next. The rounds job runs
it on each of its runs (`service/rounds/job.py`), and wakes for the next inject's time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import structlog

from service.clock import iso
from service.domain.labels import EXERCISE_MARK, local_time
from service.domain.plaintext import incident_code
from service.injects import repo
from service.injects.repo import InjectRow
from service.outbox.repo import enqueue
from service.repo import Conn, events, incidents
from service.repo.incidents import IncidentRow
from service.rounds.messages import Reminder, report_path
from service.rounds.recipients import recipients

log = structlog.get_logger(__name__)

ACTOR = "system"
KIND = "inject.delivered"


@dataclass
class Delivered:
    """What one run delivered (for tests and logs)."""

    injects: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    messages: int = 0
    wake_at: datetime | None = None


def delivered_data(inject: InjectRow) -> dict[str, object]:
    """What `inject.delivered` carries (docs/events.md). Not the text: the log is read by
    every participant, the text only by the inject's audience; its digest lets the log
    vouch for the text kept with the inject."""
    return {
        "inject_id": str(inject.id),
        "number": inject.number,
        "scheduled_at": iso(inject.deliver_at),
        "audience": None if inject.audience is None else list(inject.audience),
        "text_sha256": hashlib.sha256(inject.text.encode()).hexdigest(),
        "attachments": len(inject.attachments),
    }


def message(row: IncidentRow, inject: InjectRow) -> Reminder:
    """The e-mail of one inject: ÖVNING first in the subject and the text."""
    code = incident_code(row.id)
    subject = f"{EXERCISE_MARK} Inspel {inject.number} – {row.title} [{code}]"
    parts = [
        f"{EXERCISE_MARK} – {EXERCISE_MARK} – {EXERCISE_MARK}",
        f"Inspel {inject.number} i övningen «{row.title}», {local_time(inject.deliver_at)}:",
        inject.text,
    ]
    parts.extend(f"--- Bilaga: {a['name']} ---\n{a['text']}" for a in inject.attachments)
    parts.append(f"Rapportsidan: {report_path(row.id)}\nHändelsens kod: {code}")
    return Reminder(subject=subject, text="\n\n".join(parts))


class InjectsJob:
    def __init__(
        self, pool: asyncpg.Pool, *, notify: Callable[[uuid.UUID, int], None] | None = None
    ) -> None:
        self._pool = pool
        self._notify = notify

    async def deliver_due(self, now: datetime) -> Delivered:
        done = Delivered()
        async with self._pool.acquire() as conn:
            due = await repo.due(conn, now)
        for incident_id, inject_id in due:
            try:
                await self._deliver(incident_id, inject_id, now, done)
            except (asyncpg.PostgresError, OSError):
                raise
            except Exception:  # one bad inject must not stop the others
                log.exception("inject.failed", incident_id=str(incident_id))
        async with self._pool.acquire() as conn:
            done.wake_at = await repo.next_due(conn, now)
        return done

    async def _deliver(
        self, incident_id: uuid.UUID, inject_id: uuid.UUID, now: datetime, done: Delivered
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await incidents.lock(conn, incident_id)
            if row is None or not row.active or not row.exercise:
                return
            inject = await repo.get(conn, incident_id, inject_id)
            if inject is None or not inject.pending or inject.deliver_at > now:
                return  # delivered by another instance, or withdrawn or moved on meanwhile
            seq = await incidents.advance_seq(conn, incident_id)
            await events.append(
                conn,
                incident_id=incident_id,
                seq=seq,
                kind=KIND,
                at=now,
                actor=ACTOR,
                data=delivered_data(inject),
            )
            claimed = await repo.claim_delivery(conn, inject_id, now=now, seq=seq)
            assert claimed is not None  # pending, under the incident's lock
            sent = await self._enqueue(conn, row, claimed, now)
        done.injects.append((incident_id, claimed.number))
        done.messages += sent
        log.info("inject.delivered", incident_id=str(incident_id), number=claimed.number)
        if self._notify is not None:
            self._notify(incident_id, seq)

    async def _enqueue(self, conn: Conn, row: IncidentRow, inject: InjectRow, now: datetime) -> int:
        # Those of its audience who still take part (one removed since is not written to).
        audience = [
            code for code in row.participants if inject.audience is None or code in inject.audience
        ]
        found = await recipients(conn, audience)
        text = message(row, inject)
        sent = 0
        for code in audience:
            for recipient in found.get(code, []):
                payload = recipient.payload(
                    text,
                    {
                        "type": KIND,
                        "incident_id": str(row.id),
                        "exercise": True,
                        "organisation": code,
                        "inject": inject.number,
                    },
                )
                if await enqueue(
                    conn,
                    destination=recipient.destination,
                    kind=KIND,
                    message_id=f"inject:{inject.id}:{code}:{recipient.address}",
                    payload=payload,
                    at=now,
                    incident_id=row.id,
                ):
                    sent += 1
        return sent
