"""An exercise's inject timeline in the after-action document and the JSON export."""

from __future__ import annotations

from aiohttp import web
from lxml import html

from service import keys
from service.clock import FixedClock
from tests.injects.support import OFFICER, add_inject, exercise
from tests.rounds.support import at, z
from tests.support import Api


def _text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


async def test_delivered_injects_are_listed_with_their_times_and_audience(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await exercise(api, participants=["1440", "1442"])
    base = f"/api/v1/incidents/{incident['id']}"
    await add_inject(api, incident["id"], text="Elen går", offset_minutes=20, audience=["1442"])
    await add_inject(api, incident["id"], text="Vattnet stiger", offset_minutes=40)
    clock.set(at("2026-11-22T13:30"))
    await app[keys.rounds_job].run_due(clock.now())
    clock.set(at("2026-11-22T13:40"))
    await app[keys.rounds_job].run_due(clock.now())

    reply = await api.call("GET", f"{base}/export?format=html", as_=OFFICER)
    assert reply.status == 200
    page: html.HtmlElement = html.document_fromstring(str(reply.body))
    [table] = [
        t
        for t in page.findall(".//table")
        if t.find("thead") is not None and _text(t.find("thead")).startswith("Inspel")
    ]
    rows = [[_text(c) for c in row] for row in table.findall("tbody/tr")]
    assert rows == [
        ["1", "2026-11-22 13:20", "2026-11-22 13:30", "Vårgårda"],
        ["2", "2026-11-22 13:40", "2026-11-22 13:40", "alla deltagare"],
    ]
    assert "Elen går" not in str(reply.body)  # the texts are not in the log

    exported = await api.call("GET", f"{base}/export?format=json", as_=OFFICER)
    delivered = [e for e in exported.body["events"] if e["kind"] == "inject.delivered"]
    assert [(e["data"]["number"], e["at"]) for e in delivered] == [
        (1, z("2026-11-22T13:30")),
        (2, z("2026-11-22T13:40")),
    ]
    assert exported.body["marking"] == "ÖVNING"


async def test_the_inject_timeline_downloads_as_csv_marked_as_an_exercise(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await exercise(api, participants=["1440", "1442"])
    await add_inject(api, incident["id"], text="=Elen går", offset_minutes=20, audience=["1442"])
    await add_inject(api, incident["id"], text="Struket", offset_minutes=40)
    script = await api.call("GET", f"/api/v1/incidents/{incident['id']}/injects", as_=OFFICER)
    second = script.body["injects"][1]["id"]
    withdraw = f"/api/v1/incidents/{incident['id']}/injects/{second}/withdraw"
    assert (await api.call("POST", withdraw, as_=OFFICER)).status == 200
    clock.set(at("2026-11-22T13:30"))
    await app[keys.rounds_job].run_due(clock.now())

    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/injects?format=csv", as_=OFFICER
    )
    assert reply.status == 200
    assert reply.content_type == "text/csv"
    lines = str(reply.body).lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "marking,incident,number,state,scheduled_at,delivered_at,withdrawn_at,audience,text,"
        "attachments"
    )
    assert lines[1].startswith("ÖVNING,Stormövning,1,delivered,2026-11-22T12:20:00+00:00,")
    assert lines[1].endswith(",1442,'=Elen går,")
    assert lines[2].startswith("ÖVNING,Stormövning,2,withdrawn,")
    # A participant's download holds only what it may see.
    theirs = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/injects?format=csv", as_=("1440", "reporter")
    )
    assert len(str(theirs.body).strip().splitlines()) == 1
