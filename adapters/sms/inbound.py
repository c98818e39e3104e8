"""An SMS from the gateway becomes a report, and the reply that goes back.

The sender's number must be registered for an organisation (`lagesbild contact add
--phone`); the text is the plain-text report (service/domain/plaintext.py), read and
stored by `text_reports.submit_text` like an e-mail's. Which incident: the one the
text names (`Händelse: K7Q-4M2`), else the one active incident the organisation takes
part in. The same message id, or the same text from the same number within
`LAGESBILD_SMS_REPEAT_WINDOW_SECONDS`, is one report (`adapters.repo.sms_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from adapters import repo
from adapters.sms import texts
from schemas.report import Provenance, StoredReport
from service.access.principal import Principal
from service.access.report_caps import ReportCaps
from service.domain import text_reports
from service.domain.labels import local_time
from service.domain.plaintext import ParseErrors, incident_code, parse
from service.errors import ProblemError
from service.repo import Conn, incidents, organisations
from service.repo.incidents import IncidentRow
from service.rounds import repo as contacts

log = structlog.get_logger(__name__)

Outcome = Literal["stored", "repeat", "refused", "unknown-sender"]


class Sms(BaseModel):
    """The one JSON shape the gateway POSTs (docs/exchange.md, "SMS")."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The gateway's id of the message: a repeat with the same id is one report"
    )
    sender: Annotated[str, StringConstraints(min_length=3, max_length=32)] = Field(
        alias="from", description="The sender's number, E.164 (+46701234567) or national"
    )
    to: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="The number it was sent to (the gateway's)"
    )
    text: Annotated[str, StringConstraints(max_length=5000)] = Field(
        description="The text as the phone sent it (concatenated parts joined)"
    )
    received_at: datetime = Field(description="When the gateway received it (ISO 8601)")


@dataclass(frozen=True, slots=True)
class Received:
    outcome: Outcome
    reply: str | None
    report: StoredReport | None = None
    seq: int | None = None


async def receive(
    pool: asyncpg.Pool,
    sms: Sms,
    sender: str,
    now: datetime,
    *,
    window: float,
    caps: ReportCaps,
) -> Received:
    """Store the report an SMS carries (or nothing) and say what to reply. Past the
    organisation's report caps, `TooManyRequests` (429 to the gateway, which sends the
    message again later; nothing is stored or answered)."""
    async with pool.acquire() as conn:
        codes = await contacts.organisations_of_phone(conn, sender)
        if not codes:
            log.info("sms.unknown_sender")
            return Received("unknown-sender", None)
        caps.check(codes, now)  # before anything is stored or answered
        found = await _incident(conn, codes, sms.text)
    if isinstance(found, str):
        return Received("refused", found)
    organisation, incident = found
    async with pool.acquire() as conn, conn.transaction():
        key, _seen = await repo.sms_key(
            conn,
            message_id=sms.message_id,
            sender=sender,
            digest=texts.text_digest(sms.text),
            at=now,
            window_seconds=window,
        )
        org = await organisations.get(conn, organisation)
    assert org is not None  # registered phones reference organisations
    principal = Principal.acting_for(org, "reporter", name=f"SMS {sender}")
    code = incident_code(incident.id)
    try:
        submitted = await text_reports.submit_text(
            pool, principal, incident.id, sms.text, key, now, provenance=Provenance(via="sms")
        )
    except text_reports.TextReportInvalid as exc:
        return Received("refused", texts.unreadable(exc.parse_errors, exercise=incident.exercise))
    except ProblemError as exc:
        return Received("refused", texts.refused(exc.slug, exercise=incident.exercise))
    report = submitted.report
    if submitted.created:
        reply = texts.stored(
            code=code,
            organisation=org.name,
            version=report.version,
            at=local_time(report.received_at),
            exercise=incident.exercise,
        )
        return Received("stored", reply, report, submitted.seq)
    return Received(
        "repeat",
        texts.repeat(code=code, version=report.version, exercise=incident.exercise),
        report,
    )


async def _incident(conn: Conn, codes: list[str], text: str) -> tuple[str, IncidentRow] | str:
    """The (organisation, incident) the text reports for, or the reply saying why none."""
    parsed = parse(text)
    named = None if isinstance(parsed, ParseErrors) else parsed.incident_code
    active = [
        row for i in await incidents.list_active_ids(conn) if (row := await incidents.get(conn, i))
    ]
    pairs = [
        (code, row)
        for row in active
        for code in codes
        if code in row.participants and (named is None or incident_code(row.id) == named)
    ]
    if len(pairs) == 1:
        return pairs[0]
    names = await organisations.get_many(conn, codes)
    who = " / ".join(names[c].name if c in names else c for c in codes)
    if not pairs:
        return texts.no_incident(who)
    return texts.which_incident(who, sorted({incident_code(row.id) for _, row in pairs}))


def reply_id(message_id: str) -> str:
    """The outbox message id of the reply to a message: one reply per message id."""
    return f"sms-reply:{message_id}"
