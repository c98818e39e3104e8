"""A single report's statements, counted on a real connection: the fewer round trips it
takes, the less it holds the incident's row lock."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from adapters.edxl import exchange
from service.access.principal import Principal
from service.domain import reporting
from tests.ingest.support import (
    counting_pool,
    envelope_maker,
    reporter,
    sent,
    submission,
    written_down,
)
from tests.support import T0, Api

ENERGY = [{"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"}]


async def test_a_report_is_one_read_and_one_write_that_commits(api: Api, dsn: str) -> None:
    """Before group commit a report took ten statements (BEGIN, the row lock, four reads,
    the seq, two inserts, the notify, COMMIT), eight of them under the row lock, and an
    eleventh, the pool's reset query, when its connection went back to the pool."""
    incident = uuid.UUID((await api.activate())["id"])
    who = await reporter(dsn, "1442")
    pool = await counting_pool(dsn)
    try:
        # The first report of a connection also prepares its statements; count the second.
        await reporting.submit(pool, who, incident, submission("1442", sectors=ENERGY), T0)
        before = len(await sent(pool))
        second = await reporting.submit(pool, who, incident, submission("1442"), T0)
        statements = (await sent(pool))[before:]
    finally:
        await pool.close()
    assert second.created
    assert second.report.version == 2
    assert second.seq == 3
    # Nothing else: no transaction, and no reset query when the pool takes it back.
    assert len(statements) == 2, statements
    read, write = statements
    assert read.startswith("SELECT i.*")
    assert "FOR UPDATE" not in read
    # One statement advances the seq (taking the row lock), inserts the report and its
    # event and notifies; outside a transaction, it commits as it ends.
    assert write.startswith("WITH advanced AS ( UPDATE incidents")
    assert "INSERT INTO reports" in write
    assert "INSERT INTO events" in write
    assert "pg_notify" in write


async def test_a_report_inside_a_callers_transaction_adds_a_savepoint_and_nothing_else(
    api: Api, dsn: str
) -> None:
    incident = uuid.UUID((await api.activate())["id"])
    who = await reporter(dsn, "1442")
    pool = await counting_pool(dsn)
    try:
        async with pool.acquire() as conn:
            async with conn.transaction():
                await reporting.submit(conn, who, incident, submission("1442"), T0)
            counted = await written_down(conn)
            before = len(counted)
            async with conn.transaction():
                stored = await reporting.submit(conn, who, incident, submission("1442"), T0)
            statements = (await written_down(conn))[before:]
    finally:
        await pool.close()
    assert stored.seq == 3
    assert [s.split()[0] for s in statements] == [
        "BEGIN;",
        "SAVEPOINT",
        "SELECT",
        "WITH",
        "RELEASE",
        "COMMIT;",
    ]


async def test_a_connection_back_in_the_pool_has_no_transaction_left_open(dsn: str) -> None:
    pool = await counting_pool(dsn)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE scratch (n int)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('pg_temp.scratch')") is None
    finally:
        await pool.close()


async def _import_counted(
    dsn: str, who: Principal, warm_up: bytes, document: bytes
) -> tuple[exchange.Imported, list[str]]:
    """`document` imported on a connection that counts, after `warm_up` (a connection's
    first import also prepares its statements): what it sent."""
    pool = await counting_pool(dsn)
    try:
        await exchange.import_envelope(pool, who, warm_up, T0, max_bytes=1 << 20, max_depth=64)
        before = len(await sent(pool))
        imported = await exchange.import_envelope(
            pool, who, document, T0, max_bytes=1 << 20, max_depth=64
        )
        return imported, (await sent(pool))[before:]
    finally:
        await pool.close()


async def test_an_envelope_of_many_reports_holds_the_incidents_lock_for_its_write_alone(
    api: Api, dsn: str
) -> None:
    """An EDXL envelope is stored all or none; its report ids, the secret that keys them
    and every other look-up come first, then one read and one write per incident, the
    write taking the incident's row lock (held to the commit). It used to take each
    report in turn under the lock: a savepoint, the secret (2), a read and a write, so
    that 70 reports held it for some 400 statements."""
    who, envelope, _ = await envelope_maker(api, dsn)
    imported, statements = await _import_counted(
        dsn, who, envelope(["Först"]), envelope([f"Läget {n}" for n in range(5)])
    )
    assert [result.report.version for result in imported.results] == [3, 4, 5, 6, 7]
    assert [result.report.situation for result in imported.results] == [
        f"Läget {n}" for n in range(5)
    ]
    assert not any("FOR UPDATE" in s for s in statements), statements
    assert [s.split()[0] for s in statements[-5:]] == [
        "SAVEPOINT",
        "SELECT",  # what the batch needs: earlier reports, the latest of each, schedules
        "WITH",  # the seqs (taking the row lock), the reports, their events, the notify
        "RELEASE",
        "COMMIT;",
    ], [s[:60] for s in statements]


async def test_an_envelope_sent_again_writes_nothing_and_takes_no_lock(api: Api, dsn: str) -> None:
    """A gateway that sends an envelope again (its answer was lost) is answered with the
    stored reports after one read: no write, no row lock, so nothing else waits for it
    and it waits for nothing, not even a change holding the incident's lock."""
    who, envelope, _ = await envelope_maker(api, dsn)
    document = envelope([f"Läget {n}" for n in range(12)])
    first, _ = await _import_counted(dsn, who, envelope(["Först"]), document)
    incident = first.results[0].report.incident_id
    holder = await asyncpg.connect(dsn)
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE", incident)
            again, statements = await asyncio.wait_for(
                _import_counted(dsn, who, envelope(["Först"]), document), timeout=30
            )
    finally:
        await holder.close()
    assert [r.created for r in first.results] == [True] * 12
    assert [r.created for r in again.results] == [False] * 12
    assert [r.report for r in again.results] == [r.report for r in first.results]
    assert not any("FOR UPDATE" in s or s.startswith("WITH") for s in statements), statements
    assert [s.split()[0] for s in statements[-4:]] == ["SAVEPOINT", "SELECT", "RELEASE", "COMMIT;"]
