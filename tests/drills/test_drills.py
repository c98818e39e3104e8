"""A reporting drill for county 14: one step starts an exercise incident and notifies
every participant by every channel it has; the result credits each first report to the
channel it came by, with the times the injected clock gave."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.domain.plaintext import incident_code
from service.outbox import repo as outbox_repo
from service.outbox import webhooks
from service.repo import organisations
from tests.drills.support import (
    DUTY_OFFICER,
    THREE,
    VIEWER,
    by_code,
    deliver,
    result_of,
    start_drill,
)
from tests.mail.support import mail, send
from tests.outbox.support import SmtpSink
from tests.rounds.support import add_contacts
from tests.support import Api, assert_problem, report


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_every_participant_gets_exactly_one_mail_per_address_with_the_link_and_template(
    api: Api,
    app: web.Application,
    clock: FixedClock,
    smtp: tuple[SmtpSink, int],
    contacts: dict[str, str],
) -> None:
    drill = await start_drill(api)
    code = incident_code(uuid.UUID(drill["incident_id"]))

    clock.set(clock.now() + timedelta(seconds=20))
    # The rounds job sends no reminder: the notice was the one before the deadline.
    assert (await app[keys.rounds_job].run_due(clock.now())).reminders == 0
    await deliver(app)
    await deliver(app)  # a second pass sends nothing again

    sink = smtp[0]
    recipients = sorted(r for m in sink.received for r in m.recipients)
    assert recipients == sorted(contacts.values())
    for received in sink.received:
        message = received.message
        assert str(message["Subject"]).startswith("ÖVNING Rapporteringsövning")
        assert str(message["Subject"]).endswith(f"[{code}]")
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert text.startswith("# ÖVNING")
        assert f"https://lagesbild.lst14.example.se/incidents/{drill['incident_id']}/report" in text
        assert f"Händelse: {code}" in text  # the template to fill in and send back
        assert str(message["Reply-To"]) == "rapport@lst14.example.se"
    result = await result_of(api, drill["id"])
    for code_ in THREE:
        entry = by_code(result)[code_]
        assert entry["notified_at"] == drill["started_at"]
        assert [c["channel"] for c in entry["channels"]] == ["email"]
        assert entry["channels"][0]["delivered_at"] is not None


async def test_the_drill_is_an_exercise_with_one_deadline_and_all_municipalities_by_default(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    drill = await start_drill(api, participants=None, respond_minutes=45)

    incident = await api.call("GET", f"/api/v1/incidents/{drill['incident_id']}", as_=VIEWER)
    assert incident.body["exercise"] is True
    assert moment(incident.body["due_at"]) == clock.now() + timedelta(minutes=45)
    conn = await asyncpg.connect(dsn)
    try:
        municipalities = await organisations.list_all(conn, county="14", kind="municipality")
    finally:
        await conn.close()
    assert sorted(incident.body["participants"]) == sorted(o.code for o in municipalities)
    assert drill["exercise"] is True
    assert drill["respond_by"] == incident.body["due_at"]
    log = await api.call("GET", f"/api/v1/incidents/{drill['incident_id']}/log", as_=VIEWER)
    kinds = [e["kind"] for e in log.body["events"]]
    assert kinds[:2] == ["incident.activated", "drill.started"]


async def test_reports_by_web_and_by_mail_are_credited_to_their_channel_with_their_times(
    api: Api, app: web.Application, clock: FixedClock, contacts: dict[str, str]
) -> None:
    start = clock.now()
    drill = await start_drill(api)
    code = incident_code(uuid.UUID(drill["incident_id"]))

    clock.set(start + timedelta(minutes=5))
    assert (await api.submit(drill["incident_id"], report("1440", situation="Lugnt"))).status == 201
    clock.set(start + timedelta(minutes=17))
    await send(app, mail(f"Händelse: {code}\nLäge: Lugnt i Vårgårda.\n", subject=f"Re: [{code}]"))
    clock.set(start + timedelta(minutes=40))  # after the deadline: responded, but late
    again = await api.submit(drill["incident_id"], report("1440", situation="Fortfarande lugnt"))
    assert again.status == 201

    result = await result_of(api, drill["id"])
    entries = by_code(result)
    assert moment(entries["1440"]["responded_at"]) == start + timedelta(minutes=5)
    assert entries["1440"]["responded_by_channel"] == "web"
    assert entries["1440"]["response_seconds"] == 300
    assert entries["1440"]["in_time"] is True
    assert moment(entries["1442"]["responded_at"]) == start + timedelta(minutes=17)
    assert entries["1442"]["responded_by_channel"] == "mail"
    assert entries["1442"]["response_seconds"] == 17 * 60
    assert entries["1443"]["responded_at"] is None
    assert entries["1443"]["responded_by_channel"] is None
    assert entries["1443"]["response_seconds"] is None
    assert result["not_responded"] == ["1443"]
    assert result["status"] == "ended"
    assert result["figures"] == {
        "participants": 3,
        "responded": 2,
        "responded_in_time": 2,
        "share_in_time": 0.6667,
        "median_response_seconds": 660,
    }


async def test_a_report_after_the_deadline_counts_as_responded_but_not_in_time(
    api: Api, clock: FixedClock
) -> None:
    start = clock.now()
    drill = await start_drill(api, participants=["1442"], respond_minutes=10)

    clock.set(start + timedelta(minutes=11))
    assert (await api.submit(drill["incident_id"], report("1442"))).status == 201

    result = await result_of(api, drill["id"])
    [entry] = result["participants"]
    assert entry["response_seconds"] == 660
    assert entry["in_time"] is False
    assert entry["notified_at"] is None  # no contact, no channel: nobody was told
    assert entry["channels"] == []
    assert result["figures"]["share_in_time"] == 0.0


async def test_every_channel_an_organisation_has_is_notified_but_sms_only_with_a_gateway(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    await add_contacts(api, {"1442": "isk@vargarda.example.se"})
    conn = await asyncpg.connect(dsn)
    try:
        await outbox_repo.insert_webhook(
            conn,
            organisation="1442",
            url="https://hooks.vargarda.example.se/lagesbild",
            secret=webhooks.new_secret(),
            at=clock.now(),
        )
        await conn.execute(
            "INSERT INTO organisation_phones (organisation, phone) VALUES ('1442', '+46701234567')"
        )
    finally:
        await conn.close()
    drill = await start_drill(api, participants=["1442"])

    [entry] = (await result_of(api, drill["id"]))["participants"]
    assert sorted(c["channel"] for c in entry["channels"]) == ["email", "webhook"]
    assert all(c["delivered_at"] is None for c in entry["channels"])  # not sent yet


async def test_with_invitations_each_mail_carries_a_link_that_reports_by_link(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, contacts: dict[str, str]
) -> None:
    start = clock.now()
    drill = await start_drill(api, participants=["1442"], invitations=True)
    conn = await asyncpg.connect(dsn)
    try:
        [row] = await conn.fetch(
            "SELECT payload FROM outbox WHERE kind = 'drill.started' AND destination = 'email'"
        )
    finally:
        await conn.close()
    text = str(json.loads(row["payload"])["text"])
    link = next(w for w in text.split() if "/invite/" in w)
    secret = link.rsplit("/", 1)[1]

    clock.set(start + timedelta(minutes=3))
    sent = await api.call(
        "POST", f"/invite/{secret}/reports", json_body=report("1442", situation="Via länk")
    )
    assert sent.status in (200, 201), sent.body

    [entry] = (await result_of(api, drill["id"]))["participants"]
    assert entry["responded_by_channel"] == "link"
    assert entry["response_seconds"] == 180


async def test_the_result_as_csv_has_one_row_per_participant(
    api: Api, clock: FixedClock, contacts: dict[str, str]
) -> None:
    start = clock.now()
    drill = await start_drill(api)
    clock.set(start + timedelta(minutes=5))
    assert (await api.submit(drill["incident_id"], report("1440"))).status == 201

    reply = await api.call("GET", f"/api/v1/drills/{drill['id']}?format=csv", as_=VIEWER)

    assert reply.status == 200
    assert reply.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(str(reply.body))))
    assert [r["organisation"] for r in rows] == THREE
    assert {r["exercise"] for r in rows} == {"ÖVNING"}
    ale = rows[0]
    assert ale["name"] == "Ale"
    assert ale["channels"] == "email"
    assert ale["delivered"] == "-"
    assert ale["channel"] == "web"
    assert ale["response_seconds"] == "300"
    assert ale["in_time"] == "yes"
    assert rows[2]["responded_at"] == ""
    assert rows[2]["in_time"] == "no"


async def test_the_county_lists_its_drills_with_their_figures(api: Api, clock: FixedClock) -> None:
    first = await start_drill(api, participants=["1442"])
    assert (await api.submit(first["incident_id"], report("1442"))).status == 201
    clock.set(clock.now() + timedelta(days=91))
    second = await start_drill(api, participants=["1442", "1443"])

    reply = await api.call("GET", "/api/v1/drills", as_=VIEWER)

    assert reply.status == 200, reply.body
    listed = reply.body["drills"]
    assert [d["id"] for d in listed] == [second["id"], first["id"]]
    assert listed[1]["figures"]["share_in_time"] == 1.0
    assert listed[0]["figures"]["responded"] == 0
    other = await api.call("GET", "/api/v1/drills", as_=("LST-13", "viewer"))
    assert other.body["drills"] == []


async def test_only_the_county_boards_duty_officer_starts_a_drill_and_its_board_sees_it(
    api: Api,
) -> None:
    body: dict[str, Any] = {"county": "14", "message": "Övning", "respond_minutes": 30}
    for who in (("LST-13", "duty_officer"), ("LST-14", "viewer"), ("MSB", "duty_officer")):
        refused = await api.call("POST", "/api/v1/drills", as_=who, json_body=body)
        assert_problem(refused, 403, "forbidden")
    drill = await start_drill(api)

    assert (await result_of(api, drill["id"], DUTY_OFFICER))["id"] == drill["id"]
    hidden = await api.call("GET", f"/api/v1/drills/{drill['id']}", as_=("LST-13", "viewer"))
    assert_problem(hidden, 404, "not-found")
    reporter = await api.call("GET", f"/api/v1/drills/{drill['id']}", as_=("1442", "reporter"))
    assert_problem(reporter, 403, "forbidden")


async def test_bad_input_changes_nothing(api: Api, dsn: str) -> None:
    for body in (
        {"county": "14", "message": "Övning", "respond_minutes": 2},
        {"county": "14", "message": "", "respond_minutes": 30},
        {"county": "14", "message": "Övning", "respond_minutes": 30, "participants": []},
        {"county": "14", "message": "Övning", "respond_minutes": 30, "participants": ["9999"]},
    ):
        reply = await api.call("POST", "/api/v1/drills", as_=DUTY_OFFICER, json_body=body)
        assert_problem(reply, 422, "validation")
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM drills") == 0
        assert await conn.fetchval("SELECT count(*) FROM incidents") == 0
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await conn.close()


async def test_a_drill_is_counted_in_the_national_roll_up_under_exercise_only(
    api: Api, clock: FixedClock
) -> None:
    drill = await start_drill(api)
    assert (await api.submit(drill["incident_id"], report("1440"))).status == 201

    reply = await api.call("GET", "/api/v1/national", as_=("MSB", "viewer"))

    assert reply.status == 200, reply.body
    assert reply.body["real"]["incidents"] == {}
    assert reply.body["real"]["totals"]["incidents"] == 0
    assert list(reply.body["exercise"]["incidents"]) == [drill["incident_id"]]
    assert reply.body["exercise"]["incidents"][drill["incident_id"]]["exercise"] is True


async def test_the_result_counts_those_asked_at_the_start_whatever_the_incident_becomes(
    api: Api,
) -> None:
    """Removing a participant that did not respond cannot mend the figures, and one
    added later, never notified, is not counted as failing to respond."""
    drill = await start_drill(api)
    changed = await api.call(
        "PATCH",
        f"/api/v1/incidents/{drill['incident_id']}",
        as_=DUTY_OFFICER,
        json_body={"participants": ["1440", "1480"]},
    )
    assert changed.status == 200, changed.body

    result = await result_of(api, drill["id"])
    assert sorted(by_code(result)) == THREE
    assert result["figures"]["participants"] == 3
    exported = await api.call(
        "GET", f"/api/v1/incidents/{drill['incident_id']}/export?format=json", as_=VIEWER
    )
    assert (
        sorted(p["organisation"]["code"] for p in exported.body["drill"]["participants"]) == THREE
    )


async def test_a_drill_whose_incident_is_closed_has_ended_before_its_deadline(
    api: Api,
) -> None:
    drill = await start_drill(api, respond_minutes=60)
    assert (await result_of(api, drill["id"]))["status"] == "running"
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{drill['incident_id']}/close",
        as_=DUTY_OFFICER,
        json_body={"summary": "Övningen avbröts."},
    )
    assert closed.status == 200, closed.body
    assert (await result_of(api, drill["id"]))["status"] == "ended"
    listed = await api.call("GET", "/api/v1/drills", as_=VIEWER)
    assert [d["status"] for d in listed.body["drills"]] == ["ended"]
