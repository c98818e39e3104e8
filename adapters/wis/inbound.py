"""Answers entered on a WIS-style node become ordinary Lägesbild reports.

Lägesbild reads the node's change log from a cursor kept in the database
(`exchange_cursors`), so each instance may poll and nothing is read twice for
long; a repeat is harmless anyway. An answer becomes a report when the actor
entered it on the node itself (`inlagd_av` is the answering actor): answers a
system posted on an actor's behalf, Lägesbild's own among them, are not read
back. The report goes through `service.domain.reporting.submit`, the same path as
`POST /incidents/{id}/reports`, as a reporter of the answering organisation,
with a report id derived from the node's answer id (a repeat stores nothing).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from pydantic import ValidationError

from adapters import repo
from adapters.wis import mapping
from adapters.wis.client import NodeClient
from schemas.report import Provenance, ReportSubmission
from service.access.policy import can_see, may_report_for
from service.access.principal import Principal
from service.domain import reporting
from service.domain.reporting import Submitted
from service.errors import Forbidden, NotFound, ProblemError, ValidationFailed, validation_problem
from service.repo import incidents, organisations

SOURCE = "wis"
ANSWER_CREATED = "svar.skapat"
log = structlog.get_logger(__name__)


@dataclass
class Polled:
    """What one poll did: stored reports (incident, seq) and answers passed over."""

    stored: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    repeats: int = 0
    skipped: int = 0


async def poll_once(
    pool: asyncpg.Pool, client: NodeClient, now: datetime, *, batch: int = 100
) -> Polled:
    """Read the change log after the cursor to its end, import the answers, move the cursor.

    A node whose log is shorter than the cursor has started afresh (the mock keeps
    its log in memory): the cursor goes back to the start; imports are idempotent.
    """
    result = Polled()
    async with pool.acquire() as conn:
        position = await repo.cursor(conn, SOURCE)
    while True:
        entries, latest = await client.changes(position, limit=batch)
        if latest < position:
            async with pool.acquire() as conn:
                await repo.reset_cursor(conn, SOURCE)
            position = 0
            continue
        for entry in entries:
            if entry.get("typ") == ANSWER_CREATED and isinstance(entry.get("data"), dict):
                await _import(pool, entry["data"], now, result)
            position = int(entry["seq"])
            async with pool.acquire() as conn:
                await repo.advance_cursor(conn, SOURCE, position)
        if len(entries) < batch:
            return result


async def _import(
    pool: asyncpg.Pool, answer: dict[str, Any], now: datetime, result: Polled
) -> None:
    if not entered_by_actor(answer):
        return  # posted by a system on the actor's behalf (Lägesbild itself, say)
    try:
        submitted = await import_answer(pool, answer, now)
    except ProblemError as exc:
        log.warning("wis.answer_refused", answer_id=str(answer.get("id")), problem=exc.slug)
        result.skipped += 1
        return
    if submitted.seq is None:
        result.repeats += 1
    else:
        result.stored.append((submitted.report.incident_id, submitted.seq))


def entered_by_actor(answer: dict[str, Any]) -> bool:
    """True for an answer the actor entered on the node itself (not a system on its behalf)."""
    return bool(answer.get("aktör")) and answer.get("inlagd_av") == answer.get("aktör")


async def import_answer(
    pool: asyncpg.Pool,
    answer: dict[str, Any],
    now: datetime,
    *,
    caller: Principal | None = None,
) -> Submitted:
    """One node answer as a report of the answering organisation; ProblemError if refused.

    Refusals: 422 for an answer that cannot be read, 404 for an area that is not a
    Lägesbild incident, or one its actor may not see, or an actor that is not a known
    organisation, and every refusal of `POST /reports` (closed incident, …).
    `caller` is the adapter token that pushed the answer, which must speak for the
    answering organisation (`policy.may_report_for`; 403 otherwise, before the incident
    is looked at); None for the node this service is configured to read
    (`LAGESBILD_WIS_URL`), which speaks for its actors. The report's provenance names
    the token.
    """
    answer_id = str(answer.get("id") or "")
    actor = str(answer.get("aktör") or "")
    try:
        if not answer_id:
            raise ValueError("the answer has no id")
        incident_id = uuid.UUID(str(answer.get("yta")))
        body = mapping.submission(answer, received=now.isoformat())
        if not answer.get("lägestidpunkt"):
            body.pop("as_of")  # the receipt time, by Lägesbild's clock
        submission = ReportSubmission.model_validate(body)
    except ValidationError as exc:
        raise validation_problem(exc, ("answer",)) from exc
    except (ValueError, KeyError) as exc:
        raise ValidationFailed(f"the answer cannot be read: {type(exc).__name__}") from exc
    async with pool.acquire() as conn:
        incident = await incidents.get(conn, incident_id)
        org = await organisations.get(conn, actor)
        if (
            org is not None
            and caller is not None
            and not may_report_for(caller, org.code, org.county)
        ):
            raise Forbidden(
                f"{caller.name} does not report for {org.code}", slug="wrong-organisation"
            )
        principal = (
            None
            if org is None
            else Principal.acting_for(org, "reporter", name=f"WIS-nod: {org.name}")
        )
        if incident is None or principal is None or not can_see(principal, incident.access):
            raise NotFound("the answer's area is not a Lägesbild incident, or its actor unknown")
        # Keyed with the installation's secret: nobody can take the id beforehand.
        report_id = await reporting.import_report_id(conn, SOURCE, "", answer_id)
        submission = submission.model_copy(update={"report_id": report_id})
        # Before the report, in its own transaction: the outbox trigger must already know
        # the report came from the node when the report's event is written.
        await repo.record_import(
            conn,
            source=SOURCE,
            external_id=answer_id,
            report_id=submission.report_id,
            incident_id=incident_id,
            at=now,
        )
    provenance = Provenance(
        via="wis",
        token=None if caller is None else caller.name,
        token_id=None if caller is None else caller.token_id,
    )
    return await reporting.submit(
        pool, principal, incident_id, submission, now, provenance=provenance
    )
