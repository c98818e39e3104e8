"""Sharing an incident with the county board of another county, and ending that.

A share lets every user of that county board read the incident as participants do
(`policy.is_shared_with`); it does not make the board a participant, so it does not
report. Sharing and unsharing are events in the incident's log (`incident.shared`,
`incident.unshared`, data `{"organisation"}`); `incident_shares` holds who it is
shared with now, written in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from schemas.incident import Incident
from service.access.policy import can_share, may_share_with
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.domain.lifecycle import to_wire, visible_row
from service.errors import Forbidden, NotFound, ValidationFailed
from service.repo import Conn, events, incidents, organisations
from service.repo.incidents import IncidentRow


async def _locked_for_sharing(
    conn: Conn, principal: Principal, incident_id: uuid.UUID
) -> IncidentRow:
    row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
    if not can_share(principal, row.access):
        raise Forbidden("only a duty officer of the owner or the county board shares an incident")
    return row


async def share(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    organisation: str,
    now: datetime,
    *,
    by: Origin | None = None,
) -> tuple[Incident, bool]:
    """Share with `organisation`; the incident and whether the share is new (a repeat
    writes nothing). Closed incidents may be shared too: reading outlives reporting."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _locked_for_sharing(conn, principal, incident_id)
        target = await organisations.get(conn, organisation)
        if target is None:
            raise NotFound(f"no organisation {organisation!r}")
        refusal = may_share_with(target.kind, target.county, row.access)
        if refusal is not None:
            raise ValidationFailed(refusal, errors=[(("path", "organisation"), refusal)])
        added = await incidents.add_share(
            conn, incident_id, organisation, at=now, by=principal.name
        )
        if added:
            await _write(conn, incident_id, "incident.shared", now, principal, organisation, by)
        updated = await incidents.get(conn, incident_id)
    assert updated is not None
    return to_wire(updated, now), added


async def unshare(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    organisation: str,
    now: datetime,
    *,
    by: Origin | None = None,
) -> tuple[Incident, bool]:
    """Stop sharing with `organisation`; whether it was shared (if not, nothing is written)."""
    async with pool.acquire() as conn, conn.transaction():
        await _locked_for_sharing(conn, principal, incident_id)
        removed = await incidents.remove_share(conn, incident_id, organisation)
        if removed:
            await _write(conn, incident_id, "incident.unshared", now, principal, organisation, by)
        updated = await incidents.get(conn, incident_id)
    assert updated is not None
    return to_wire(updated, now), removed


async def _write(
    conn: Conn,
    incident_id: uuid.UUID,
    kind: str,
    at: datetime,
    principal: Principal,
    organisation: str,
    by: Origin | None,
) -> None:
    """The event, and its audit row in the same transaction."""
    await record(
        conn,
        "incident.shared" if kind == "incident.shared" else "incident.unshared",
        by or Origin(actor=principal.actor, organisation=principal.organisation),
        at=at,
        incident_id=incident_id,
        shared_with=organisation,
    )
    seq = await incidents.advance_seq(conn, incident_id)
    await events.append(
        conn,
        incident_id=incident_id,
        seq=seq,
        kind=kind,
        at=at,
        actor=principal.organisation,
        data={"organisation": organisation},
    )
