"""Start a drill, and read its result.

A drill is an exercise incident (ÖVNING) of the county board with the chosen
participants and one deadline (start + the time to respond), started in one
transaction with its `drills` row, its `drill.started` event and every notification:
one outbox message per participant and recipient (e-mail, each webhook, each SMS number
when the SMS gateway is configured). The result is computed when asked, from the outbox
(sent, delivered) and the incident's reports (first report, its channel).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from schemas.drill import Drill, DrillOrganisation, DrillResult, DrillStart
from schemas.incident import IncidentCreate, IntervalSchedule
from service.access.policy import can_see_drills, can_start_drill
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.clock import iso
from service.domain import lifecycle, text_reports
from service.drills import messages, repo
from service.drills.result import notify_channel, result
from service.errors import Forbidden, NotFound, ValidationFailed
from service.invitations import operations as invitations
from service.outbox.repo import enqueue
from service.repo import Conn, events, incidents, organisations
from service.repo.incidents import IncidentRow
from service.rounds import repo as rounds_repo
from service.rounds.messages import answerable
from service.rounds.recipients import Recipient, recipients

# The one deadline is the first of an interval schedule whose next falls a week later:
# the drill is over (and its incident closed, as a rule) long before.
_AFTER_THE_DEADLINE = 7 * 24 * 60
_INVITATION_LIFETIME = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Channels:
    """How this installation reaches participants, beside e-mail and webhooks."""

    base_url: str
    reply_to: str | None = None  # mails carry the plain-text template when set
    sms: bool = False  # the SMS gateway is configured
    invitation_days: float = 7.0


def _default_title(now: datetime) -> str:
    return f"Rapporteringsövning {now:%Y-%m-%d}"


async def _participants(conn: Conn, body: DrillStart) -> list[str]:
    if body.participants is not None:
        return body.participants
    found = await organisations.list_all(conn, county=body.county, kind="municipality")
    if not found:
        raise ValidationFailed(errors=[(("county",), f"no municipalities in county {body.county}")])
    return [org.code for org in found]


async def start(
    pool: asyncpg.Pool,
    principal: Principal,
    body: DrillStart,
    now: datetime,
    *,
    channels: Channels,
    by: Origin | None = None,
) -> tuple[DrillResult, int]:
    """The drill's result at its start, and the incident's last seq (for the stream)."""
    if not can_start_drill(principal, body.county):
        raise Forbidden(f"only a duty officer of county {body.county}'s board starts a drill there")
    drill_id = uuid.uuid4()
    respond_by = now + timedelta(minutes=body.respond_minutes)
    origin = by or Origin(actor=principal.actor, organisation=principal.organisation)
    async with pool.acquire() as conn, conn.transaction():
        participants = await _participants(conn, body)
        create = IncidentCreate(
            title=body.title or _default_title(now),
            description=body.message,
            county=body.county,
            severity="low",
            exercise=True,
            participants=participants,
            schedule=IntervalSchedule(
                interval_minutes=_AFTER_THE_DEADLINE, first_due_at=respond_by
            ),
        )
        row = await lifecycle.activate_in(conn, principal, create, now, by=origin)
        drill = repo.DrillRow(
            id=drill_id,
            incident_id=row.id,
            county=body.county,
            message=body.message,
            respond_minutes=body.respond_minutes,
            respond_by=respond_by,
            started_at=now,
            started_by=principal.organisation,
            started_by_actor=principal.actor,
            invitations=body.invitations,
            participants=participants,
        )
        await repo.insert(conn, drill)
        notified = await _notify(conn, drill, row, principal, channels, origin, now)
        # The notice is the reminder before the drill's deadline: the rounds job, finding
        # that work claimed, sends no second mail (a "Påminnelse") to every participant.
        await rounds_repo.claim(conn, row.id, respond_by, "reminder.before", now)
        seq = await incidents.advance_seq(conn, row.id)
        await events.append(
            conn,
            incident_id=row.id,
            seq=seq,
            kind="drill.started",
            at=now,
            actor=principal.organisation,
            data={
                "drill_id": str(drill_id),
                "message": body.message,
                "respond_minutes": body.respond_minutes,
                "respond_by": iso(respond_by),
                "participants": participants,
                # the channels each participant was notified by (deliveries: the outbox)
                "notified": notified,
            },
        )
        await record(
            conn,
            "drill.started",
            origin,
            at=now,
            drill_id=str(drill_id),
            incident_id=row.id,
            county=body.county,
            participants=len(participants),
            notifications=sum(len(by) for by in notified.values()),
        )
        return await _result(conn, drill, now), seq


async def _invitation(
    conn: Conn,
    row: IncidentRow,
    code: str,
    principal: Principal,
    channels: Channels,
    origin: Origin,
    now: datetime,
    respond_by: datetime,
) -> str:
    """A link for `code` in the drill's incident, to go in its mail."""
    expires = min(
        max(now + timedelta(days=channels.invitation_days), respond_by + timedelta(days=1)),
        now + _INVITATION_LIFETIME,
    )
    _, link = await invitations.issue(
        conn,
        incident_id=row.id,
        organisation=code,
        email=None,
        expires=expires,
        now=now,
        actor=principal.actor,
        by=origin,
        base_url=channels.base_url,
    )
    return link


async def _notify(
    conn: Conn,
    drill: repo.DrillRow,
    row: IncidentRow,
    principal: Principal,
    channels: Channels,
    origin: Origin,
    now: datetime,
) -> dict[str, list[str]]:
    """Every participant at once, by every channel it has: one message per recipient.
    The channel of each message enqueued, per participant."""
    codes = list(row.participants)
    found = await recipients(conn, codes)
    known = await organisations.get_many(conn, codes)
    template = text_reports.template(row, None)
    sent: dict[str, list[str]] = {}
    for code in codes:
        label = f"{known[code].name} ({code})" if code in known else code
        to = list(found.get(code, []))
        link = None
        if drill.invitations and any(r.destination == "email" for r in to):
            link = await _invitation(
                conn, row, code, principal, channels, origin, now, drill.respond_by
            )
        message = messages.notification(
            incident_id=row.id,
            title=row.title,
            message=drill.message,
            respond_by=drill.respond_by,
            organisation=label,
            base_url=channels.base_url,
            invitation_link=link,
        )
        facts: dict[str, Any] = {
            "type": "drill.started",
            "drill_id": str(drill.id),
            "incident_id": str(row.id),
            "exercise": True,
            "organisation": code,
            "due_at": iso(drill.respond_by),
        }
        for recipient in to:
            by_mail = recipient.destination == "email" and channels.reply_to is not None
            payload = recipient.payload(
                answerable(message, template) if by_mail else message,
                facts,
                reply_to=channels.reply_to if by_mail else None,
            )
            if await _enqueue(conn, drill, code, recipient, payload, now):
                sent.setdefault(code, []).append(notify_channel(recipient.destination))
        if channels.sms:
            text = messages.sms_text(
                incident_id=row.id, title=row.title, respond_by=drill.respond_by
            )
            for phone in await rounds_repo.phones_of(conn, code):
                payload = {"to": phone, "parts": [text], "shortened": False, **facts}
                if await _enqueue(conn, drill, code, Recipient("sms", phone), payload, now):
                    sent.setdefault(code, []).append("sms")
    return sent


async def _enqueue(
    conn: Conn,
    drill: repo.DrillRow,
    code: str,
    recipient: Recipient,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    return await enqueue(
        conn,
        destination=recipient.destination,
        kind="drill.started",
        message_id=repo.message_id(drill.id, code, recipient.destination, recipient.address),
        payload=payload,
        at=now,
        incident_id=drill.incident_id,
    )


# What a drill's result adds to the drill as listed.
_DETAIL = {"participants", "not_responded"}


async def _title_and_organisations(
    conn: Conn, drill: repo.DrillRow
) -> tuple[IncidentRow, list[DrillOrganisation]]:
    row = await incidents.get(conn, drill.incident_id)
    assert row is not None  # drills.incident_id references incidents
    # those asked at the start: the incident's participants may have changed since
    known = await organisations.get_many(conn, drill.participants)
    orgs = [
        DrillOrganisation(code=code, name=known[code].name if code in known else code)
        for code in drill.participants
    ]
    return row, orgs


async def _result(conn: Conn, drill: repo.DrillRow, now: datetime) -> DrillResult:
    row, orgs = await _title_and_organisations(conn, drill)
    return result(
        drill,
        title=row.title,
        organisations=orgs,
        notifications=await repo.notifications(conn, drill),
        first_reports=await repo.first_reports(conn, drill.incident_id),
        now=now,
        closed=not row.active,
    )


def _seen(principal: Principal, drill: repo.DrillRow | None, shown: object) -> repo.DrillRow:
    if drill is None or not can_see_drills(principal, drill.county):
        raise NotFound(f"no drill {shown}")
    return drill


async def of_id(
    pool: asyncpg.Pool, principal: Principal, drill_id: uuid.UUID, now: datetime
) -> DrillResult:
    """The drill's result as of `now`; 404 for one the caller may not see."""
    async with pool.acquire() as conn:
        drill = _seen(principal, await repo.get(conn, drill_id), drill_id)
        return await _result(conn, drill, now)


async def of_incident(
    conn: Conn, principal: Principal, incident_id: uuid.UUID, now: datetime
) -> DrillResult | None:
    """The result of the drill the incident belongs to, if any and if the caller may see it."""
    drill = await repo.of_incident(conn, incident_id)
    if drill is None or not can_see_drills(principal, drill.county):
        return None
    return await _result(conn, drill, now)


async def results_of(conn: Conn, incident_id: uuid.UUID, now: datetime) -> DrillResult | None:
    """The drill's result for an incident's export (the caller has seen the incident)."""
    drill = await repo.of_incident(conn, incident_id)
    return None if drill is None else await _result(conn, drill, now)


async def of_county(
    pool: asyncpg.Pool, principal: Principal, county: str | None, now: datetime
) -> list[Drill]:
    """The county's drills with their figures, newest first (the caller's county by default)."""
    county = county or principal.org_county
    if county is None or not can_see_drills(principal, county):
        raise Forbidden("the drills are for the county board's viewers and duty officers")
    found = []
    async with pool.acquire() as conn:
        for drill in await repo.of_county(conn, county):
            full = await _result(conn, drill, now)
            found.append(Drill.model_validate(full.model_dump(exclude=_DETAIL)))
    return found
