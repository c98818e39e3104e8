"""SQL for reports by e-mail: who an address reports for, and the inbound mails read.

The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from service.repo import Conn, record_to


async def organisations_of_sender(conn: Conn, address: str) -> list[str]:
    """The organisations an address may report for: those that registered it as a
    contact, and the organisation of a reporter whose account has it. Sorted codes."""
    records = await conn.fetch(
        """
        SELECT organisation FROM organisation_contacts WHERE lower(email) = $1
        UNION
        SELECT organisation FROM users
        WHERE email = $1 AND role = 'reporter' AND removed_at IS NULL
        ORDER BY organisation
        """,
        address.lower(),
    )
    return [record["organisation"] for record in records]


@dataclass(frozen=True, slots=True)
class InboundMail:
    message_id: str
    sender: str
    report_key: str
    incident_id: uuid.UUID
    organisation: str
    report_id: uuid.UUID
    received_at: datetime


async def lock_sender(conn: Conn, sender: str) -> None:
    """Hold the sender's lock until the transaction ends: two copies of one mail read at
    once, by one server or two, are checked for repeats one after the other."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('inbound_mail:' || $1, 0))", sender
    )


async def by_message_id(conn: Conn, message_id: str) -> InboundMail | None:
    record = await conn.fetchrow(
        """
        SELECT message_id, sender, report_key, incident_id, organisation, report_id,
               received_at
        FROM inbound_mails WHERE message_id = $1
        """,
        message_id,
    )
    return None if record is None else record_to(InboundMail, record)


async def same_content_since(
    conn: Conn, sender: str, content_hash: bytes, since: datetime
) -> InboundMail | None:
    """The first mail of `sender` with this content received at `since` or later."""
    record = await conn.fetchrow(
        """
        SELECT message_id, sender, report_key, incident_id, organisation, report_id,
               received_at
        FROM inbound_mails
        WHERE sender = $1 AND content_hash = $2 AND received_at >= $3
        ORDER BY received_at, id
        LIMIT 1
        """,
        sender,
        content_hash,
        since,
    )
    return None if record is None else record_to(InboundMail, record)


async def record(conn: Conn, mail: InboundMail, content_hash: bytes) -> None:
    """Remember a mail read as a report (a repeat of its Message-ID changes nothing)."""
    await conn.execute(
        """
        INSERT INTO inbound_mails (message_id, sender, content_hash, report_key, incident_id,
                                   organisation, report_id, received_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (message_id) DO NOTHING
        """,
        mail.message_id,
        mail.sender,
        content_hash,
        mail.report_key,
        mail.incident_id,
        mail.organisation,
        mail.report_id,
        mail.received_at,
    )
