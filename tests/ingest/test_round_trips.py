"""A single report's statements, counted on a real connection: the fewer round trips it
takes, the less it holds the incident's row lock."""

from __future__ import annotations

import uuid

from service.domain import reporting
from tests.ingest.support import counting_pool, reporter, sent, submission, written_down
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
