"""Writing and reading the incident journal.

An entry is one `journal.entry` event (docs/events.md): written under the incident's row
lock, so its `number` (1, 2, … per incident) follows log order without gaps. Entries are
never changed; a correction is a new entry whose `corrects` names an earlier number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg

from schemas.journal import JournalEntry, JournalEntryCreate
from service.access.policy import can_write_journal
from service.access.principal import Principal
from service.clock import iso
from service.domain.lifecycle import visible, visible_row
from service.errors import Conflict, Forbidden, ValidationFailed
from service.journal import repo
from service.repo import Conn, events, incidents

KIND = repo.KIND


def entry_data(
    body: JournalEntryCreate, principal: Principal, number: int, now: datetime
) -> dict[str, Any]:
    """What `journal.entry` carries: the contract of docs/events.md."""
    return {
        "number": number,
        "at": iso(body.at or now),
        "author": principal.name,
        "organisation": principal.organisation,
        "category": body.category,
        "text": body.text,
        "decided_by": body.decided_by,
        "significant": body.significant,
        "corrects": body.corrects,
    }


def checked(body: JournalEntryCreate, last_number: int, now: datetime) -> None:
    """An entry may not happen in the future, and corrects only an entry that exists."""
    if body.at is not None and body.at > now:
        raise ValidationFailed(errors=[(("at",), "must not be later than now")])
    if body.corrects is not None and body.corrects > last_number:
        raise ValidationFailed(
            errors=[(("corrects",), f"no entry {body.corrects} (the last is {last_number})")]
        )


async def add(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: JournalEntryCreate,
    now: datetime,
) -> JournalEntry:
    """Write the next entry; the entry as stored (its event's seq included)."""
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        if not can_write_journal(principal, row.access):
            raise Forbidden(
                "participants and the owner's or county board's duty officers and viewers "
                "write in the journal"
            )
        if not row.active:
            raise Conflict("the incident is closed", slug="incident-closed")
        last = await repo.last_number(conn, row.id)
        checked(body, last, now)
        seq = await incidents.advance_seq(conn, row.id)
        event = await events.append(
            conn,
            incident_id=row.id,
            seq=seq,
            kind=KIND,
            at=now,
            actor=principal.organisation,
            data=entry_data(body, principal, last + 1, now),
        )
    return JournalEntry.model_validate({**event["data"], "seq": seq, "recorded_at": event["at"]})


def as_entries(found: Iterable[tuple[int, Any, dict[str, Any]]]) -> list[JournalEntry]:
    """Stored entries, oldest first, each naming the later entries that correct it."""
    listed = [
        JournalEntry.model_validate({**data, "seq": seq, "recorded_at": at})
        for seq, at, data in found
    ]
    by_number = {entry.number: entry for entry in listed}
    for entry in listed:
        if entry.corrects is not None and entry.corrects in by_number:
            by_number[entry.corrects].corrected_by.append(entry.number)
    return listed


async def list_entries(
    conn: Conn, principal: Principal, incident_id: uuid.UUID
) -> list[JournalEntry]:
    row = await visible(conn, principal, incident_id)
    return as_entries(await repo.entries(conn, row.id))
