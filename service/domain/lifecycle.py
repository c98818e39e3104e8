"""Activate, change and close incidents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from schemas.incident import Incident, IncidentClose, IncidentCreate, IncidentPatch
from service.access.policy import can_activate_in, can_manage, can_see
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.clock import iso
from service.domain.schedule import deadline_at_or_after
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.repo import Conn, events, incidents, organisations
from service.repo.incidents import IncidentRow


def to_wire(row: IncidentRow, now: datetime) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        description=row.description,
        county=row.county,
        owner=row.owner,
        severity=row.severity,
        exercise=row.exercise,
        status=row.status,
        participants=list(row.participants),
        shared_with=list(row.shared_with),
        schedule=row.schedule,
        due_at=current_due_at(row, now),
        activated_at=row.activated_at,
        activated_by=row.activated_by,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        summary=row.summary,
        seq=row.last_seq,
    )


def current_due_at(row: IncidentRow, now: datetime) -> datetime | None:
    return deadline_at_or_after(row.schedule, now) if row.active else None


async def visible(conn: Conn, principal: Principal, incident_id: uuid.UUID) -> IncidentRow:
    """The incident if the caller may see it; 404 otherwise (existence is not revealed)."""
    return visible_row(principal, await incidents.get(conn, incident_id), incident_id)


def visible_row(
    principal: Principal, row: IncidentRow | None, incident_id: uuid.UUID
) -> IncidentRow:
    """The row if the caller may see it; 404 otherwise."""
    if row is None or not can_see(principal, row.access):
        raise NotFound(f"no incident {incident_id} that you may see")
    return row


async def _participants_known(conn: Conn, codes: list[str], field: str) -> list[dict[str, str]]:
    """[{code, name}] for the codes, or 422 naming each unknown one."""
    known = await organisations.get_many(conn, codes)
    unknown = [
        ((field, index), f"unknown organisation code {code!r}")
        for index, code in enumerate(codes)
        if code not in known
    ]
    if unknown:
        raise ValidationFailed("participants must be known organisation codes", errors=unknown)
    return [{"code": code, "name": known[code].name} for code in codes]


async def _write_event(
    conn: Conn,
    incident_id: uuid.UUID,
    *,
    kind: str,
    at: datetime,
    actor: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    seq = await incidents.advance_seq(conn, incident_id)
    return await events.append(
        conn, incident_id=incident_id, seq=seq, kind=kind, at=at, actor=actor, data=data
    )


async def activate(
    pool: asyncpg.Pool,
    principal: Principal,
    body: IncidentCreate,
    now: datetime,
    *,
    by: Origin | None = None,
) -> Incident:
    if principal.role != "duty_officer":
        raise Forbidden("only a duty officer activates incidents")
    if not can_activate_in(principal, body.county):
        raise Forbidden(
            f"{principal.organisation} may not activate incidents in county {body.county}"
        )
    async with pool.acquire() as conn, conn.transaction():
        row = await activate_in(conn, principal, body, now, by=by)
    return to_wire(row, now)


async def activate_in(
    conn: Conn,
    principal: Principal,
    body: IncidentCreate,
    now: datetime,
    *,
    by: Origin | None = None,
) -> IncidentRow:
    """`activate` inside the caller's transaction (a drill writes its own row beside it);
    the caller has checked that the principal may activate in the county."""
    incident_id = uuid.uuid4()
    schedule = body.schedule.model_dump(mode="json")
    if not await organisations.county_exists(conn, body.county):
        raise ValidationFailed(errors=[(("county",), f"unknown county code {body.county!r}")])
    participants = await _participants_known(conn, body.participants, "participants")
    await incidents.insert(
        conn,
        incident_id=incident_id,
        title=body.title,
        description=body.description,
        county=body.county,
        owner=principal.organisation,
        severity=body.severity,
        exercise=body.exercise,
        schedule=schedule,
        activated_at=now,
        activated_by=principal.organisation,
        participants=body.participants,
    )
    due_at = deadline_at_or_after(body.schedule, now)
    await _write_event(
        conn,
        incident_id,
        kind="incident.activated",
        at=now,
        actor=principal.organisation,
        data={
            "incident": {
                "id": str(incident_id),
                "title": body.title,
                "description": body.description,
                "county": body.county,
                "owner": principal.organisation,
                "severity": body.severity,
                "exercise": body.exercise,
                "status": "active",
                "schedule": schedule,
                "activated_at": iso(now),
            },
            "participants": participants,
            "due_at": iso(due_at),
        },
    )
    await record(
        conn,
        "incident.activated",
        by or Origin(actor=principal.actor, organisation=principal.organisation),
        at=now,
        incident_id=incident_id,
        title=body.title,
        exercise=body.exercise,
    )
    row = await incidents.get(conn, incident_id)
    assert row is not None
    return row


async def _locked_for_change(
    conn: Conn, principal: Principal, incident_id: uuid.UUID
) -> IncidentRow:
    row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
    if not can_manage(principal, row.access):
        raise Forbidden("only a duty officer of the owner or the county board changes an incident")
    if not row.active:
        raise Conflict("the incident is closed", slug="incident-closed")
    return row


async def change(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: IncidentPatch,
    now: datetime,
    *,
    by: Origin | None = None,
) -> Incident:
    async with pool.acquire() as conn, conn.transaction():
        row = await _locked_for_change(conn, principal, incident_id)
        changes: dict[str, Any] = {}
        for name in ("title", "description", "severity"):
            value = getattr(body, name)
            if value is not None and value != getattr(row, name):
                changes[name] = value
        if body.schedule is not None and body.schedule != row.schedule:
            changes["schedule"] = body.schedule.model_dump(mode="json")
        added: list[dict[str, str]] = []
        removed: list[str] = []
        if body.participants is not None:
            wanted = await _participants_known(conn, body.participants, "participants")
            current = set(row.participants)
            added = [entry for entry in wanted if entry["code"] not in current]
            removed = sorted(current - set(body.participants))
        if changes or added or removed:
            await incidents.update_fields(conn, incident_id, changes)
            if added:
                await incidents.add_participants(conn, incident_id, [a["code"] for a in added], now)
            if removed:
                await incidents.remove_participants(conn, incident_id, removed)
            schedule = body.schedule if body.schedule is not None else row.schedule
            await _write_event(
                conn,
                incident_id,
                kind="incident.updated",
                at=now,
                actor=principal.organisation,
                data={
                    "changes": changes,
                    "participants_added": added,
                    "participants_removed": removed,
                    "due_at": iso(deadline_at_or_after(schedule, now)),
                },
            )
            await record(
                conn,
                "incident.changed",
                by or Origin(actor=principal.actor, organisation=principal.organisation),
                at=now,
                incident_id=incident_id,
                changed=sorted(changes),
                participants_added=[entry["code"] for entry in added],
                participants_removed=removed,
            )
        updated = await incidents.get(conn, incident_id)
    assert updated is not None
    return to_wire(updated, now)


async def close(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: IncidentClose,
    now: datetime,
    *,
    by: Origin | None = None,
) -> Incident:
    async with pool.acquire() as conn, conn.transaction():
        await _locked_for_change(conn, principal, incident_id)
        await incidents.close(
            conn, incident_id, at=now, by=principal.organisation, summary=body.summary
        )
        await _write_event(
            conn,
            incident_id,
            kind="incident.closed",
            at=now,
            actor=principal.organisation,
            data={
                "summary": body.summary,
                "closed_at": iso(now),
                "closed_by": principal.organisation,
            },
        )
        await record(
            conn,
            "incident.closed",
            by or Origin(actor=principal.actor, organisation=principal.organisation),
            at=now,
            incident_id=incident_id,
        )
        row = await incidents.get(conn, incident_id)
    assert row is not None
    return to_wire(row, now)
