"""Reminders through the outbox: before the deadline, at it, and escalation to the county
board; each at most once per participant and round."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.clock import FixedClock
from tests.rounds.support import add_contacts, at, outbox
from tests.support import Api, report

CONTACTS = {
    "1440": "isk@ale.example.se",
    "1442": "isk@vargarda.example.se",
    "1443": "isk@bollebygd.example.se",
    "LST-14": "tib@lst14.example.se",
}


async def run(app: web.Application, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    await app[keys.rounds_job].run_due(clock.now())


async def test_reminder_before_goes_to_participants_without_a_report_for_the_deadline(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    await add_contacts(api, CONTACTS)
    incident = await api.activate(title="Storm Ylva")
    clock.set(at("2026-11-22T13:20"))
    assert (await api.submit(incident["id"], report("1440"))).status == 201
    await run(app, clock, "2026-11-22T13:29:59")
    assert await outbox(dsn) == []

    await run(app, clock, "2026-11-22T13:30")
    await run(app, clock, "2026-11-22T13:45")  # again: nothing new

    sent = await outbox(dsn, "reminder.before")
    assert sorted(message["payload"]["to"][0] for message in sent) == [
        "isk@bollebygd.example.se",
        "isk@vargarda.example.se",
    ]
    message = next(m for m in sent if m["payload"]["to"] == ["isk@vargarda.example.se"])
    assert message["destination"] == "email"
    assert message["message_id"] == (
        f"reminder:{incident['id']}:2026-11-22T13:00:00Z:before:1442:isk@vargarda.example.se"
    )
    assert message["created_at"] == at("2026-11-22T13:30")
    assert str(message["incident_id"]) == incident["id"]
    assert "Storm Ylva" in message["payload"]["subject"]
    assert "2026-11-22 14:00" in message["payload"]["text"]
    assert "Vårgårda (1442)" in message["payload"]["text"]
    assert f"/incidents/{incident['id']}/report" in message["payload"]["text"]
    assert not message["payload"]["subject"].startswith("ÖVNING")


async def test_exercise_reminders_say_ovning(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    await add_contacts(api, CONTACTS)
    await api.activate(exercise=True)
    await run(app, clock, "2026-11-22T13:40")
    await run(app, clock, "2026-11-22T14:00")
    messages = await outbox(dsn)
    assert {m["kind"] for m in messages} == {"reminder.before", "reminder.due"}
    assert all(m["payload"]["subject"].startswith("ÖVNING ") for m in messages)
    assert all(m["payload"]["text"].startswith("ÖVNING") for m in messages)


async def test_reminder_due_goes_to_the_overdue_at_the_deadline(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    await add_contacts(api, CONTACTS)
    incident = await api.activate()
    clock.set(at("2026-11-22T13:50"))
    assert (await api.submit(incident["id"], report("1442"))).status == 201
    await run(app, clock, "2026-11-22T14:00")
    await run(app, clock, "2026-11-22T14:00:30")

    due = await outbox(dsn, "reminder.due")
    assert sorted(m["payload"]["to"][0] for m in due) == [
        "isk@ale.example.se",
        "isk@bollebygd.example.se",
    ]
    assert all(m["created_at"] == at("2026-11-22T14:00") for m in due)
    assert await outbox(dsn, "reminder.escalation") == []


async def test_second_consecutive_missed_deadline_escalates_to_the_county_board_once(
    api: Api, app: web.Application, clock: FixedClock, dsn: str
) -> None:
    await add_contacts(api, CONTACTS)
    incident = await api.activate()
    # 1440 misses 14:00, then reports late for it: it has not missed two in a row at 20:00.
    await run(app, clock, "2026-11-22T14:00")
    clock.set(at("2026-11-22T15:00"))
    body = report("1440", as_of="2026-11-22T13:59:00+01:00")
    assert (await api.submit(incident["id"], body)).status == 201
    await run(app, clock, "2026-11-22T20:00")
    # The others miss a third time: no second escalation; 1440 misses its second in a row.
    await run(app, clock, "2026-11-23T08:00")

    escalations = await outbox(dsn, "reminder.escalation")
    by_time = sorted((m["created_at"], m["message_id"].split(":")[-2]) for m in escalations)
    assert by_time == [
        (at("2026-11-22T20:00"), "1441"),
        (at("2026-11-22T20:00"), "1442"),
        (at("2026-11-22T20:00"), "1443"),
        (at("2026-11-22T20:00"), "1444"),
        (at("2026-11-23T08:00"), "1440"),
    ]
    assert {m["payload"]["to"][0] for m in escalations} == {"tib@lst14.example.se"}
    text = next(m for m in escalations if ":1442:" in m["message_id"])["payload"]["text"]
    assert "2026-11-22 14:00 och 2026-11-22 20:00" in text
    # One `due` reminder per overdue participant with a contact, per round.
    due = await outbox(dsn, "reminder.due")
    assert sorted(m["created_at"] for m in due if ":due:1442:" in m["message_id"]) == [
        at("2026-11-22T14:00"),
        at("2026-11-22T20:00"),
        at("2026-11-23T08:00"),
    ]


async def test_metrics_count_reminders_enqueued_by_kind(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    await add_contacts(api, CONTACTS)
    await api.activate()
    await run(app, clock, "2026-11-22T13:30")
    reply = await api.call("GET", "/metrics")
    assert 'lagesbild_reminders_enqueued_total{kind="before"} 3.0' in reply.body
