"""The log's hash chain (migrations/0017_chain.sql): read it and check it in the database.

The database computes every event's `prev_hash` and `hash` when it is written and
checks the chain (`event_chain_break`) with the same SQL function, so the check does not
depend on Python reproducing PostgreSQL's text forms.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from service.repo import Conn
from service.repo.events import event_dict

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """The incident's chain: its head (seq 0 and the genesis hash before any event) and
    the first seq at which it does not hold (None: unbroken)."""

    head_seq: int
    head_hash: str
    broken_at: int | None

    @property
    def unbroken(self) -> bool:
        return self.broken_at is None

    def as_json(self) -> dict[str, Any]:
        return {"head_seq": self.head_seq, "head_hash": self.head_hash, "unbroken": self.unbroken}


async def head(conn: Conn, incident_id: uuid.UUID) -> tuple[int, str]:
    """The last event's seq and hash (0 and the genesis hash with no event)."""
    row = await conn.fetchrow(
        "SELECT seq, hash FROM events WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1",
        incident_id,
    )
    return (0, GENESIS) if row is None else (int(row["seq"]), str(row["hash"]))


async def hash_at(conn: Conn, incident_id: uuid.UUID, seq: int) -> str:
    """The hash of the event with `seq` (the genesis hash for seq 0)."""
    if seq == 0:
        return GENESIS
    found = await conn.fetchval(
        "SELECT hash FROM events WHERE incident_id = $1 AND seq = $2", incident_id, seq
    )
    if found is None:
        raise LookupError(f"incident {incident_id} has no event {seq}")
    return str(found)


async def status(conn: Conn, incident_id: uuid.UUID) -> ChainStatus:
    """Check the whole chain in one query, and name its head."""
    row = await conn.fetchrow(
        """
        SELECT event_chain_break($1) AS broken_at,
               (SELECT seq FROM events WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1) AS seq,
               (SELECT hash FROM events WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1)
                   AS hash
        """,
        incident_id,
    )
    assert row is not None
    if row["seq"] is None:
        return ChainStatus(0, GENESIS, None)
    return ChainStatus(int(row["seq"]), str(row["hash"]), row["broken_at"])


async def chained_since(
    conn: Conn, incident_id: uuid.UUID, after: int, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """Events after `after` in order, as the log shows them, each with `prev_hash` and
    `hash` (the export's form)."""
    rows = await conn.fetch(
        """
        SELECT seq, kind, at, actor, data, prev_hash, hash FROM events
        WHERE incident_id = $1 AND seq > $2
        ORDER BY seq
        LIMIT $3
        """,
        incident_id,
        after,
        limit,
    )
    return [{**event_dict(row), "prev_hash": row["prev_hash"], "hash": row["hash"]} for row in rows]


async def of_events(conn: Conn, incident_id: uuid.UUID, log: list[dict[str, Any]]) -> ChainStatus:
    """The chain of the events `log` read (from seq 1, in order, with their hashes): its
    head is their last, and it is broken if the database finds a break within them.
    Events written after `log` was read do not change the answer."""
    broken_at = await conn.fetchval("SELECT event_chain_break($1)", incident_id)
    if not log:
        return ChainStatus(0, GENESIS, None)
    last = log[-1]
    head_seq = int(last["seq"])
    return ChainStatus(
        head_seq,
        str(last["hash"]),
        broken_at if broken_at is not None and broken_at <= head_seq else None,
    )
