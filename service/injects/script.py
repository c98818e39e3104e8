"""The script of an exercise: adding, changing and withdrawing injects, who sees which,
and templates.

Injects belong to exercise incidents only. An inject can be changed or withdrawn until
it is delivered; a withdrawn inject keeps its row, marked. Every write holds the
incident's row lock, as the delivery does (`service/injects/job.py`), so a change, a
withdrawal and a delivery of the same inject never cross.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from schemas.inject import (
    Attachment,
    FromTemplate,
    Inject,
    InjectBody,
    InjectState,
    InjectTemplate,
    TemplateCreate,
    TemplateInject,
)
from service.access.policy import IncidentAccess, can_manage, is_county_board_of
from service.access.principal import Principal
from service.domain.lifecycle import visible, visible_row
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.injects import repo
from service.injects.repo import InjectRow, TemplateRow
from service.repo import Conn, incidents
from service.repo.incidents import IncidentRow


def state_of(row: InjectRow) -> InjectState:
    if row.withdrawn_at is not None:
        return "withdrawn"
    return "delivered" if row.delivered_at is not None else "scheduled"


def to_wire(row: InjectRow) -> Inject:
    return Inject(
        id=row.id,
        incident_id=row.incident_id,
        number=row.number,
        text=row.text,
        attachments=[Attachment.model_validate(a) for a in row.attachments],
        audience=None if row.audience is None else list(row.audience),
        offset_minutes=None if row.offset_seconds is None else row.offset_seconds // 60,
        deliver_at=row.deliver_at,
        state=state_of(row),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
        withdrawn_by=row.withdrawn_by,
        delivered_at=row.delivered_at,
        delivered_seq=row.delivered_seq,
    )


def seen_by(
    principal: Principal, access: IncidentAccess, rows: Iterable[InjectRow]
) -> list[InjectRow]:
    """The injects a caller who sees the incident is shown.

    Those who manage the incident see the whole script; viewers and duty officers of the
    owner or of the county board (the exercise's leaders) every delivered inject; anyone
    else only the delivered injects whose audience includes its own organisation. A
    municipality never sees an inject before it is delivered, nor one meant for others.
    """
    if can_manage(principal, access):
        return list(rows)
    delivered = [row for row in rows if row.delivered_at is not None]
    leading = principal.role in ("viewer", "duty_officer") and (
        principal.organisation == access.owner or is_county_board_of(principal, access.county)
    )
    if leading or principal.role == "admin":
        return delivered
    if principal.organisation not in access.participants:
        return []
    return [row for row in delivered if row.reaches(principal.organisation)]


def _scripted(principal: Principal, row: IncidentRow) -> None:
    """Who may write an incident's script, and when: its managers, while it runs, on an
    exercise."""
    if not can_manage(principal, row.access):
        raise Forbidden("duty officers of the owner or of the county board write the script")
    if not row.exercise:
        raise Conflict("injects belong to exercises; this incident is real", slug="not-exercise")
    if not row.active:
        raise Conflict("the incident is closed", slug="incident-closed")


def _timing(body: InjectBody, row: IncidentRow) -> tuple[int | None, datetime]:
    """(offset from the start in seconds or None, the moment to deliver)."""
    if body.offset_minutes is not None:
        seconds = body.offset_minutes * 60
        return seconds, row.activated_at + timedelta(seconds=seconds)
    assert body.at is not None
    return None, body.at


def _audience(body: InjectBody, row: IncidentRow) -> list[str] | None:
    """The chosen participants, in order, once each; each must take part."""
    if body.audience is None:
        return None
    outside = [code for code in body.audience if code not in row.participants]
    if outside:
        raise ValidationFailed(
            errors=[(("audience",), f"not participants of the incident: {', '.join(outside)}")]
        )
    return sorted(set(body.audience))


def _fields(body: InjectBody, row: IncidentRow) -> dict[str, Any]:
    offset, deliver_at = _timing(body, row)
    return {
        "text": body.text,
        "attachments": [a.model_dump() for a in body.attachments],
        "audience": _audience(body, row),
        "offset_seconds": offset,
        "deliver_at": deliver_at,
    }


async def add(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: InjectBody,
    now: datetime,
) -> Inject:
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        _scripted(principal, row)
        stored = await repo.insert(
            conn, incident_id=row.id, **_fields(body, row), now=now, by=principal.name
        )
    return to_wire(stored)


async def _pending(conn: Conn, row: IncidentRow, inject_id: uuid.UUID) -> InjectRow:
    found = await repo.get(conn, row.id, inject_id)
    if found is None:
        raise NotFound(f"no inject {inject_id} in this incident")
    if found.delivered_at is not None:
        raise Conflict("the inject has been delivered", slug="inject-delivered")
    if found.withdrawn_at is not None:
        raise Conflict("the inject has been withdrawn", slug="inject-withdrawn")
    return found


async def change(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    inject_id: uuid.UUID,
    body: InjectBody,
    now: datetime,
) -> Inject:
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        _scripted(principal, row)
        await _pending(conn, row, inject_id)
        changed = await repo.update(conn, inject_id, **_fields(body, row), now=now)
        assert changed is not None  # pending, under the incident's lock
    return to_wire(changed)


async def withdraw(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    inject_id: uuid.UUID,
    now: datetime,
) -> Inject:
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        _scripted(principal, row)
        await _pending(conn, row, inject_id)
        withdrawn = await repo.withdraw(conn, inject_id, now=now, by=principal.name)
        assert withdrawn is not None  # pending, under the incident's lock
    return to_wire(withdrawn)


async def list_injects(conn: Conn, principal: Principal, incident_id: uuid.UUID) -> list[Inject]:
    row = await visible(conn, principal, incident_id)
    return [
        to_wire(found) for found in seen_by(principal, row.access, await repo.list_of(conn, row.id))
    ]


async def delivered_for(conn: Conn, principal: Principal, row: IncidentRow) -> list[Inject]:
    """The delivered injects the caller is shown, latest first (the dashboard and the
    report page)."""
    shown = seen_by(principal, row.access, await repo.list_of(conn, row.id))
    delivered = [found for found in shown if found.delivered_at is not None]
    return [
        to_wire(found)
        for found in sorted(delivered, key=lambda r: (r.deliver_at, r.number), reverse=True)
    ]


async def delivered_to(conn: Conn, row: IncidentRow, organisation: str) -> list[Inject]:
    """The delivered injects meant for a participant, latest first (the report page a
    link's holder opens, with no account)."""
    found = [
        r
        for r in await repo.list_of(conn, row.id)
        if r.delivered_at is not None
        and organisation in row.participants
        and r.reaches(organisation)
    ]
    return [to_wire(r) for r in sorted(found, key=lambda r: (r.deliver_at, r.number), reverse=True)]


# --- templates ---------------------------------------------------------------------------


def template_to_wire(row: TemplateRow) -> InjectTemplate:
    return InjectTemplate(
        id=row.id,
        organisation=row.organisation,
        name=row.name,
        injects=[TemplateInject.model_validate(item) for item in row.injects],
        created_at=row.created_at,
        created_by=row.created_by,
    )


def template_items(rows: Iterable[InjectRow], start: datetime) -> list[dict[str, Any]]:
    """The script's injects not withdrawn, each at its offset from `start` (a time
    before the start counts as the start), in the order they fall due."""
    kept = sorted((r for r in rows if r.withdrawn_at is None), key=lambda r: r.deliver_at)
    return [
        {
            "text": r.text,
            "attachments": r.attachments,
            "audience": None if r.audience is None else list(r.audience),
            "offset_minutes": max(0, int((r.deliver_at - start).total_seconds()) // 60),
        }
        for r in kept
    ]


async def save_template(
    pool: asyncpg.Pool, principal: Principal, body: TemplateCreate, now: datetime
) -> InjectTemplate:
    """Keep an incident's script as a template of the caller's organisation."""
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.get(conn, body.incident_id), body.incident_id)
        if not can_manage(principal, row.access):
            raise Forbidden("duty officers of the owner or of the county board keep its script")
        items = template_items(await repo.list_of(conn, row.id), row.activated_at)
        if not items:
            raise Conflict("the incident's script has no injects", slug="script-empty")
        stored = await repo.insert_template(
            conn,
            organisation=principal.organisation,
            name=body.name,
            injects=items,
            now=now,
            by=principal.name,
        )
    return template_to_wire(stored)


async def list_templates(conn: Conn, principal: Principal) -> list[InjectTemplate]:
    return [template_to_wire(row) for row in await repo.templates_of(conn, principal.organisation)]


async def from_template(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: FromTemplate,
    now: datetime,
) -> list[Inject]:
    """Copy a template of the caller's organisation into the incident's script, each
    inject at its offset after `body.start` (the activation by default). Participants
    of an inject's audience who do not take part are left out; an inject none of whose
    audience takes part is not copied (never widened to every participant)."""
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        _scripted(principal, row)
        template = await repo.get_template(conn, body.template_id)
        if template is None or template.organisation != principal.organisation:
            raise NotFound(f"no template {body.template_id} of your organisation")
        start = body.start or row.activated_at
        added = []
        for item in template.injects:
            audience = item["audience"]
            if audience is not None:
                audience = [code for code in audience if code in row.participants]
                if not audience:
                    continue  # written for others: it must not reach everyone instead
            seconds = int(item["offset_minutes"]) * 60
            added.append(
                await repo.insert(
                    conn,
                    incident_id=row.id,
                    text=item["text"],
                    attachments=item["attachments"],
                    audience=audience,
                    offset_seconds=seconds if body.start is None else None,
                    deliver_at=start + timedelta(seconds=seconds),
                    now=now,
                    by=principal.name,
                )
            )
    return [to_wire(found) for found in added]
