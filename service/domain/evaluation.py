"""The evaluation after an incident is closed: what worked, what did not, and actions
with owners. Each is an `incident.evaluated` event in the incident's log; the picture
keeps the latest (`picture["evaluation"]`), the log keeps them all. Allowed only on a
closed incident, to duty officers of the owner (`policy.can_evaluate`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from schemas.evaluation import EvaluationSubmission
from service.access.policy import can_evaluate
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.clock import iso
from service.domain.lifecycle import visible_row
from service.errors import Conflict, Forbidden
from service.repo import events, incidents

KIND = "incident.evaluated"


def event_data(body: EvaluationSubmission, *, by: str, at: datetime) -> dict[str, Any]:
    """The event's data, as the contract says: `{by, at, worked, did_not_work, actions}`."""
    return {
        "by": by,
        "at": iso(at),
        "worked": body.worked,
        "did_not_work": body.did_not_work,
        "actions": [
            {
                "text": action.text,
                "owner": action.owner,
                "due": action.due.isoformat() if action.due else None,
            }
            for action in body.actions
        ],
    }


async def evaluate(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: EvaluationSubmission,
    now: datetime,
    *,
    by: Origin | None = None,
) -> tuple[dict[str, Any], int]:
    """Record the evaluation; its data and the event's seq. 409 `incident-open` while the
    incident is active."""
    async with pool.acquire() as conn, conn.transaction():
        row = visible_row(principal, await incidents.lock(conn, incident_id), incident_id)
        if not can_evaluate(principal, row.access):
            raise Forbidden("only a duty officer of the owner evaluates an incident")
        if row.active:
            raise Conflict("an incident is evaluated after it is closed", slug="incident-open")
        data = event_data(body, by=principal.name, at=now)
        seq = await incidents.advance_seq(conn, incident_id)
        await events.append(
            conn,
            incident_id=incident_id,
            seq=seq,
            kind=KIND,
            at=now,
            actor=principal.organisation,
            data=data,
        )
        await record(
            conn,
            "incident.evaluated",
            by or Origin(actor=principal.actor, organisation=principal.organisation),
            at=now,
            incident_id=incident_id,
            actions=len(body.actions),
        )
    return data, seq
