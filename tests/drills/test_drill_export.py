"""After the exercise: the drill's responses are in the JSON export and the printed
after-action document, both read from the log, marked ÖVNING."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from service.clock import FixedClock
from tests.drills.support import VIEWER, start_drill
from tests.support import Api, report


async def test_the_json_export_holds_each_participants_response_and_the_figures(
    api: Api, clock: FixedClock, contacts: dict[str, str]
) -> None:
    start = clock.now()
    drill = await start_drill(api)
    clock.set(start + timedelta(minutes=4))
    assert (await api.submit(drill["incident_id"], report("1442"))).status == 201

    reply = await api.call(
        "GET", f"/api/v1/incidents/{drill['incident_id']}/export?format=json", as_=VIEWER
    )

    assert reply.status == 200, reply.body
    assert reply.body["exercise"] is True
    exported = reply.body["drill"]
    assert exported["drill_id"] == drill["id"]
    entries = {p["organisation"]["code"]: p for p in exported["participants"]}
    assert entries["1442"]["responded_by_channel"] == "web"
    assert entries["1442"]["response_seconds"] == 240
    assert entries["1442"]["notified_by"] == ["email"]
    assert exported["not_responded"] == ["1440", "1443"]
    assert exported["figures"]["responded_in_time"] == 1


async def test_the_after_action_document_has_a_drill_section_under_the_exercise_mark(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    start = clock.now()
    drill = await start_drill(api, participants=["1442", "1443"])
    clock.set(start + timedelta(minutes=2))
    assert (await api.submit(drill["incident_id"], report("1443"))).status == 201

    reply = await api.call(
        "GET", f"/api/v1/incidents/{drill['incident_id']}/export?format=html", as_=VIEWER
    )

    assert reply.status == 200
    page = str(reply.body)
    assert "ÖVNING" in page
    assert "<h2>Rapporteringsövning</h2>" in page
    assert "1 av 2 svarade i tid" in page
    assert "Har inte svarat" in page
    assert "Rapporteringsövningen startades" in page
