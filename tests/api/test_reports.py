"""Submitting reports: idempotency, unchanged, versions, who may report, deadlines."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from service.clock import FixedClock
from tests.support import T0, Api, assert_problem, report

ENERGY_SERIOUS = [{"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"}]


async def _counts(dsn: str, incident_id: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        reports = await conn.fetchval(
            "SELECT count(*) FROM reports WHERE incident_id = $1::uuid", incident_id
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM events WHERE incident_id = $1::uuid", incident_id
        )
    finally:
        await conn.close()
    return reports, events


async def test_report_is_stored_with_what_the_server_adds(api: Api) -> None:
    incident = await api.activate()
    body = report("1442", situation="Stormen", sectors=ENERGY_SERIOUS)
    reply = await api.submit(incident["id"], body)
    assert reply.status == 201
    stored = reply.body
    assert stored["report_id"] == body["report_id"]
    assert stored["incident_id"] == incident["id"]
    assert stored["version"] == 1
    assert stored["supersedes"] is None
    assert stored["submitted_by"] == "reporter 1442"
    assert stored["unchanged"] is False
    assert stored["sectors"] == ENERGY_SERIOUS
    assert stored["received_at"] == stored["as_of"]
    assert reply.headers["Location"].endswith(body["report_id"])


async def test_repeat_with_same_report_id_stores_nothing_new(api: Api) -> None:
    incident = await api.activate()
    body = report("1442", sectors=ENERGY_SERIOUS)
    first = await api.submit(incident["id"], body)
    before = await _counts(api.dsn, incident["id"])
    repeat = await api.submit(incident["id"], body)
    assert repeat.status == 200
    assert repeat.body == first.body
    assert await _counts(api.dsn, incident["id"]) == before


async def test_repeat_of_an_accepted_report_after_close_still_answers_the_stored_report(
    api: Api,
) -> None:
    incident = await api.activate()
    body = report("1442", sectors=ENERGY_SERIOUS)
    first = await api.submit(incident["id"], body)
    await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över"},
    )
    repeat = await api.submit(incident["id"], body)
    assert repeat.status == 200
    assert repeat.body == first.body


async def test_repeat_with_same_report_id_and_other_content_is_a_conflict(api: Api) -> None:
    incident = await api.activate()
    body = report("1442", sectors=ENERGY_SERIOUS)
    await api.submit(incident["id"], body)
    before = await _counts(api.dsn, incident["id"])
    changed = {**body, "situation": "Något annat"}
    assert_problem(await api.submit(incident["id"], changed), 409, "report-conflict")
    assert await _counts(api.dsn, incident["id"]) == before


async def test_same_report_id_in_another_incident_is_a_conflict(api: Api) -> None:
    first = await api.activate()
    second = await api.activate(title="Annan händelse")
    body = report("1442", sectors=ENERGY_SERIOUS)
    await api.submit(first["id"], body)
    assert_problem(await api.submit(second["id"], body), 409, "report-conflict")


async def test_unchanged_without_an_earlier_report_is_a_conflict(api: Api) -> None:
    incident = await api.activate()
    reply = await api.submit(incident["id"], report("1442", unchanged=True))
    assert_problem(reply, 409, "no-earlier-report")
    assert await _counts(api.dsn, incident["id"]) == (0, 1)


async def test_unchanged_repeats_the_previous_content_with_a_new_as_of(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    first = (await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))).body
    clock.set(T0 + timedelta(hours=2))
    reply = await api.submit(incident["id"], report("1442", unchanged=True))
    assert reply.status == 201
    again = reply.body
    assert again["unchanged"] is True
    assert again["version"] == 2
    assert again["supersedes"] == first["report_id"]
    assert again["sectors"] == first["sectors"]
    assert again["as_of"] != first["as_of"]


async def test_unchanged_report_with_content_is_refused(api: Api) -> None:
    incident = await api.activate()
    await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))
    reply = await api.submit(incident["id"], report("1442", unchanged=True, situation="x"))
    assert_problem(reply, 422, "validation")


async def test_a_correction_is_a_new_version_and_the_history_keeps_both(api: Api) -> None:
    incident = await api.activate()
    first = (await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))).body
    fixed = report(
        "1442",
        supersedes=first["report_id"],
        sectors=[{"sector": "energy", "status": "significant"}],
    )
    second = await api.submit(incident["id"], fixed)
    assert second.status == 201
    assert second.body["version"] == 2
    assert second.body["supersedes"] == first["report_id"]
    history = await api.call(
        "GET",
        f"/api/v1/incidents/{incident['id']}/reports?organisation=1442",
        as_=("LST-14", "viewer"),
    )
    assert [r["version"] for r in history.body["reports"]] == [2, 1]
    assert history.body["reports"][1] == first


async def test_a_correction_of_a_report_that_is_no_longer_the_latest_is_a_conflict(
    api: Api,
) -> None:
    incident = await api.activate()
    first = (await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))).body
    await api.submit(incident["id"], report("1442", situation="nyare"))
    stale = report("1442", supersedes=first["report_id"], situation="rättelse")
    assert_problem(await api.submit(incident["id"], stale), 409, "stale-supersedes")


async def test_reporting_for_another_organisation_is_forbidden(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/reports",
        as_=("1442", "reporter"),
        json_body=report("1440", sectors=ENERGY_SERIOUS),
    )
    assert_problem(reply, 403, "wrong-organisation")


async def test_a_report_to_an_incident_the_reporter_may_not_see_is_404_as_for_a_missing_one(
    api: Api,
) -> None:
    incident = await api.activate()
    missing = str(uuid.uuid4())
    for body in (report("1480", sectors=ENERGY_SERIOUS), {"not": "a report"}, report("1442")):
        # Valid or not, for itself or for another: nothing tells an outsider it exists.
        seen = await api.call(
            "POST",
            f"/api/v1/incidents/{incident['id']}/reports",
            as_=("1480", "reporter"),
            json_body=body,
        )
        unknown = await api.call(
            "POST", f"/api/v1/incidents/{missing}/reports", as_=("1480", "reporter"), json_body=body
        )
        assert_problem(seen, 404, "not-found")
        assert_problem(unknown, 404, "not-found")
        assert seen.body["detail"].replace(incident["id"], missing) == unknown.body["detail"]
    assert await _counts(api.dsn, incident["id"]) == (0, 1)


async def test_a_county_board_reporter_who_sees_the_incident_is_told_it_does_not_take_part(
    api: Api,
) -> None:
    incident = await api.activate()
    reply = await api.submit(incident["id"], report("LST-14"))
    assert_problem(reply, 403, "not-participant")


async def test_only_reporters_submit_reports(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/reports",
        as_=("1442", "viewer"),
        json_body=report("1442"),
    )
    assert_problem(reply, 403, "forbidden")


async def test_report_after_close_is_a_conflict(api: Api) -> None:
    incident = await api.activate()
    await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Läget normaliserat"},
    )
    reply = await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))
    assert_problem(reply, 409, "incident-closed")


async def test_report_counts_for_the_first_deadline_at_or_after_its_as_of(
    api: Api, clock: FixedClock
) -> None:
    # Daily 08:00, 14:00, 20:00 Stockholm; T0 is 13:00 on 22 November.
    incident = await api.activate()
    on_time = (await api.submit(incident["id"], report("1442", situation="i tid"))).body
    assert on_time["due_at"] == "2026-11-22T13:00:00Z"
    assert on_time["late"] is False

    clock.set(T0 + timedelta(hours=1, minutes=10))  # 14:10, report as of 13:55
    late = report("1443", situation="sent", as_of="2026-11-22T13:55:00+01:00")
    stored = (await api.submit(incident["id"], late)).body
    assert stored["due_at"] == "2026-11-22T13:00:00Z"
    assert stored["late"] is True

    exact = report("1444", situation="exakt", as_of="2026-11-22T14:10:00+01:00")
    next_round = (await api.submit(incident["id"], exact)).body
    assert next_round["due_at"] == "2026-11-22T19:00:00Z"
    assert next_round["late"] is False


async def test_as_of_in_the_future_is_refused(api: Api) -> None:
    incident = await api.activate()
    future = report("1442", as_of=(T0 + timedelta(hours=1)).isoformat())
    assert_problem(await api.submit(incident["id"], future), 422, "validation", loc=["as_of"])


async def test_as_of_without_timezone_is_refused(api: Api) -> None:
    incident = await api.activate()
    naive = report("1442", as_of="2026-11-22T12:00:00")
    assert_problem(await api.submit(incident["id"], naive), 422, "validation", loc=["as_of"])


async def test_duplicate_sector_in_one_report_is_refused(api: Api) -> None:
    incident = await api.activate()
    twice: list[dict[str, Any]] = [
        {"sector": "energy", "status": "serious"},
        {"sector": "energy", "status": "none"},
    ]
    reply = await api.submit(incident["id"], report("1442", sectors=twice))
    assert_problem(reply, 422, "validation")


async def test_history_is_visible_to_other_participants_but_not_to_outsiders(api: Api) -> None:
    incident = await api.activate()
    await api.submit(incident["id"], report("1442", sectors=ENERGY_SERIOUS))
    path = f"/api/v1/incidents/{incident['id']}/reports"
    neighbour = await api.call("GET", path, as_=("1440", "reporter"))
    assert neighbour.status == 200
    assert len(neighbour.body["reports"]) == 1
    outsider = await api.call("GET", path, as_=("0180", "reporter"))
    assert_problem(outsider, 404, "not-found")


async def test_repeat_of_an_accepted_report_after_removal_still_answers_the_stored_report(
    api: Api,
) -> None:
    incident = await api.activate()
    body = report("1443", sectors=ENERGY_SERIOUS)
    first = await api.submit(incident["id"], body)
    assert first.status == 201
    await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={"participants": ["1442"]},
    )
    repeat = await api.submit(incident["id"], body)
    assert repeat.status == 200
    assert repeat.body == first.body
    fresh = await api.submit(incident["id"], report("1443", situation="ny"))
    assert_problem(fresh, 403, "not-participant")
    # It saw the incident while it took part, so it is told why, and nothing more.
    reading = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=("1443", "viewer"))
    assert_problem(reading, 403, "not-participant")
    assert "removed" in reading.body["detail"]


async def test_times_outside_1970_to_2199_are_refused(api: Api) -> None:
    incident = await api.activate()
    for when in ("0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"):
        reply = await api.submit(incident["id"], report("1442", as_of=when))
        assert_problem(reply, 422, "validation", loc=["as_of"])
