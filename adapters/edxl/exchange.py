"""EDXL export and import as operations: read the database, build or read XML, submit.

Import goes through `service.domain.reporting.submit`, the same path as
`POST /incidents/{id}/reports`, as a reporter of the sender's organisation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from adapters import repo, xml_safety
from adapters.edxl import codec
from adapters.problems import problem_of
from adapters.refusals import CodecError
from schemas.incident import Incident
from schemas.organisation import Organisation
from schemas.report import Provenance, StoredReport
from schemas.summary import PublishedSummary, SummaryIncident
from service.access.policy import can_see, may_report_for
from service.access.principal import Principal
from service.domain import reporting
from service.domain.labels import EXERCISE_MARK
from service.domain.reporting import Submitted
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.offload import Offload
from service.repo import Conn, incidents, organisations

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


@dataclass(frozen=True, slots=True)
class Imported:
    """What an envelope brought: its reports (stored or repeats) and what was left out."""

    results: list[Submitted]
    not_imported: list[codec.Skipped]
    relayed_by: str | None


async def import_envelope(
    pool: asyncpg.Pool,
    caller: Principal,
    data: bytes,
    now: datetime,
    *,
    max_bytes: int,
    max_depth: int,
    incident: uuid.UUID | None = None,
    offload: Offload | None = None,
) -> Imported:
    """Every SitRep report in the envelope, all in one transaction: stored all or none.

    A reporter imports for its own organisation only; an `adapter` (a gateway) for the
    organisations its token is scoped to (`policy.may_report_for`). A county board's
    envelope may carry its municipalities' reports (its own incident export): those
    are relayed, each attributed to its organisation and marked as relayed by the
    sender. The incident a report goes to is its `incidentID` here, or the incident
    linked to the sender's incident (`incident` links it on first import;
    `docs/exchange.md`, "Relay"). Report ids derive from sender and message id (keyed
    with the installation's secret), so sending the same envelope again stores nothing
    new. An incident the sender may not see is 404, as a missing one. The sender is
    checked from the envelope's head before the body is parsed; parsing and validation
    run in `offload`'s worker processes (a thread without one).
    """
    if caller.role not in ROLES_THAT_IMPORT:
        raise Forbidden("only an adapter, or a reporter for its own organisation, imports EDXL")
    # The look for the sender scans the whole body for a DOCTYPE (a millisecond of 1 MiB):
    # in a thread, where the loop gets the interpreter back sooner.
    named = await asyncio.to_thread(codec.peek_sender, data)
    if named is not None:  # refused before the body is parsed
        async with pool.acquire() as conn:
            await _sender_allowed(conn, caller, named)
    try:
        if offload is None:
            envelope = await asyncio.to_thread(read_document, data, max_bytes, max_depth)
        else:
            envelope = await offload.run(read_document, data, max_bytes, max_depth)
    except (xml_safety.XmlRejected, CodecError) as exc:
        raise problem_of(exc) from exc
    async with pool.acquire() as conn, conn.transaction():
        sender = await _sender_allowed(conn, caller, envelope.sender)
        relayed = await _relayed_organisations(conn, sender, envelope)
        speaker = Principal.acting_for(sender, "reporter", name=caller.name)
        targets = await _targets(conn, speaker, envelope, incident, now)
        # Everything but the reports' reads and writes is done first: an envelope of
        # many reports holds an incident's lock for its write alone.
        key = await reporting.import_key(conn)
        batches: dict[uuid.UUID, list[tuple[int, reporting.Submission]]] = {}
        for index, item in enumerate(envelope.reports):
            org = relayed.get(item.organisation, sender)
            relay = org.code != sender.code
            name = f"{caller.name} (EDXL via {sender.code})" if relay else f"{caller.name} (EDXL)"
            provenance = Provenance(
                via="edxl",
                token=caller.name if caller.token_id is not None else None,
                token_id=caller.token_id,
                relayed_by=sender.code if relay else None,
                relayed_incident=item.incident_id
                if targets[item.incident_id] != item.incident_id
                else None,
                distribution_id=envelope.distribution_id or None,
            )
            report_id = reporting.keyed_report_id(key, "edxl", envelope.sender, item.message_id)
            batches.setdefault(targets[item.incident_id], []).append(
                (
                    index,
                    reporting.Submission(
                        Principal.acting_for(org, "reporter", name=name),
                        item.submission.model_copy(update={"report_id": report_id}),
                        provenance,
                    ),
                )
            )
        # Each incident's batch is read and decided without its row lock, and written
        # on condition that the incident still stands where it was read (the write takes
        # the lock, held to the commit); a batch of repeats writes nothing, so an
        # envelope sent again holds up no other change. In one order for every importer.
        stored: dict[int, Submitted] = {}
        for target in sorted(batches):
            indexed = batches[target]
            submitted = await reporting.submit_all(
                conn, target, [submission for _, submission in indexed], now
            )
            stored.update(zip([index for index, _ in indexed], submitted, strict=True))
        results = [stored[index] for index in range(len(envelope.reports))]
    relayed_by = sender.code if relayed else None
    return Imported(results, envelope.skipped, relayed_by)


async def _sender_allowed(conn: Conn, caller: Principal, code: str) -> Organisation:
    """The envelope's sender, if the caller may send for it: 422 for an adapter naming an
    unknown organisation, 403 `wrong-organisation` when it may not report for it."""
    sender = await organisations.get(conn, code)
    if sender is None and caller.role == "adapter":
        raise ValidationFailed(errors=[(("senderID",), f"unknown organisation code {code!r}")])
    if sender is None or not may_report_for(caller, sender.code, sender.county):
        raise Forbidden(f"{caller.name} does not report for {code}", slug="wrong-organisation")
    return sender


async def _relayed_organisations(
    conn: Conn, sender: Organisation, envelope: codec.Envelope
) -> dict[str, Organisation]:
    """The organisations, other than the sender, whose reports the envelope relays.

    Only a county board relays, and only for organisations of its own county."""
    relayed: dict[str, Organisation] = {}
    for index, item in enumerate(envelope.reports):
        if item.organisation == sender.code or item.organisation in relayed:
            continue
        where = ("content", str(index), "sitRep", "preparedBy")
        if sender.kind != "county_board":
            raise ValidationFailed(
                errors=[
                    (
                        where,
                        "the report's organisation must be the envelope's sender: "
                        "only a county board relays other organisations' reports",
                    )
                ]
            )
        org = await organisations.get(conn, item.organisation)
        if org is None:
            raise ValidationFailed(
                errors=[(where, f"unknown organisation code {item.organisation!r}")]
            )
        if org.county != sender.county:
            raise ValidationFailed(
                errors=[
                    (
                        where,
                        f"{sender.code} relays reports of its own county only, not of {org.code}",
                    )
                ]
            )
        relayed[org.code] = org
    return relayed


async def _targets(
    conn: Conn,
    speaker: Principal,
    envelope: codec.Envelope,
    link_to: uuid.UUID | None,
    now: datetime,
) -> dict[uuid.UUID, uuid.UUID]:
    """The incident here that each `incidentID` of the envelope feeds.

    A link (sender, their incident) → incident here wins; else `link_to` makes one;
    else the id is taken as this installation's own. The sender must see the incident
    here (404 as for a missing one), and an exercise takes Exercise envelopes only, a
    real incident Actual ones only.
    """
    targets: dict[uuid.UUID, uuid.UUID] = {}
    for named in dict.fromkeys(item.incident_id for item in envelope.reports):
        linked = await repo.relay_target(conn, speaker.organisation, named)
        if link_to is not None and linked is not None and linked != link_to:
            raise Conflict(
                f"{speaker.organisation}'s incident {named} already feeds another incident here",
                slug="conflict",
            )
        target = linked or link_to or named
        row = await incidents.get(conn, target)
        if row is None or not can_see(speaker, row.access):
            raise NotFound(f"no incident {target}")
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
        if linked is None and link_to is not None and target != named:
            await repo.link_relay(
                conn,
                sender=speaker.organisation,
                relayed_incident=named,
                incident_id=target,
                at=now,
                by=speaker.name,
            )
        targets[named] = target
    return targets


def read_document(data: bytes, max_bytes: int, max_depth: int) -> codec.Envelope:
    """Parse and read the envelope (off the event loop: a large one takes a while)."""
    return codec.read_envelope(xml_safety.parse(data, max_bytes=max_bytes, max_depth=max_depth))
