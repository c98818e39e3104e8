"""What the ingest tests share: reporters as the domain sees them, a pool whose
connections count the statements they send, a look at the incident's log, and EDXL
envelopes of a reporter's reports."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg

from schemas.incident import Incident
from schemas.report import ReportSubmission, StoredReport
from service.access.principal import Principal
from service.db.pool import create_pool
from service.repo import organisations
from tests.support import T0, Api, report, sitreps_envelope


class CountingConnection(asyncpg.Connection):
    """A real connection that writes down every statement it sends to the server (each
    one is at least one round trip: simple queries, prepared ones, BEGIN and COMMIT)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []
        self.add_query_logger(self._write_down)

    def _write_down(self, record: Any) -> None:
        self.sent.append(" ".join(str(record.query).split()))


async def counting_pool(dsn: str) -> asyncpg.Pool:
    """The app's own pool (codecs, settings) with one connection that counts."""
    return await create_pool(dsn, min_size=1, max_size=1, connection_class=CountingConnection)


async def written_down(conn: Any) -> list[str]:
    """What a counting connection (or a pool's proxy of one) has sent so far."""
    await asyncio.sleep(0)  # asyncpg calls query loggers soon after, not at once
    raw = getattr(conn, "_con", conn)
    assert isinstance(raw, CountingConnection)
    return list(raw.sent)


async def sent(pool: asyncpg.Pool) -> list[str]:
    """The statements the pool's one connection has sent so far (this call sends none)."""
    async with pool.acquire() as conn:
        return await written_down(conn)


async def reporter(dsn: str, code: str) -> Principal:
    conn = await asyncpg.connect(dsn)
    try:
        org = await organisations.get(conn, code)
    finally:
        await conn.close()
    assert org is not None
    return Principal.acting_for(org, "reporter", name=f"reporter {code}")


def submission(code: str, **content: Any) -> ReportSubmission:
    return ReportSubmission.model_validate(report(code, **content))


async def log_rows(dsn: str, incident_id: uuid.UUID | str) -> list[dict[str, Any]]:
    """The incident's events in seq order, with the transaction that wrote each."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT seq, kind, xmin::text::bigint AS xid, data FROM events"
            " WHERE incident_id = $1::uuid ORDER BY seq",
            str(incident_id),
        )
    finally:
        await conn.close()
    return [{**row, "data": json.loads(row["data"])} for row in rows]


async def envelope_maker(
    api: Api, dsn: str
) -> tuple[Principal, Callable[[list[str]], bytes], uuid.UUID]:
    """A reporter of 1442 with a report stored in a new incident, envelopes of its
    reports (one SitRep for each situation given, each its own message id, so its own
    report id), and the incident."""
    incident = uuid.UUID((await api.activate())["id"])
    who = await reporter(dsn, "1442")
    shown = Incident.model_validate(
        (await api.call("GET", f"/api/v1/incidents/{incident}", as_=("LST-14", "viewer"))).body
    )
    base = StoredReport.model_validate(
        (await api.submit(str(incident), report("1442", situation="Läget"))).body
    )
    ids: dict[str, uuid.UUID] = {}

    def envelope(situations: list[str]) -> bytes:
        return sitreps_envelope(
            shown,
            (
                base.model_copy(
                    update={
                        "report_id": ids.setdefault(situation, uuid.uuid4()),
                        "situation": situation,
                    }
                )
                for situation in situations
            ),
            sender="1442",
            organisation_name="Vårgårda kommun",
            distribution_id="lagesbild:test",
            sent=T0,
        )

    return who, envelope, incident
