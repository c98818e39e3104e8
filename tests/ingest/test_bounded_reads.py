"""Reading a stretch of the log (a picture at a moment, an export, a page of `/log`) reads
that stretch and no more, however PostgreSQL plans the statement.

PostgreSQL plans a prepared statement for any parameters after a few runs (a generic
plan). `seq <= $n` with "no bound" written as `($n IS NULL OR seq <= $n)` then cannot
bound the index scan: it reads the log on to its end, filtering. These tests force the
generic plan and look at the scan: the range must be in the index condition. The same
holds for one organisation's reports (its history page).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from service.db.pool import create_pool
from service.repo import checkpoints, events, reports
from tests.support import Api, report


async def _generic_plan(conn: Any, record: Any) -> dict[str, Any]:
    """The plan PostgreSQL makes of a logged statement for any parameters. On tables this
    small it would rather read them whole; what is looked at is whether the bounds can
    go into the index condition at all."""
    await conn.execute(
        "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off;"
        " SET enable_bitmapscan = off"
    )
    await conn.execute(f"PREPARE looked_at AS {record.query}")
    try:
        literals = ", ".join("NULL" if value is None else f"'{value}'" for value in record.args)
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE looked_at({literals})")
    finally:
        await conn.execute("DEALLOCATE looked_at")
        await conn.execute("RESET plan_cache_mode; RESET enable_seqscan; RESET enable_bitmapscan")
    # The app's pool decodes json itself; a bare connection gives the text.
    found: dict[str, Any] = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return found


def _scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_scans(child))
    return [node for node in nodes if "Scan" in node["Node Type"]]


async def _statements_of(dsn: str, read: Any) -> tuple[list[Any], Any]:
    """What `read(conn)` sent, with its arguments, and what it returned."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    sent: list[Any] = []
    try:
        async with pool.acquire() as conn:
            raw: asyncpg.Connection = conn._con  # type: ignore[attr-defined]
            raw.add_query_logger(sent.append)
            result = await read(conn)
            await asyncio.sleep(0)  # asyncpg calls query loggers soon after, not at once
            raw.remove_query_logger(sent.append)
            plans = [await _generic_plan(conn, record) for record in sent]
    finally:
        await pool.close()
    return plans, result


async def _incident_with_reports(api: Api, count: int) -> uuid.UUID:
    incident = await api.activate()
    for n in range(count):
        reply = await api.submit(incident["id"], report("1442", situation=f"Läget {n}"))
        assert reply.status == 201, reply.body
    return uuid.UUID(incident["id"])


async def test_a_stretch_of_the_log_is_read_by_its_bounds_in_the_index(api: Api, dsn: str) -> None:
    incident = await _incident_with_reports(api, 6)

    async def read(conn: Any) -> Any:
        return await events.since(conn, incident, 2, until=4)

    plans, stretch = await _statements_of(dsn, read)
    assert [event["seq"] for event in stretch] == [3, 4]
    (scan,) = [scan for plan in plans for scan in _scans(plan)]
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
    assert "seq > " in scan["Index Cond"], scan
    assert "seq <= " in scan["Index Cond"], scan
    assert "seq" not in scan.get("Filter", ""), scan


async def test_the_log_to_its_end_is_still_read_without_an_upper_bound(api: Api, dsn: str) -> None:
    incident = await _incident_with_reports(api, 3)

    async def read(conn: Any) -> Any:
        return await events.since(conn, incident, 1)

    _, rest = await _statements_of(dsn, read)
    assert [event["seq"] for event in rest] == [2, 3, 4]


async def test_the_checkpoint_before_a_seq_is_found_by_the_index(api: Api, dsn: str) -> None:
    incident = await _incident_with_reports(api, 2)
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await checkpoints.write(
                conn, incident, [{"seq": seq, "organisations": {}} for seq in (1, 2, 3)]
            )
    finally:
        await pool.close()

    async def read(conn: Any) -> Any:
        return await checkpoints.latest(conn, incident, at_or_before=2)

    plans, found = await _statements_of(dsn, read)
    assert found is not None
    assert found["seq"] == 2
    (scan,) = [scan for plan in plans for scan in _scans(plan)]
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
    assert "seq <= " in scan["Index Cond"], scan
    assert "seq" not in scan.get("Filter", ""), scan

    async def newest(conn: Any) -> Any:
        return await checkpoints.latest(conn, incident)

    _, last = await _statements_of(dsn, newest)
    assert last is not None
    assert last["seq"] == 3


async def test_one_organisations_history_is_read_by_the_organisation_in_the_index(
    api: Api, dsn: str
) -> None:
    incident = await _incident_with_reports(api, 2)

    async def read(conn: Any) -> Any:
        return await reports.history(conn, incident, organisation="1442", limit=10)

    plans, found = await _statements_of(dsn, read)
    assert [report.version for report in found] == [2, 1]
    (scan,) = [scan for plan in plans for scan in _scans(plan)]
    assert "organisation = " in scan["Index Cond"], scan

    async def everyone(conn: Any) -> Any:
        return await reports.history(conn, incident, organisation=None, limit=10)

    _, every = await _statements_of(dsn, everyone)
    assert len(every) == 2
