"""Activating, seeing, changing and closing incidents."""

from __future__ import annotations

from tests.support import DAILY, PARTICIPANTS, Api, Who, assert_problem, report


async def test_duty_officer_activates_an_incident_with_participants_and_schedule(api: Api) -> None:
    incident = await api.activate(exercise=True)
    assert incident["status"] == "active"
    assert incident["owner"] == "LST-14"
    assert incident["exercise"] is True
    assert incident["participants"] == sorted(PARTICIPANTS)
    assert incident["schedule"] == {"kind": "daily", **DAILY}
    assert incident["due_at"] == "2026-11-22T13:00:00Z"  # 14:00 in Stockholm
    assert incident["seq"] == 1


async def test_interval_schedule_gives_deadlines_from_its_first_due_time(api: Api) -> None:
    incident = await api.activate(
        schedule={"interval_minutes": 120, "first_due_at": "2026-11-22T09:00:00+01:00"}
    )
    assert incident["schedule"]["kind"] == "interval"
    assert incident["due_at"] == "2026-11-22T12:00:00Z"  # 09, 11, 13 local; T0 is 13:00


async def test_schedule_must_be_interval_or_daily(api: Api) -> None:
    reply = await api.call(
        "POST",
        "/api/v1/incidents",
        as_=("LST-14", "duty_officer"),
        json_body={
            "title": "x",
            "county": "14",
            "participants": ["1442"],
            "schedule": {"interval_minutes": 60},
        },
    )
    assert_problem(reply, 422, "validation", loc=["schedule", "interval", "first_due_at"])


async def test_unknown_participant_codes_are_named_in_the_error(api: Api) -> None:
    reply = await api.call(
        "POST",
        "/api/v1/incidents",
        as_=("LST-14", "duty_officer"),
        json_body={
            "title": "x",
            "county": "14",
            "participants": ["1442", "9999"],
            "schedule": DAILY,
        },
    )
    assert_problem(reply, 422, "validation", loc=["participants", 1])


async def test_county_board_activates_only_in_its_own_county(api: Api) -> None:
    reply = await api.call(
        "POST",
        "/api/v1/incidents",
        as_=("LST-14", "duty_officer"),
        json_body={"title": "x", "county": "01", "participants": ["0180"], "schedule": DAILY},
    )
    assert_problem(reply, 403, "forbidden")


async def test_viewer_of_another_county_cannot_see_the_incident(api: Api) -> None:
    incident = await api.activate()
    stranger: Who = ("LST-01", "viewer")
    for path in ("", "/picture", "/log", "/reports"):
        reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}{path}", as_=stranger)
        assert_problem(reply, 404, "not-found")
    listing = await api.call("GET", "/api/v1/incidents", as_=stranger)
    assert listing.body["incidents"] == []


async def test_participants_county_board_owner_and_admin_see_the_incident(api: Api) -> None:
    incident = await api.activate()
    everyone: list[Who] = [("1442", "reporter"), ("LST-14", "viewer"), ("MSB", "admin")]
    for who in everyone:
        reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=who)
        assert reply.status == 200, who
    listing = await api.call("GET", "/api/v1/incidents?status=active", as_=("1442", "viewer"))
    assert [i["id"] for i in listing.body["incidents"]] == [incident["id"]]


async def test_agency_duty_officer_owns_what_it_activates_in_any_county(api: Api) -> None:
    incident = await api.activate(by="MSB")
    assert incident["owner"] == "MSB"
    board = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=("LST-14", "viewer"))
    assert board.status == 200


async def test_duty_officer_changes_title_participants_and_schedule(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={
            "title": "Storm i Sjuhärad, dag 2",
            "severity": "very_high",
            "participants": ["1442", "1490"],
            "schedule": {"times": ["09:00", "15:00"]},
        },
    )
    assert reply.status == 200, reply.body
    changed = reply.body
    assert changed["title"] == "Storm i Sjuhärad, dag 2"
    assert changed["severity"] == "very_high"
    assert changed["participants"] == ["1442", "1490"]
    assert changed["due_at"] == "2026-11-22T14:00:00Z"
    assert changed["seq"] == 2
    log = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/log?since=1", as_=("LST-14", "viewer")
    )
    event = log.body["events"][0]
    assert event["kind"] == "incident.updated"
    assert event["data"]["participants_added"] == [{"code": "1490", "name": "Borås"}]
    assert event["data"]["participants_removed"] == ["1440", "1441", "1443", "1444"]
    removed = await api.submit(incident["id"], report("1440", situation="x"))
    assert_problem(removed, 403, "not-participant")


async def test_change_that_changes_nothing_writes_no_event(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={"title": incident["title"]},
    )
    assert reply.status == 200
    assert reply.body["seq"] == 1


async def test_empty_change_is_refused(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PATCH", f"/api/v1/incidents/{incident['id']}", as_=("LST-14", "duty_officer"), json_body={}
    )
    assert_problem(reply, 422, "validation")


async def test_viewer_may_not_change_or_close(api: Api) -> None:
    incident = await api.activate()
    viewer: Who = ("LST-14", "viewer")
    patch = await api.call(
        "PATCH", f"/api/v1/incidents/{incident['id']}", as_=viewer, json_body={"title": "x"}
    )
    assert_problem(patch, 403, "forbidden")
    close = await api.call(
        "POST", f"/api/v1/incidents/{incident['id']}/close", as_=viewer, json_body={"summary": "x"}
    )
    assert_problem(close, 403, "forbidden")


async def test_closing_records_the_summary_and_a_second_close_is_a_conflict(api: Api) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}/close"
    officer: Who = ("LST-14", "duty_officer")
    closed = await api.call("POST", path, as_=officer, json_body={"summary": "Läget är normalt."})
    assert closed.status == 200
    assert closed.body["status"] == "closed"
    assert closed.body["summary"] == "Läget är normalt."
    assert closed.body["closed_by"] == "LST-14"
    assert closed.body["due_at"] is None
    again = await api.call("POST", path, as_=officer, json_body={"summary": "igen"})
    assert_problem(again, 409, "incident-closed")
    change = await api.call(
        "PATCH", f"/api/v1/incidents/{incident['id']}", as_=officer, json_body={"title": "x"}
    )
    assert_problem(change, 409, "incident-closed")
    listing = await api.call("GET", "/api/v1/incidents?status=closed", as_=officer)
    assert [i["id"] for i in listing.body["incidents"]] == [incident["id"]]
