"""The picture at a moment (`?at=`) and at a seq, from checkpoints: always the fold of
the log up to that point."""

from __future__ import annotations

import asyncio
import itertools
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from service import keys
from service.clock import FixedClock
from service.config import Settings
from service.picture.fold import rebuild
from tests.settings import with_changes
from tests.support import PARTICIPANTS, T0, Api, Who, assert_problem, report

VIEWER: Who = ("LST-14", "viewer")
LEVELS = ["none", "moderate", "significant", "serious", "critical", "unknown"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Checkpoints every other event, so that most answers start from one."""
    return with_changes(settings, checkpoint_every=2)


async def log_of(api: Api, incident_id: str) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/log?since=0", as_=VIEWER)
    assert reply.status == 200, reply.body
    events: list[dict[str, Any]] = reply.body["events"]
    return events


def up_to(log: list[dict[str, Any]], moment: datetime) -> list[dict[str, Any]]:
    """The log as it stood at `moment`: the events before the first stamped after it."""
    return list(itertools.takewhile(lambda e: datetime.fromisoformat(e["at"]) <= moment, log))


def at_query(moment: datetime) -> str:
    return "at=" + urllib.parse.quote(moment.isoformat())


async def picture_at(api: Api, incident_id: str, query: str) -> Any:
    return await api.call("GET", f"/api/v1/incidents/{incident_id}/picture?{query}", as_=VIEWER)


# One step of an incident's life: minutes pass, then a report, or the rounds job runs
# (closing any deadline passed, stamped with the deadline: the log's times then run
# backwards for a moment when a report came in between).
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=90),
        st.one_of(
            st.tuples(st.just("report"), st.sampled_from(PARTICIPANTS), st.sampled_from(LEVELS)),
            st.tuples(st.just("rounds"), st.just(""), st.just("")),
        ),
    ),
    min_size=1,
    max_size=10,
)
offsets = st.sampled_from(
    [timedelta(0), timedelta(hours=1), timedelta(hours=5, minutes=30), -timedelta(hours=3)]
)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    story=steps,
    asked=st.lists(st.tuples(st.integers(-30 * 60, 16 * 3600), offsets), min_size=1, max_size=6),
)
async def test_the_picture_at_a_moment_is_the_fold_of_the_log_up_to_that_moment(
    api: Api, app: web.Application, clock: FixedClock, story: list[Any], asked: list[Any]
) -> None:
    clock.set(T0)
    incident = await api.activate()
    now = T0
    for minutes, (action, code, level) in story:
        now += timedelta(minutes=minutes, seconds=7)
        clock.set(now)
        if action == "report":
            body = report(code, sectors=[{"sector": "energy", "status": level}])
            assert (await api.submit(incident["id"], body)).status == 201
        else:
            await app[keys.rounds_job].run_due(now)
    log = await log_of(api, incident["id"])
    for seconds, offset in asked:
        moment = (T0 + timedelta(seconds=seconds)).astimezone(timezone(offset))
        reply = await picture_at(api, incident["id"], at_query(moment))
        seen = up_to(log, moment)
        if not seen:
            assert_problem(reply, 422, "validation", loc=["query", "at"])
        else:
            assert reply.status == 200, reply.body
            assert reply.body == rebuild(seen)
    closing = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "klart"},
    )
    assert closing.status == 200, closing.body


async def test_a_moment_written_with_a_bare_plus_in_the_url_is_read_as_its_offset(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    clock.set(T0 + timedelta(minutes=20))
    await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "water", "status": "serious"}])
    )
    # 13:10 in Stockholm: after the activation (13:00), before the report (13:20).
    reply = await picture_at(api, incident["id"], "at=2026-11-22T13:10:00+01:00")
    assert reply.status == 200, reply.body
    assert reply.body["seq"] == 1
    later = await picture_at(api, incident["id"], "at=2026-11-22T13:25:00%2B01:00")
    assert later.body["seq"] == 2
    assert later.body["organisations"]["1442"]["impact"] == "serious"


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("at=2026-11-22T14:05:00", ["query", "at"]),  # no offset
        ("at=i-morgon", ["query", "at"]),
        ("at=2026-11-22T14:05:00Z&seq=1", ["query"]),  # one or the other
    ],
)
async def test_a_moment_without_an_offset_or_beside_a_seq_is_refused(
    api: Api, query: str, loc: list[Any]
) -> None:
    incident = await api.activate()
    assert_problem(await picture_at(api, incident["id"], query), 422, "validation", loc=loc)


async def test_a_moment_before_the_activation_says_when_the_incident_began(api: Api) -> None:
    incident = await api.activate()
    reply = await picture_at(api, incident["id"], at_query(T0 - timedelta(seconds=1)))
    assert_problem(reply, 422, "validation", loc=["query", "at"])
    assert "2026-11-22T12:00:00Z" in reply.body["errors"][0]["msg"]
    assert (await picture_at(api, incident["id"], at_query(T0))).body["seq"] == 1


async def test_a_moment_after_the_last_event_gives_the_picture_now(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    await api.submit(incident["id"], report("1440"))
    reply = await picture_at(api, incident["id"], at_query(T0 + timedelta(days=400)))
    now = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    assert reply.body == now.body
    assert reply.body["seq"] == 2


async def test_an_incident_the_caller_may_not_see_is_404_at_any_moment(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "GET",
        f"/api/v1/incidents/{incident['id']}/picture?{at_query(T0)}",
        as_=("LST-01", "viewer"),
    )
    assert_problem(reply, 404, "not-found")


# --- checkpoints -------------------------------------------------------------------------


async def checkpoint_seqs(dsn: str, incident_id: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT seq FROM picture_checkpoints WHERE incident_id = $1 ORDER BY seq",
            incident_id,
        )
    finally:
        await conn.close()
    return [row["seq"] for row in rows]


async def until_checkpoints(dsn: str, incident_id: str, wanted: set[int]) -> list[int]:
    """The checkpoints once `wanted` are among them (the hub writes them just after the
    events are out); the test's own timeout bounds the wait."""
    for _ in range(1_000_000):
        found = await checkpoint_seqs(dsn, incident_id)
        if wanted <= set(found):
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"checkpoints {sorted(wanted)} never written")


async def grow(api: Api, app: web.Application, clock: FixedClock, incident_id: str) -> None:
    """Ten reports and a closed round (14:00) with a report after the deadline before it."""
    for minute in range(0, 50, 5):
        clock.set(T0 + timedelta(minutes=minute + 1))
        code = PARTICIPANTS[minute // 5 % len(PARTICIPANTS)]
        level = LEVELS[minute // 5 % len(LEVELS)]
        await api.submit(incident_id, report(code, sectors=[{"sector": "care", "status": level}]))
    clock.set(T0 + timedelta(hours=1, minutes=2))
    await api.submit(incident_id, report("1444", needs=[{"need_id": "n1", "text": "Vatten"}]))
    await app[keys.rounds_job].run_due(clock.now())


async def test_the_hub_writes_a_checkpoint_every_n_events_and_at_each_closed_round(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])
    await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    log = await log_of(api, incident["id"])
    round_seq = next(e["seq"] for e in log if e["kind"] == "round.closed")
    assert round_seq % 2 == 1  # a round closed at an odd seq is kept for being a round
    wanted = {e["seq"] for e in log if e["seq"] % 2 == 0} | {round_seq}
    assert set(await until_checkpoints(dsn, incident["id"], wanted)) == wanted


async def test_every_past_picture_from_checkpoints_equals_the_full_fold(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])
    log = await log_of(api, incident["id"])
    await until_checkpoints(dsn, incident["id"], {e["seq"] for e in log if e["seq"] % 2 == 0})
    for seq in range(len(log) + 1):
        reply = await picture_at(api, incident["id"], f"seq={seq}")
        assert reply.status == 200, reply.body
        assert reply.body == rebuild(log[:seq]), seq


async def test_a_past_picture_starts_from_the_latest_checkpoint_at_or_before_it(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])
    await until_checkpoints(dsn, incident["id"], {4})
    conn = await asyncpg.connect(dsn)
    try:  # mark the checkpoint at seq 4: whatever starts from it carries the mark
        await conn.execute(
            "UPDATE picture_checkpoints SET picture = picture || '{\"marked\": true}'"
            " WHERE incident_id = $1 AND seq = 4",
            incident["id"],
        )
    finally:
        await conn.close()
    assert (await picture_at(api, incident["id"], "seq=5")).body.get("marked") is True
    assert (await picture_at(api, incident["id"], "seq=4")).body.get("marked") is True
    assert "marked" not in (await picture_at(api, incident["id"], "seq=3")).body
    assert "marked" not in (await picture_at(api, incident["id"], "seq=6")).body


async def test_a_log_without_checkpoints_gets_them_from_the_first_look_back(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])
    log = await log_of(api, incident["id"])
    await until_checkpoints(dsn, incident["id"], {len(log) - len(log) % 2})
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM picture_checkpoints WHERE incident_id = $1", incident["id"])
    finally:
        await conn.close()
    reply = await picture_at(api, incident["id"], "seq=9")
    assert reply.body == rebuild(log[:9])
    assert await checkpoint_seqs(dsn, incident["id"]) == [2, 4, 6, 8]


async def test_a_round_stamped_with_its_deadline_but_closed_after_a_later_report_waits_for_it(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])  # report 14:02, then the 14:00 round closes
    log = await log_of(api, incident["id"])
    assert [e["kind"] for e in log[-2:]] == ["report.submitted", "round.closed"]
    between = await picture_at(api, incident["id"], at_query(T0 + timedelta(hours=1, minutes=1)))
    assert between.body["seq"] == len(log) - 2  # neither the 14:02 report nor the round
    after = await picture_at(api, incident["id"], at_query(T0 + timedelta(hours=1, minutes=2)))
    assert after.body["seq"] == len(log)


async def test_a_rounds_picture_at_its_deadline_leaves_out_a_report_received_after_it(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    incident = await api.activate()
    await grow(api, app, clock, incident["id"])
    log = await log_of(api, incident["id"])
    closed = log[-1]
    stamped = [e for e in log[:-1] if e["at"] <= closed["at"]]  # all in UTC with Z
    assert len(stamped) == len(log) - 2  # the 14:02 report is left out
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/rounds/1/picture", as_=VIEWER
    )
    assert reply.status == 200, reply.body
    assert reply.body == rebuild([*stamped, closed])
