"""Reports survive SIGKILLs, dropped responses and database crashes: the small version of
`make faults` (bench/faults.py runs the same scenarios at full size)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.cluster import own_postgres
from tests.faults.scenarios import envelopes_through_kills, kill_and_drop

# Real processes started, killed and started again: more than the suite's default minute.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


async def test_reports_retried_through_dropped_responses_and_a_sigkill_are_stored_exactly_once(
    dsn: str, tmp_path: Path
) -> None:
    run = await kill_and_drop(dsn, tmp_path, reports=200, clients=20, kills=1, drop=0.1, seed=1)

    assert run.kills == 1
    assert run.proxy_dropped > 0, "the proxy dropped no response: nothing was retried"
    assert run.ledger.repeats_answered_200 > 0, "no retry met its stored report"
    assert len(run.ledger.acknowledged) == 200
    assert run.check.exact, run.check
    assert run.check.stored == 200


async def test_no_acknowledged_report_is_lost_when_the_database_stops_immediately(
    tmp_path: Path,
) -> None:
    with own_postgres(tmp_path / "pg") as postgres:
        dsn = await postgres.new_database()
        run = await kill_and_drop(
            dsn,
            tmp_path,
            reports=200,
            clients=10,
            kills=1,
            drop=0.0,
            seed=2,
            postgres=postgres,
            database_stops=1,
        )

    assert (run.kills, run.database_stops) == (1, 1)
    assert run.check.acknowledged_missing == []
    assert run.check.exact, run.check


async def test_envelopes_retried_through_dropped_responses_and_a_sigkill_are_stored_once_whole(
    dsn: str, tmp_path: Path
) -> None:
    """EDXL envelopes read and decide without the incident's lock and write on condition
    (`reporting.submit_all`); beside JSON reports to the same incident, through dropped
    answers and a SIGKILL, each envelope is stored once and whole (its reports one run
    of seqs), and the log has no gap."""
    run = await envelopes_through_kills(
        dsn,
        tmp_path,
        gateways=4,
        envelopes=10,
        size=8,
        reporters=4,
        reports=80,
        kills=1,
        drop=0.1,
        seed=1,
    )
    assert run.kills == 1
    assert run.proxy_dropped > 0, "the proxy dropped no response: nothing was retried"
    assert run.ledger.statuses[200] > 0, "no envelope was answered as a repeat"
    assert len(run.ledger.answered) == 40
    assert run.check.answered == 40 * 8
    assert run.exact, (run.check, run.reports_check)
    assert run.check.stored == 40 * 8 + 80
