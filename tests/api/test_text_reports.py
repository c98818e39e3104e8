"""A report written as text is stored exactly as the same report sent as JSON."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from schemas.report import ReportContent
from service import keys
from service.access.principal import Principal
from service.clock import FixedClock
from service.domain.plaintext import Header, incident_code, render
from service.domain.text_reports import (
    TextReportInvalid,
    submit_text,
    text_report_id,
)
from service.errors import Conflict, ProblemError
from service.repo import organisations
from tests.support import Api, report

CONTENT: dict[str, Any] = {
    "situation": "Stormen har fällt träd över elledningar;\n1 200 hushåll saknar ström.",
    "development": {"trend": "worsening", "text": "Vinden ökar igen i kväll."},
    "sectors": [
        {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"},
        {"sector": "water", "status": "moderate", "text": "Reservkraft vid två pumpstationer"},
    ],
    "measures_taken": ["Krisledningsstab aktiverad 09:00"],
    "measures_planned": ["Värmestuga öppnar i sporthallen 18:00"],
    "needs": [{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
    "management": {"level": "staff", "text": "Staben möts var fjärde timme"},
    "public_information": "Information på webben och i lokalradion varje timme.",
    "contact": {"name": "ISK Vårgårda", "phone": "+46 322 600 000", "email": "isk@example.se"},
    "next_report_at": "2026-11-22T18:00:00+01:00",
}
# What differs between two organisations' reports of the same content.
OWN = {"report_id", "organisation", "submitted_by"}


async def reporter(dsn: str, code: str) -> Principal:
    conn = await asyncpg.connect(dsn)
    try:
        org = await organisations.get(conn, code)
    finally:
        await conn.close()
    assert org is not None
    return Principal.acting_for(org, "reporter", name=f"reporter {code}")


async def log(api: Api, incident_id: str) -> list[dict[str, Any]]:
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/log?since=0", as_=("LST-14", "viewer")
    )
    assert reply.status == 200, reply.body
    events: list[dict[str, Any]] = reply.body["events"]
    return events


def without_own(event: dict[str, Any]) -> dict[str, Any]:
    stored = {k: v for k, v in event["data"]["report"].items() if k not in OWN}
    return {**event, "seq": None, "actor": None, "data": {"report": stored}}


async def test_a_text_report_is_stored_and_logged_exactly_like_the_json_report(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    text = render(
        ReportContent.model_validate(CONTENT),
        header=Header(incident_code(uuid.UUID(incident["id"])), incident["title"]),
    )
    by_json = await api.submit(incident["id"], report("1442", **CONTENT))
    assert by_json.status == 201, by_json.body
    by_text = await submit_text(
        app[keys.pool],
        await reporter(dsn, "1441"),
        uuid.UUID(incident["id"]),
        text,
        "email:<abc@example.se>",
        clock.now(),
    )
    assert by_text.created
    assert by_text.report.report_id == text_report_id("1441", "email:<abc@example.se>")
    stored = by_text.report.model_dump(mode="json")
    assert {k: v for k, v in stored.items() if k not in OWN} == {
        k: v for k, v in by_json.body.items() if k not in OWN
    }
    history = await api.call(
        "GET",
        f"/api/v1/incidents/{incident['id']}/reports?organisation=1441",
        as_=("LST-14", "viewer"),
    )
    assert history.body["reports"] == [stored]
    json_event, text_event = (await log(api, incident["id"]))[-2:]
    assert text_event["seq"] == by_text.seq
    assert (json_event["actor"], text_event["actor"]) == ("1442", "1441")
    assert without_own(text_event) == without_own(json_event)


async def test_the_same_message_twice_is_one_report_and_other_text_with_its_key_a_conflict(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    target = uuid.UUID(incident["id"])
    who = await reporter(dsn, "1442")
    first = await submit_text(app[keys.pool], who, target, "Läge: lugnt\n", "sms:17", clock.now())
    events = await log(api, incident["id"])
    again = await submit_text(app[keys.pool], who, target, "Läge: lugnt\n", "sms:17", clock.now())
    assert again.seq is None
    assert again.report == first.report
    assert await log(api, incident["id"]) == events
    with pytest.raises(Conflict) as refused:
        await submit_text(app[keys.pool], who, target, "Läge: oroligt\n", "sms:17", clock.now())
    assert refused.value.slug == "report-conflict"
    # the same key from another organisation is another message
    other = await submit_text(
        app[keys.pool], await reporter(dsn, "1441"), target, "Läge: lugnt\n", "sms:17", clock.now()
    )
    assert other.created


async def test_unchanged_as_text_repeats_the_previous_report_like_the_json_unchanged(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    target = uuid.UUID(incident["id"])
    who = await reporter(dsn, "1442")
    first = await submit_text(
        app[keys.pool],
        who,
        target,
        render(ReportContent.model_validate(CONTENT)),
        "m1",
        clock.now(),
    )
    repeat = await submit_text(app[keys.pool], who, target, "Oförändrat\n", "m2", clock.now())
    assert repeat.report.unchanged
    assert repeat.report.version == 2
    assert repeat.report.content() == first.report.content()


async def test_a_text_that_cannot_be_read_stores_nothing_and_names_its_lines(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    events = await log(api, incident["id"])
    with pytest.raises(TextReportInvalid) as refused:
        await submit_text(
            app[keys.pool],
            await reporter(dsn, "1442"),
            uuid.UUID(incident["id"]),
            "Läge: lugnt\nEl och värme: illa\n",
            "m1",
            clock.now(),
        )
    assert refused.value.status == 422
    assert [e.line for e in refused.value.parse_errors.errors] == [2]
    assert refused.value.errors is not None
    assert refused.value.errors[0][0] == ["text", 2]
    assert refused.value.errors[0][1].startswith("Rad 2: påverkan")
    assert await log(api, incident["id"]) == events


async def test_a_text_naming_another_incident_is_refused_on_its_first_line(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    other = await api.activate(title="Annan händelse")
    text = f"Händelse: {incident_code(uuid.UUID(other['id']))}\nLäge: lugnt\n"
    with pytest.raises(TextReportInvalid) as refused:
        await submit_text(
            app[keys.pool],
            await reporter(dsn, "1442"),
            uuid.UUID(incident["id"]),
            text,
            "m1",
            clock.now(),
        )
    assert [e.line for e in refused.value.parse_errors.errors] == [1]


async def test_a_text_report_for_an_incident_hidden_from_its_sender_is_refused_as_by_the_api(
    api: Api, app: web.Application, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate(participants=["1442"])
    json_reply = await api.submit(incident["id"], report("1441", situation="lugnt"))
    with pytest.raises(ProblemError) as refused:
        await submit_text(
            app[keys.pool],
            await reporter(dsn, "1441"),
            uuid.UUID(incident["id"]),
            "Läge: lugnt\n",
            "m1",
            clock.now(),
        )
    # An incident the sender may not see: 404 as for a missing one, on either path.
    assert json_reply.status == refused.value.status == 404
    assert json_reply.body["type"] == refused.value.type_uri == "/problems/not-found"
