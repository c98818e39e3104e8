"""SQL for invitation links. The caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from service.invitations.capability import Invitation
from service.repo import Conn, record_to


async def insert(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    organisation: str,
    email: str | None,
    secret_digest: bytes,
    at: datetime,
    by: str,
    expires_at: datetime,
) -> Invitation:
    row = await conn.fetchrow(
        """
        INSERT INTO invitations (incident_id, organisation, email, secret_sha256, created_at,
                                 created_by, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING *
        """,
        incident_id,
        organisation,
        email,
        secret_digest,
        at,
        by,
        expires_at,
    )
    assert row is not None  # INSERT … RETURNING gives the row
    return record_to(Invitation, row)


async def of_incident(conn: Conn, incident_id: uuid.UUID) -> list[Invitation]:
    rows = await conn.fetch(
        "SELECT * FROM invitations WHERE incident_id = $1 ORDER BY id DESC",
        incident_id,
    )
    return [record_to(Invitation, row) for row in rows]


async def by_secret(conn: Conn, secret_digest: bytes) -> Invitation | None:
    row = await conn.fetchrow("SELECT * FROM invitations WHERE secret_sha256 = $1", secret_digest)
    return None if row is None else record_to(Invitation, row)


async def revoke(
    conn: Conn, incident_id: uuid.UUID, invitation_id: int, *, at: datetime, by: str
) -> Invitation | None:
    """Revoke a live or expired link of the incident; None if there is no such link or it
    was revoked already."""
    row = await conn.fetchrow(
        """
        UPDATE invitations SET revoked_at = $3, revoked_by = $4
        WHERE incident_id = $1 AND id = $2 AND revoked_at IS NULL
        RETURNING *
        """,
        incident_id,
        invitation_id,
        at,
        by,
    )
    return None if row is None else record_to(Invitation, row)


async def mark_used(conn: Conn, invitation_id: int, *, at: datetime) -> None:
    await conn.execute(
        "UPDATE invitations SET uses = uses + 1, last_used_at = $2 WHERE id = $1",
        invitation_id,
        at,
    )
