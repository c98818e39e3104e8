"""The verifiable log: every event carries the hash of its content and of the event before
it, whatever way it was written; a changed event breaks the chain at exactly its seq."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from service.db.migrate import migrate, shipped_migrations
from service.domain import chain
from service.domain.plaintext import incident_code
from service.repo import chain as repo
from tests.command import lagesbild
from tests.database import PgServer
from tests.support import Api, Who, report

BOARD: Who = ("LST-14", "duty_officer")


async def incident_with_reports(api: Api, count: int = 2) -> dict[str, Any]:
    incident = await api.activate(title='Översvämning i Ålvik "Norra"\tå')
    for number in range(count):
        reply = await api.submit(
            incident["id"],
            report(
                "1442",
                situation=f"Läget {number}: vägar under vatten, \\ och \n radbrytning ☔",
                sectors=[{"sector": "energy", "status": "serious"}],
            ),
        )
        assert reply.status == 201, reply.body
    return incident


async def stored(dsn: str, incident_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        return await repo.chained_since(conn, uuid.UUID(incident_id), 0)
    finally:
        await conn.close()


async def status(dsn: str, incident_id: str) -> repo.ChainStatus:
    conn = await asyncpg.connect(dsn)
    try:
        return await repo.status(conn, uuid.UUID(incident_id))
    finally:
        await conn.close()


async def tamper(dsn: str, incident_id: str, seq: int, sql: str) -> None:
    """Change a stored event as the database owner, past the immutability trigger."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE lagesbild_owner")
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_immutable")
            await conn.execute(
                f"UPDATE events SET {sql} WHERE incident_id = $1 AND seq = $2",  # noqa: S608  # the test's own fixed text
                uuid.UUID(incident_id),
                seq,
            )
            await conn.execute("ALTER TABLE events ENABLE TRIGGER events_immutable")
    finally:
        await conn.close()


async def test_each_event_chains_to_the_one_before_and_python_agrees(api: Api) -> None:
    incident = await incident_with_reports(api)
    events = await stored(api.dsn, incident["id"])
    assert [event["seq"] for event in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == chain.GENESIS
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"]
    for event in events:
        assert event["hash"] == chain.event_hash(event["prev_hash"], incident["id"], event)
    assert chain.first_break(incident["id"], events) is None
    found = await status(api.dsn, incident["id"])
    assert (found.head_seq, found.head_hash, found.unbroken) == (3, events[-1]["hash"], True)


async def test_rows_of_one_statement_and_of_one_transaction_are_chained(api: Api) -> None:
    incident = await api.activate()
    target = uuid.UUID(incident["id"])
    conn = await asyncpg.connect(api.dsn)
    try:
        async with conn.transaction():
            await conn.execute("UPDATE incidents SET last_seq = 5 WHERE id = $1", target)
            # Three rows in one statement, in seq order, each claiming a hash of its own.
            await conn.execute(
                """
                INSERT INTO events (incident_id, seq, kind, at, actor, data, hash, prev_hash)
                SELECT $1, s, 'note.test', now(), 'LST-14',
                       jsonb_build_object('n', s, 'ö', 1.5e-7), 'forged', 'forged'
                FROM generate_series(2, 4) AS s ORDER BY s
                """,
                target,
            )
            await conn.execute(
                "INSERT INTO events (incident_id, seq, kind, at, actor, data)"
                " VALUES ($1, 5, 'note.test', now(), 'LST-14', '{\"n\": 5}')",
                target,
            )
    finally:
        await conn.close()
    events = await stored(api.dsn, incident["id"])
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5]
    assert "forged" not in {event["hash"] for event in events}
    assert chain.first_break(incident["id"], events) is None
    assert (await status(api.dsn, incident["id"])).unbroken


async def test_an_event_after_a_gap_is_refused(api: Api) -> None:
    incident = await api.activate()
    conn = await asyncpg.connect(api.dsn)
    try:
        refused = None
        try:
            await conn.execute(
                "INSERT INTO events (incident_id, seq, kind, at, actor, data)"
                " VALUES ($1, 3, 'note.test', now(), 'LST-14', '{}')",
                uuid.UUID(incident["id"]),
            )
        except asyncpg.ForeignKeyViolationError as exc:
            refused = exc
        count = await conn.fetchval(
            "SELECT count(*) FROM events WHERE incident_id = $1", uuid.UUID(incident["id"])
        )
    finally:
        await conn.close()
    assert refused is not None
    assert "no event 2" in str(refused)
    assert count == 1


async def test_verify_passes_and_fails_at_exactly_the_altered_seq(api: Api, tmp_path: Path) -> None:
    incident = await incident_with_reports(api, count=3)

    def verify(*args: str):  # type: ignore[no-untyped-def]  # a local shorthand
        return lagesbild("log", "verify", *args, database_url=api.dsn, data_dir=tmp_path)

    head = (await stored(api.dsn, incident["id"]))[-1]["hash"]
    passed = await verify(incident["id"])
    assert passed.code == 0, passed.err
    assert passed.out.strip() == f"unbroken: 4 events, head {head}"
    by_code = await verify(incident_code(uuid.UUID(incident["id"])))
    assert by_code.code == 0, by_code.err

    await tamper(
        api.dsn,
        incident["id"],
        3,
        "data = jsonb_set(data, '{report,situation}', '\"Allt lugnt\"')",
    )
    failed = await verify(incident["id"])
    assert failed.code == 1
    assert failed.out.strip() == "broken at seq 3"
    assert (await status(api.dsn, incident["id"])).broken_at == 3


async def test_a_rewritten_hash_breaks_the_chain_at_the_next_event(api: Api) -> None:
    incident = await incident_with_reports(api, count=3)
    await tamper(
        api.dsn,
        incident["id"],
        2,
        "data = '{}'::jsonb, hash = event_hash(prev_hash, incident_id, seq, kind, at, actor,"
        " '{}'::jsonb)",
    )
    assert (await status(api.dsn, incident["id"])).broken_at == 3


async def test_the_json_export_shows_the_chain_and_verifies_without_the_database(
    api: Api, tmp_path: Path
) -> None:
    incident = await incident_with_reports(api)
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=json", as_=BOARD
    )
    assert reply.status == 200, reply.body
    events = reply.body["events"]
    assert reply.body["chain"] == {
        "head_seq": 3,
        "head_hash": events[-1]["hash"],
        "unbroken": True,
    }
    assert events[0]["prev_hash"] == chain.GENESIS
    assert chain.first_break(incident["id"], events) is None

    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(reply.body), encoding="utf-8")
    checked = await lagesbild(
        "log", "verify", "--export", str(exported), database_url=api.dsn, data_dir=tmp_path
    )
    assert checked.code == 0, checked.err
    assert checked.out.strip() == f"unbroken: 3 events, head {events[-1]['hash']}"

    reply.body["events"][1]["data"]["report"]["situation"] = "Inget hände"
    exported.write_text(json.dumps(reply.body), encoding="utf-8")
    broken = await lagesbild(
        "log", "verify", "--export", str(exported), database_url=api.dsn, data_dir=tmp_path
    )
    assert broken.code == 1
    assert broken.out.strip() == "broken at seq 2"

    await tamper(api.dsn, incident["id"], 2, "actor = '1443'")
    after = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=json", as_=BOARD
    )
    assert after.body["chain"]["unbroken"] is False


async def test_a_published_summary_names_the_log_head_it_was_made_at(api: Api) -> None:
    incident = await incident_with_reports(api, count=1)
    published = await api.call("POST", f"/api/v1/incidents/{incident['id']}/summaries", as_=BOARD)
    assert published.status == 201, published.body
    events = await stored(api.dsn, incident["id"])
    assert events[-1]["kind"] == "summary.published"
    assert events[-1]["data"]["log_head"] == {"seq": 2, "hash": events[1]["hash"]}


async def test_the_migration_gives_existing_events_their_chain(pg_server: PgServer) -> None:
    shipped = shipped_migrations()
    chain_migration = next(m for m in shipped if m.name == "chain")
    before = [m for m in shipped if m.version < chain_migration.version]
    async with pg_server.database("c") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn, shipped=before)
            incident_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO organisations (code, name, kind, county)"
                " VALUES ('LST-14', 'Länsstyrelsen', 'county_board', '14')"
            )
            await conn.execute(
                """
                INSERT INTO incidents (id, title, county, owner, severity, exercise, schedule,
                                       activated_at, activated_by, last_seq)
                VALUES ($1, 'Storm', '14', 'LST-14', 'high', false, '{}', now(), 'x', 3)
                """,
                incident_id,
            )
            await conn.execute(
                """
                INSERT INTO events (incident_id, seq, kind, at, actor, data)
                SELECT $1, s, 'note.test', now(), 'LST-14', jsonb_build_object('s', s)
                FROM generate_series(1, 3) AS s
                """,
                incident_id,
            )
            await migrate(conn, shipped=shipped)
            found = await repo.status(conn, incident_id)
            rows = await conn.fetch(
                "SELECT seq, prev_hash, hash FROM events WHERE incident_id = $1 ORDER BY seq",
                incident_id,
            )
        finally:
            await conn.close()
    assert found.unbroken
    assert found.head_seq == 3
    assert rows[0]["prev_hash"] == chain.GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert found.head_hash == rows[2]["hash"]
