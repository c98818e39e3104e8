"""Submitting situation reports: idempotent by `report_id`, immutable once stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from schemas.report import Provenance, ReportContent, ReportSubmission, StoredReport
from service.access.policy import may_report_for
from service.access.principal import Principal
from service.domain.schedule import deadline_for, is_late
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.repo import Conn, events, incidents, reports
from service.repo.secrets import installation_secret

# How far ahead of the server's clock a reporter's `as_of` may be (phones drift).
AS_OF_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Submitted:
    report: StoredReport
    seq: int | None  # the event's seq; None for an idempotent repeat (nothing new stored)

    @property
    def created(self) -> bool:
        return self.seq is not None


def fingerprint(incident_id: uuid.UUID, submission: ReportSubmission) -> bytes:
    """Identifies a submission's content: same report_id + same fingerprint = same report."""
    canonical = json.dumps(
        {"incident_id": str(incident_id), **submission.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).digest()


IMPORT_IDS = "import_ids"  # the installation secret that keys imported reports' ids


async def import_report_id(
    conn: Conn, source: str, organisation: str, external_id: str
) -> uuid.UUID:
    """The report id of a message imported from `source` (`edxl`, `wis`): stable, so a
    repeat is a repeat, but keyed with this installation's secret, so nobody can work
    it out beforehand and take it with a report of their own (the import would be 409)."""
    key = await installation_secret(conn, IMPORT_IDS)
    name = "\x1f".join((source, organisation, external_id)).encode()
    return uuid.UUID(bytes=hmac.new(key, name, hashlib.sha256).digest()[:16], version=4)


def _authorise(principal: Principal, submission: ReportSubmission) -> None:
    if principal.role != "reporter":
        raise Forbidden("only a reporter submits reports")
    # A reporter's organisation has no county to ask about: only its own code counts.
    if not may_report_for(principal, submission.organisation, None):
        raise Forbidden(
            f"you report for {principal.organisation}, not for {submission.organisation}",
            slug="wrong-organisation",
        )


def _as_of(submission: ReportSubmission, received_at: datetime) -> datetime:
    if submission.as_of is None:
        return received_at
    if submission.as_of > received_at + AS_OF_TOLERANCE:
        raise ValidationFailed(
            errors=[
                (("as_of",), "lies in the future: a report describes a situation that has been")
            ]
        )
    return submission.as_of.astimezone(UTC)


@asynccontextmanager
async def _transaction(db: asyncpg.Pool | Conn) -> AsyncIterator[Conn]:
    """A transaction of its own on a pooled connection; on a caller's connection, a
    savepoint inside the caller's transaction (which decides whether it all commits)."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with db.transaction():
            yield db


async def submit(
    db: asyncpg.Pool | Conn,
    principal: Principal,
    incident_id: uuid.UUID,
    submission: ReportSubmission,
    now: datetime,
    *,
    provenance: Provenance | None = None,
) -> Submitted:
    """Store one report. On a pool, in a transaction of its own; on a connection, inside
    the caller's transaction, so that several reports are stored all or none."""
    _authorise(principal, submission)
    submitted_print = fingerprint(incident_id, submission)
    async with _transaction(db) as conn:
        incident = await incidents.lock(conn, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        # A repeat of an accepted report is answered as it was, whatever has happened
        # since (closure, removal from the participants): the client was told it is stored.
        earlier = await reports.get_with_fingerprint(conn, submission.report_id)
        if earlier is not None:
            stored, stored_print = earlier
            if stored_print != submitted_print:
                raise Conflict(
                    "this report_id was already used for a report with other content; "
                    "a new report needs a new report_id",
                    slug="report-conflict",
                )
            return Submitted(stored, seq=None)
        if principal.organisation not in incident.participants:
            raise Forbidden(
                f"{principal.organisation} is not a participant of this incident",
                slug="not-participant",
            )
        if not incident.active:
            raise Conflict(
                "the incident is closed; it takes no more reports", slug="incident-closed"
            )
        previous = await reports.latest(conn, incident_id, submission.organisation)
        content = _content(submission, previous)
        if submission.supersedes is not None and (
            previous is None or submission.supersedes != previous.report_id
        ):
            raise Conflict(
                "supersedes does not name the organisation's latest report; "
                "reload the latest report and correct that",
                slug="stale-supersedes",
            )
        as_of = _as_of(submission, now)
        # Counted as the rounds count it: against the schedule in force at `as_of`.
        due_at = deadline_for(await events.schedule_history(conn, incident_id), as_of)
        seq = await incidents.advance_seq(conn, incident_id)
        report = StoredReport(
            **content.model_dump(),
            report_id=submission.report_id,
            incident_id=incident_id,
            organisation=submission.organisation,
            version=1 if previous is None else previous.version + 1,
            as_of=as_of,
            received_at=now,
            submitted_by=principal.name,
            supersedes=None if previous is None else previous.report_id,
            unchanged=submission.unchanged,
            late=is_late(now, due_at),
            due_at=due_at,
            provenance=provenance,
        )
        await reports.insert(conn, report=report, fingerprint=submitted_print, seq=seq)
        await events.append(
            conn,
            incident_id=incident_id,
            seq=seq,
            kind="report.submitted",
            at=now,
            actor=principal.organisation,
            data={"report": report.model_dump(mode="json")},
        )
    return Submitted(report, seq=seq)


def _content(submission: ReportSubmission, previous: StoredReport | None) -> ReportContent:
    if not submission.unchanged:
        return submission.content()
    if previous is None:
        raise Conflict(
            "there is no earlier report to repeat: send a full report first",
            slug="no-earlier-report",
        )
    return previous.content()
