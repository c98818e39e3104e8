"""Rounds against the real app and database: closing, late and overdue, snapshots,
schedule changes, closure, visibility and metrics. Time moves with the FixedClock and
the job runs through its deterministic entry point, `run_due(now)`."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.clock import FixedClock
from tests.rounds.support import VIEWER, at, change_incident, log_of, picture_of, rounds_of, z
from tests.support import PARTICIPANTS, Api, Who, assert_problem, report


async def run(app: web.Application, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    await app[keys.rounds_job].run_due(clock.now())


async def submit_at(
    api: Api, clock: FixedClock, incident_id: str, organisation: str, when: str, **body: object
) -> dict[str, object]:
    clock.set(at(when))
    reply = await api.submit(incident_id, report(organisation, **body))
    assert reply.status == 201, reply.body
    result: dict[str, object] = reply.body
    return result


async def test_passed_deadline_closes_a_round_stamped_with_the_deadline(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()  # 13:00, daily 08/14/20: the first deadline is 14:00
    await submit_at(api, clock, incident["id"], "1440", "2026-11-22T13:30")
    on_the_dot = await submit_at(api, clock, incident["id"], "1441", "2026-11-22T14:00")
    assert on_the_dot["late"] is False  # received exactly at the deadline is on time
    await run(app, clock, "2026-11-22T13:59:59")
    assert await log_of(api, incident["id"], "round.closed") == []

    await run(app, clock, "2026-11-22T14:00")

    [closed] = await log_of(api, incident["id"], "round.closed")
    assert closed["at"] == z("2026-11-22T14:00")
    assert closed["actor"] == "system"
    assert closed["data"] == {
        "n": 1,
        "due_at": z("2026-11-22T14:00"),
        "expected": PARTICIPANTS,
        "on_time": ["1440", "1441"],
        "late": [],
        "overdue": ["1442", "1443", "1444"],
        "next_due_at": z("2026-11-22T20:00"),
    }
    picture = await picture_of(api, incident["id"])
    assert picture["reporting"] == {
        "due_at": z("2026-11-22T20:00"),
        "expected": 5,
        "received": 0,
        "overdue": ["1442", "1443", "1444"],
    }
    assert picture["organisations"]["1442"]["overdue"] is True
    assert picture["organisations"]["1440"]["overdue"] is False


async def test_late_reports_move_from_overdue_to_late_and_reports_for_the_next_round_do_not(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await run(app, clock, "2026-11-22T14:00")
    # As of before the deadline, received after it: late for 14:00.
    late = await submit_at(
        api, clock, incident["id"], "1442", "2026-11-22T14:10", as_of="2026-11-22T13:55:00+01:00"
    )
    assert late["late"] is True
    assert late["due_at"] == z("2026-11-22T14:00")
    # As of exactly the deadline: counts for it, late.
    await submit_at(
        api, clock, incident["id"], "1443", "2026-11-22T14:05", as_of="2026-11-22T14:00:00+01:00"
    )
    # As of after the deadline: counts for 20:00, on time for that; still overdue for 14:00.
    for_next = await submit_at(api, clock, incident["id"], "1444", "2026-11-22T14:06")
    assert for_next["due_at"] == z("2026-11-22T20:00")

    [round_one] = await rounds_of(api, incident["id"])
    assert round_one["n"] == 1
    assert (round_one["expected"], round_one["on_time"], round_one["late"]) == (5, 0, 2)
    assert round_one["overdue"] == 3  # 1440, 1441 and 1444 never reported for 14:00
    picture = await picture_of(api, incident["id"])
    # Everyone who reported since the deadline is off the list.
    assert picture["reporting"]["overdue"] == ["1440", "1441"]
    assert picture["reporting"]["received"] == 1  # 1444, for 20:00
    assert picture["organisations"]["1444"]["overdue"] is False

    await run(app, clock, "2026-11-22T20:00")
    rounds = await rounds_of(api, incident["id"])
    assert [r["n"] for r in rounds] == [1, 2]
    assert (rounds[1]["on_time"], rounds[1]["overdue"]) == (1, 4)


async def test_snapshot_is_the_picture_as_of_the_deadline(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await submit_at(api, clock, incident["id"], "1440", "2026-11-22T13:30")
    await run(app, clock, "2026-11-22T14:00")
    [closed] = await log_of(api, incident["id"], "round.closed")
    snapshot = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/rounds/1/picture", as_=VIEWER
    )
    assert snapshot.status == 200
    at_seq = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/picture?seq={closed['seq']}", as_=VIEWER
    )
    assert snapshot.body == at_seq.body

    # A report after the deadline changes the picture, never the stored snapshot.
    await submit_at(api, clock, incident["id"], "1441", "2026-11-22T14:30")
    again = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/rounds/1/picture", as_=VIEWER
    )
    assert again.body == snapshot.body
    assert "report_id" not in again.body["organisations"]["1441"]
    assert again.body["reporting"]["overdue"] == ["1441", "1442", "1443", "1444"]


async def test_snapshot_closed_late_leaves_out_what_arrived_after_the_deadline(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await submit_at(api, clock, incident["id"], "1440", "2026-11-22T13:30")
    # Nobody ran the job at 14:00; a report arrives at 14:10, the round closes at 14:20.
    await submit_at(api, clock, incident["id"], "1441", "2026-11-22T14:10")
    await run(app, clock, "2026-11-22T14:20")

    [summary] = await rounds_of(api, incident["id"])
    assert summary["due_at"] == z("2026-11-22T14:00")
    assert summary["closed_at"] == z("2026-11-22T14:20")
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/rounds/1/picture", as_=VIEWER
    )
    snapshot = reply.body
    assert "report_id" in snapshot["organisations"]["1440"]
    assert "report_id" not in snapshot["organisations"]["1441"]
    assert snapshot["reporting"]["due_at"] == z("2026-11-22T20:00")
    assert "1441" in snapshot["reporting"]["overdue"]
    # The live picture knows 1441 has reported since.
    assert "1441" not in (await picture_of(api, incident["id"]))["reporting"]["overdue"]


async def test_schedule_and_participant_changes_take_effect_from_the_next_round(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await run(app, clock, "2026-11-22T14:00")
    clock.set(at("2026-11-22T14:30"))
    changed = await change_incident(
        api,
        incident["id"],
        schedule={"interval_minutes": 60, "first_due_at": "2026-11-22T10:00:00+01:00"},
        participants=[*PARTICIPANTS, "1445"],
    )
    assert changed["due_at"] == z("2026-11-22T15:00")

    await run(app, clock, "2026-11-22T16:10")

    rounds = await rounds_of(api, incident["id"])
    assert [(r["n"], r["due_at"]) for r in rounds] == [
        (1, z("2026-11-22T14:00")),
        (2, z("2026-11-22T15:00")),
        (3, z("2026-11-22T16:00")),
    ]
    assert [r["expected"] for r in rounds] == [5, 6, 6]
    closed = await log_of(api, incident["id"], "round.closed")
    assert [event["at"] for event in closed] == [r["due_at"] for r in rounds]
    assert closed[-1]["data"]["next_due_at"] == z("2026-11-22T17:00")


async def test_report_after_schedule_change_counts_for_old_deadline(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()  # 13:00, daily 08/14/20: 14:00 is a deadline
    clock.set(at("2026-11-22T14:30"))  # 14:00 passed; nobody has closed it yet
    await change_incident(
        api, incident["id"], schedule={"times": ["14:15", "18:00"], "timezone": "Europe/Stockholm"}
    )
    # Written at 13:50, before the change: the old schedule's 14:00 is its deadline, not
    # the new schedule's 14:15 (which lies before the change and is no round at all).
    stored = await submit_at(
        api, clock, incident["id"], "1442", "2026-11-22T14:40", as_of="2026-11-22T13:50:00+01:00"
    )

    await run(app, clock, "2026-11-22T18:00")

    closed = await log_of(api, incident["id"], "round.closed")
    assert [event["data"]["due_at"] for event in closed] == [
        z("2026-11-22T14:00"),
        z("2026-11-22T18:00"),
    ]
    counted_for = [e["data"]["due_at"] for e in closed if "1442" in e["data"]["late"]]
    assert stored["due_at"] == z("2026-11-22T14:00")
    assert counted_for == [stored["due_at"]]
    assert stored["late"] is True


async def test_report_as_of_before_a_schedule_change_counts_for_the_first_new_deadline(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()  # 13:00, daily 08/14/20
    clock.set(at("2026-11-22T13:30"))
    await change_incident(
        api, incident["id"], schedule={"times": ["13:20", "16:00"], "timezone": "Europe/Stockholm"}
    )
    # As of 13:10: the old schedule has no deadline before the change, and the new one's
    # 13:20 lies before it; the first deadline of the history at or after 13:10 is 16:00.
    stored = await submit_at(
        api, clock, incident["id"], "1442", "2026-11-22T13:35", as_of="2026-11-22T13:10:00+01:00"
    )

    await run(app, clock, "2026-11-22T16:00")

    [closed] = await log_of(api, incident["id"], "round.closed")
    assert closed["data"]["due_at"] == z("2026-11-22T16:00")
    assert closed["data"]["on_time"] == ["1442"]
    assert stored["due_at"] == closed["data"]["due_at"]
    assert stored["late"] is False


async def test_closed_incident_gets_no_more_rounds(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await run(app, clock, "2026-11-22T14:00")
    clock.set(at("2026-11-22T15:00"))
    closing = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över."},
    )
    assert closing.status == 200

    await run(app, clock, "2026-11-24T09:00")

    assert [r["n"] for r in await rounds_of(api, incident["id"])] == [1]
    assert len(await log_of(api, incident["id"], "round.closed")) == 1


async def test_rounds_of_an_incident_you_may_not_see_are_404(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    await run(app, clock, "2026-11-22T14:00")
    outsider: Who = ("1280", "viewer")  # Malmö, another county
    for path in ("rounds", "rounds/1/picture"):
        reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}/{path}", as_=outsider)
        assert_problem(reply, 404, "not-found")
    for n in ("2", "0", "-1", "x", "99999999999999999999"):
        reply = await api.call(
            "GET", f"/api/v1/incidents/{incident['id']}/rounds/{n}/picture", as_=VIEWER
        )
        assert_problem(reply, 404, "not-found")
    participant = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/rounds/1/picture", as_=("1442", "reporter")
    )
    assert participant.status == 200


async def test_metrics_count_rounds_closed_and_overdue(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    await api.activate()
    await run(app, clock, "2026-11-22T14:00")
    reply = await api.call("GET", "/metrics")
    assert "lagesbild_rounds_closed_total 1.0" in reply.body
    assert "lagesbild_round_overdue_total 5.0" in reply.body
