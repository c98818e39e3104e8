"""One inbound mail read as a report: the sender checked, the incident found, the text
submitted through `text_reports.submit_text`, and the answer queued in the outbox.

The order of the checks, each ending with an answer when it fails (nothing stored):

1. a bounce, an auto-reply or a list's mail, or one from Lägesbild's own address, is
   dropped without an answer (two programs answering each other never stop);
2. the sender (the From address) must be a registered contact of an organisation
   (`organisation_contacts`) or a reporter's account;
3. the text must read as a report (every line that cannot be read is listed);
4. the incident is the one the `Händelse:` line names, else the code in the subject;
   it must be active and have one of the sender's organisations as a participant (two
   such organisations: the sender is asked to write from an address of one of them);
5. the report is submitted with the key `email:<Message-ID>`: the same Message-ID is the
   same report. A mail with another Message-ID but the same sender, incident and text
   as one read within `LAGESBILD_MAIL_IN_DUPLICATE_WINDOW_MINUTES` takes the earlier
   mail's key, so it too stores nothing new. The sender's lock (`repo.lock_sender`)
   makes two copies arriving at once wait for each other.

After 2, the report caps (`service/access/report_caps.py`) of the sender's
organisations: past them the mail is deferred in the SMTP session (451), with no answer
and nothing stored.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg
import structlog

from adapters.mail import replies, repo
from adapters.mail.reading import ReadMail, codes_in_subject, read
from schemas.report import Provenance
from service.access.principal import Principal
from service.access.report_caps import ReportCaps
from service.config import Settings
from service.domain import text_reports
from service.domain.plaintext import ParseErrors, incident_code, parse
from service.errors import ProblemError
from service.outbox.repo import enqueue
from service.repo import Conn, organisations
from service.repo.incidents import IncidentRow

log = structlog.get_logger(__name__)

Outcome = Literal[
    "stored",
    "repeat",
    "ignored",
    "unknown-sender",
    "unreadable",
    "no-incident",
    "ambiguous-sender",
    "refused",
]

REPLY_KIND = "mail.reply"


class MailUnreadable(Exception):
    """A message that cannot be taken apart: refused in the SMTP session (nothing to
    answer to), so the sender's own server tells the sender."""


@dataclass(frozen=True, slots=True)
class Received:
    outcome: Outcome
    incident_id: uuid.UUID | None = None
    seq: int | None = None  # the stored report's event (for the stream hub)


async def receive(
    pool: asyncpg.Pool,
    settings: Settings,
    raw: bytes,
    *,
    envelope_sender: str | None,
    now: datetime,
    caps: ReportCaps,
) -> Received:
    """Read one received message and act on it (the module's doc says how). Past the
    sender's organisation's report caps, `TooManyRequests`: the SMTP session defers the
    mail (451) and the sender's server sends it again later; nothing is stored."""
    try:
        mail = read(raw, envelope_sender=envelope_sender)
    except Exception as exc:  # a message the email package cannot take apart
        raise MailUnreadable(type(exc).__name__) from None
    received = await _receive(pool, settings, mail, now, caps)
    log.info(
        "mail_in.received",
        outcome=received.outcome,
        incident_id=None if received.incident_id is None else str(received.incident_id),
    )
    return received


async def _receive(
    pool: asyncpg.Pool, settings: Settings, mail: ReadMail, now: datetime, caps: ReportCaps
) -> Received:
    own = {settings.smtp_from.lower(), settings.mail_in_reply_to.lower()}
    if mail.automatic or mail.sender is None or mail.sender in own:
        return Received("ignored")
    sender = mail.sender
    async with pool.acquire() as conn:
        candidates = await repo.organisations_of_sender(conn, sender)
    if not candidates:
        await _answer(pool, mail, sender, replies.unknown_sender(mail, sender), now)
        return Received("unknown-sender")
    caps.check(candidates, now)  # before anything is stored or answered
    parsed = parse(mail.text)
    if isinstance(parsed, ParseErrors):
        await _answer(pool, mail, sender, replies.unreadable(mail, parsed), now)
        return Received("unreadable")
    codes = [parsed.incident_code] if parsed.incident_code else codes_in_subject(mail.subject)
    if not codes:
        await _answer(pool, mail, sender, replies.no_incident(mail, []), now)
        return Received("no-incident")
    async with pool.acquire() as conn:
        found = await _incident(conn, codes, candidates)
    if found is None:
        await _answer(pool, mail, sender, replies.no_incident(mail, codes), now)
        return Received("no-incident")
    incident, participating = found
    if len(participating) > 1:
        await _answer(
            pool, mail, sender, replies.several_organisations(mail, sender, participating), now
        )
        return Received("ambiguous-sender", incident.id)
    return await _submit(pool, settings, mail, sender, incident, participating[0], now)


async def _incident(
    conn: Conn, codes: list[str], candidates: list[str]
) -> tuple[IncidentRow, list[str]] | None:
    """The first active incident named by `codes` in which a candidate takes part."""
    for code in codes:
        incident = await text_reports.find_incident(conn, code)
        if incident is None or not incident.active:
            continue
        participating = [c for c in candidates if c in incident.participants]
        if participating:
            return incident, participating
    return None


async def _submit(
    pool: asyncpg.Pool,
    settings: Settings,
    mail: ReadMail,
    sender: str,
    incident: IncidentRow,
    organisation: str,
    now: datetime,
) -> Received:
    content_hash = mail.content_hash(incident.id)
    window = timedelta(minutes=settings.mail_in_duplicate_window_minutes)
    async with pool.acquire() as conn, conn.transaction():
        await repo.lock_sender(conn, sender)
        earlier = await repo.by_message_id(conn, mail.message_id)
        if earlier is None and window > timedelta(0):
            earlier = await repo.same_content_since(conn, sender, content_hash, now - window)
        key = earlier.report_key if earlier is not None else f"email:{mail.message_id}"
        org = await organisations.get(conn, organisation)
        if org is None:  # the sender's organisation is known to the contacts table
            return Received("refused", incident.id)
        principal = Principal.acting_for(org, "reporter", name=sender)
        code = incident_code(incident.id)
        try:
            submitted = await text_reports.submit_text(
                pool, principal, incident.id, mail.text, key, now, provenance=Provenance(via="mail")
            )
        except text_reports.TextReportInvalid as exc:
            answer = replies.unreadable(mail, exc.parse_errors)
            await _enqueue_answer(conn, mail, sender, answer, now, incident.id)
            return Received("unreadable", incident.id)
        except ProblemError as exc:
            answer = replies.refused(mail, exc.slug, str(exc))
            await _enqueue_answer(conn, mail, sender, answer, now, incident.id)
            return Received("refused", incident.id)
        report = submitted.report
        await repo.record(
            conn,
            repo.InboundMail(
                message_id=mail.message_id,
                sender=sender,
                report_key=key,
                incident_id=incident.id,
                organisation=organisation,
                report_id=report.report_id,
                received_at=now,
            ),
            content_hash,
        )
        answer = replies.stored(mail, report, incident, code, repeat=not submitted.created)
        await _enqueue_answer(conn, mail, sender, answer, now, incident.id)
    if submitted.created:
        return Received("stored", incident.id, submitted.seq)
    return Received("repeat", incident.id)


async def _answer(
    pool: asyncpg.Pool, mail: ReadMail, to: str, answer: replies.Answer, now: datetime
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await _enqueue_answer(conn, mail, to, answer, now, None)


async def _enqueue_answer(
    conn: Conn,
    mail: ReadMail,
    to: str,
    answer: replies.Answer,
    now: datetime,
    incident_id: uuid.UUID | None,
) -> None:
    """Queue the answer; one per Message-ID, however often the mail is delivered."""
    answered = hashlib.sha256(mail.message_id.encode()).hexdigest()[:32]
    await enqueue(
        conn,
        destination="email",
        kind=REPLY_KIND,
        message_id=f"mail-reply:{answered}",
        payload=replies.payload(answer, mail, to),
        at=now,
        incident_id=incident_id,
    )
