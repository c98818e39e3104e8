"""Envelopes imported at once with reports sent one by one, to the same incident: the
import reads and decides without the incident's lock and writes on condition that the
incident stands where it read it (`reporting.submit_all`), so whoever comes second
reads again. Every report is stored once, the log has no gap, and each envelope is
stored whole by one importer or answered as a repeat whole."""

from __future__ import annotations

import asyncio

from adapters.edxl import exchange
from service.db.pool import create_pool
from service.domain import reporting
from tests.ingest.support import envelope_maker, log_rows, reporter, submission
from tests.support import T0, Api

IMPORTERS = 4
REPORTS = 12


async def test_one_envelope_imported_four_times_at_once_beside_single_reports_is_stored_once(
    api: Api, dsn: str
) -> None:
    who, envelope, incident = await envelope_maker(api, dsn)
    document = envelope([f"Läget {n}" for n in range(REPORTS)])
    other = await reporter(dsn, "1440")
    pool = await create_pool(dsn, min_size=2, max_size=8)
    try:

        async def one_by_one(n: int) -> reporting.Submitted:
            return await reporting.submit(
                pool, other, incident, submission("1440", situation=f"Ensam {n}"), T0
            )

        imports, singles = await asyncio.gather(
            asyncio.gather(
                *(
                    exchange.import_envelope(
                        pool, who, document, T0, max_bytes=1 << 20, max_depth=64
                    )
                    for _ in range(IMPORTERS)
                )
            ),
            asyncio.gather(*(one_by_one(n) for n in range(10))),
        )
    finally:
        await pool.close()
    created = [[result.created for result in imported.results] for imported in imports]
    # One importer stored the whole envelope; the others were answered with it.
    assert sorted(created) == [[False] * REPORTS] * (IMPORTERS - 1) + [[True] * REPORTS]
    stored = [result.report for result in imports[created.index([True] * REPORTS)].results]
    for imported in imports:
        assert [result.report for result in imported.results] == stored
    assert all(single.created for single in singles)
    rows = await log_rows(dsn, incident)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    kinds = [row["kind"] for row in rows]
    # The activation, the report the envelopes correct, twelve from the envelope, ten alone.
    assert kinds == ["incident.activated"] + ["report.submitted"] * (1 + REPORTS + 10)
    versions = [r.version for r in stored]
    assert versions == list(range(versions[0], versions[0] + REPORTS))
