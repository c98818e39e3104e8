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


async def test_a_participant_exports_the_drill_without_the_county_boards_results(
    api: Api, clock: FixedClock
) -> None:
    """The readiness figures are the county board's: a participant's export of the same
    incident (JSON, streamed or not, and the after-action document) leaves them out."""
    drill = await start_drill(api)
    clock.set(clock.now() + timedelta(minutes=3))
    assert (await api.submit(drill["incident_id"], report("1442"))).status == 201
    path = f"/api/v1/incidents/{drill['incident_id']}/export"
    for who in (("1442", "reporter"), ("1440", "viewer")):
        as_json = await api.call("GET", f"{path}?format=json", as_=who)
        assert as_json.status == 200, as_json.body
        assert "drill" not in as_json.body
        as_html = await api.call("GET", f"{path}?format=html", as_=who)
        assert as_html.status == 200
        assert "<h2>Rapporteringsövning</h2>" not in str(as_html.body)
    board = await api.call("GET", f"{path}?format=json", as_=VIEWER)
    assert board.body["drill"]["drill_id"] == drill["id"]
