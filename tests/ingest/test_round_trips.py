"""A single report's statements, counted on a real connection: the fewer round trips it
takes, the less it holds the incident's row lock."""

from __future__ import annotations

import uuid

from adapters.edxl import codec, exchange
from schemas.incident import Incident
from schemas.report import StoredReport
from service.domain import reporting
from tests.ingest.support import counting_pool, reporter, sent, submission, written_down
from tests.support import T0, Api, report

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


async def test_an_envelope_of_many_reports_holds_the_incidents_lock_for_one_read_and_one_write(
    api: Api, dsn: str
) -> None:
    """An EDXL envelope is stored all or none under its incidents' row locks; its report
    ids, the secret that keys them and every other look-up come before the lock. It used
    to take each report in turn under it: a savepoint, the secret (2), a read and a
    write, so that 70 reports held the lock for some 400 statements."""
    incident = uuid.UUID((await api.activate())["id"])
    who = await reporter(dsn, "1442")
    shown = await api.call("GET", f"/api/v1/incidents/{incident}", as_=("LST-14", "viewer"))
    base = StoredReport.model_validate(
        (await api.submit(str(incident), report("1442", situation="Läget"))).body
    )

    def envelope(situations: list[str]) -> bytes:
        contents = [
            codec.Content(
                description="Lägesrapport",
                keyword=codec.KEYWORD_REPORT,
                sitrep=codec.report_sitrep(
                    Incident.model_validate(shown.body),
                    base.model_copy(update={"report_id": uuid.uuid4(), "situation": situation}),
                    organisation_name="Vårgårda kommun",
                    originating=None,
                    final=False,
                ),
            )
            for situation in situations
        ]
        return codec.envelope(
            distribution_id="lagesbild:test",
            sender="1442",
            sent=T0,
            exercise=False,
            kind="Report",
            incident=Incident.model_validate(shown.body),
            contents=contents,
        )

    document = envelope([f"Läget {n}" for n in range(5)])
    pool = await counting_pool(dsn)
    try:
        # The connection's first import also prepares its statements; count the second.
        await exchange.import_envelope(
            pool, who, envelope(["Först"]), T0, max_bytes=1 << 20, max_depth=64
        )
        before = len(await sent(pool))
        imported = await exchange.import_envelope(
            pool, who, document, T0, max_bytes=1 << 20, max_depth=64
        )
        statements = (await sent(pool))[before:]
    finally:
        await pool.close()
    assert [result.report.version for result in imported.results] == [3, 4, 5, 6, 7]
    assert [result.report.situation for result in imported.results] == [
        f"Läget {n}" for n in range(5)
    ]
    locked = next(i for i, s in enumerate(statements) if "FOR UPDATE" in s)
    assert [s.split()[0] for s in statements[locked:]] == [
        "SELECT",  # the row lock
        "SAVEPOINT",
        "SELECT",  # what the batch needs: earlier reports, the latest of each, schedules
        "WITH",  # the seqs, the reports, their events, the notify
        "RELEASE",
        "COMMIT;",
    ], [s[:60] for s in statements[locked:]]
