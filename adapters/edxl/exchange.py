"""EDXL export and import as operations: read the database, build or read XML, submit.

Import goes through `service.domain.reporting.submit`, the same path as
`POST /incidents/{id}/reports`, as a reporter of the sender's organisation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from adapters import xml_safety
from adapters.edxl import codec
from adapters.problems import problem_of
from adapters.refusals import CodecError
from schemas.incident import Incident
from schemas.report import StoredReport
from schemas.summary import PublishedSummary, SummaryIncident
from service.access.policy import may_report_for
from service.access.principal import Principal
from service.domain import reporting
from service.domain.labels import EXERCISE_MARK
from service.domain.reporting import Submitted
from service.errors import Forbidden, NotFound, ValidationFailed
from service.repo import incidents, organisations

ROLES_THAT_IMPORT = ("adapter", "reporter")


def incident_document(
    incident: Incident,
    reports: Sequence[StoredReport],
    picture: Mapping[str, Any],
    names: Mapping[str, str],
    now: datetime,
) -> bytes:
    """The whole incident: every stored report as a SitRep, then the picture as a summary.

    `reports` are oldest first. The last report of each organisation in a closed
    incident is `Final`; corrections name their first and preceding messages.
    """
    first: dict[str, uuid.UUID] = {}
    last: dict[str, uuid.UUID] = {}
    for report in reports:
        first.setdefault(report.organisation, report.report_id)
        last[report.organisation] = report.report_id
    contents = [
        codec.Content(
            description=_described(
                incident, f"Lägesrapport från {names.get(r.organisation, r.organisation)}"
            ),
            keyword=codec.KEYWORD_REPORT,
            sitrep=codec.report_sitrep(
                incident,
                r,
                organisation_name=names.get(r.organisation, r.organisation),
                originating=first[r.organisation],
                final=incident.status == "closed" and last[r.organisation] == r.report_id,
            ),
        )
        for r in reports
    ]
    contents.append(
        codec.Content(
            description=_described(incident, "Samlad lägesbild"),
            keyword=codec.KEYWORD_PICTURE,
            sitrep=codec.picture_sitrep(
                incident, picture, owner_name=names.get(incident.owner, incident.owner), at=now
            ),
        )
    )
    return codec.envelope(
        distribution_id=f"lagesbild:{incident.id}:{incident.seq}",
        sender=incident.owner,
        sent=now,
        exercise=incident.exercise,
        kind="Report",
        incident=incident,
        contents=contents,
    )


def report_document(
    incident: Incident,
    report: StoredReport,
    *,
    organisation_name: str,
    originating: uuid.UUID | None,
    now: datetime,
) -> bytes:
    """One report in an envelope of its own, sent by the report's organisation."""
    sitrep = codec.report_sitrep(
        incident, report, organisation_name=organisation_name, originating=originating, final=False
    )
    return codec.envelope(
        distribution_id=f"lagesbild:{report.report_id}",
        sender=report.organisation,
        sent=now,
        exercise=incident.exercise,
        kind="Report" if report.version == 1 else "Update",
        incident=incident,
        contents=[
            codec.Content(
                description=_described(incident, f"Lägesrapport från {organisation_name}"),
                keyword=codec.KEYWORD_REPORT,
                sitrep=sitrep,
            )
        ],
    )


def summary_document(summary: PublishedSummary) -> bytes:
    """A county board's published summary in an envelope of its own, sent by the county
    board (the incident's owner); `distributionStatus` Exercise for exercises."""
    incident = summary.incident
    return codec.envelope(
        distribution_id=f"lagesbild:{codec.summary_message_id(summary)}",
        sender=incident.owner,
        sent=summary.published_at,
        exercise=incident.exercise,
        kind="Report" if summary.number == 1 else "Update",
        incident=incident,
        contents=[
            codec.Content(
                description=_described(
                    incident, f"Samlad lägesbild nr {summary.number} från {incident.owner_name}"
                ),
                keyword=codec.KEYWORD_SUMMARY,
                sitrep=codec.summary_sitrep(summary),
            )
        ],
    )


def _described(incident: Incident | SummaryIncident, text: str) -> str:
    return f"{EXERCISE_MARK}: {text}" if incident.exercise else text


async def import_envelope(
    pool: asyncpg.Pool,
    caller: Principal,
    data: bytes,
    now: datetime,
    *,
    max_bytes: int,
    max_depth: int,
) -> list[Submitted]:
    """Every SitRep report in the envelope, submitted as its sender's organisation.

    A reporter imports for its own organisation only; an `adapter` (a gateway) for the
    organisations its token is scoped to (`policy.may_report_for`). Report ids derive
    from sender and message id, so sending the same envelope again stores nothing new.
    """
    if caller.role not in ROLES_THAT_IMPORT:
        raise Forbidden("only an adapter, or a reporter for its own organisation, imports EDXL")
    try:
        envelope = await asyncio.to_thread(_read, data, max_bytes, max_depth)
    except (xml_safety.XmlRejected, CodecError) as exc:
        raise problem_of(exc) from exc
    async with pool.acquire() as conn:
        sender = await organisations.get(conn, envelope.sender)
        if sender is None and caller.role == "adapter":
            raise ValidationFailed(
                errors=[(("senderID",), f"unknown organisation code {envelope.sender!r}")]
            )
        if sender is None or not may_report_for(caller, sender.code, sender.county):
            raise Forbidden(
                f"{caller.name} does not report for {envelope.sender}", slug="wrong-organisation"
            )
        for item in envelope.reports:
            row = await incidents.get(conn, item.incident_id)
            if row is None:
                raise NotFound(f"no incident {item.incident_id}")
            if row.exercise != envelope.exercise:
                raise ValidationFailed(
                    "distributionStatus does not match the incident",
                    errors=[
                        (
                            ("distributionStatus",),
                            "an exercise incident takes Exercise "
                            "messages only, and a real one Actual messages only",
                        )
                    ],
                    slug="exercise-mismatch",
                )
        submissions = [
            item.submission.model_copy(
                update={
                    "report_id": await reporting.import_report_id(
                        conn, "edxl", envelope.sender, item.message_id
                    )
                }
            )
            for item in envelope.reports
        ]
    principal = Principal.acting_for(sender, "reporter", name=f"{caller.name} (EDXL)")
    return [
        await reporting.submit(pool, principal, item.incident_id, submission, now)
        for item, submission in zip(envelope.reports, submissions, strict=True)
    ]


def _read(data: bytes, max_bytes: int, max_depth: int) -> codec.Envelope:
    """Parse and read the envelope (off the event loop: a large one takes a while)."""
    return codec.read_envelope(xml_safety.parse(data, max_bytes=max_bytes, max_depth=max_depth))
