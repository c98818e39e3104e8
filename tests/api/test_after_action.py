"""The after-action document from a real incident: rounds closed by the rounds job, a
late report, needs, journal entries written through the events repository, a
published summary, the closing and the evaluation, all in the HTML export."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from aiohttp import web
from lxml import html

from service import keys
from service.clock import FixedClock, iso
from service.db.pool import create_pool
from service.repo import events, incidents
from tests.support import Api, Who, report

OFFICER: Who = ("LST-14", "duty_officer")


async def _journal(dsn: str, incident_id: str, number: int, **data: Any) -> None:
    """A `journal.entry` as the contract has it, through the events repository."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            key = uuid.UUID(incident_id)
            await incidents.lock(conn, key)
            seq = await incidents.advance_seq(conn, key)
            at = data.pop("at")
            await events.append(
                conn,
                incident_id=key,
                seq=seq,
                kind="journal.entry",
                at=at,
                actor="LST-14",
                data={
                    "number": number,
                    "at": iso(at),
                    "author": "Anna Andersson",
                    "organisation": "LST-14",
                    "category": "decision",
                    "decided_by": None,
                    "corrects": None,
                    **data,
                },
            )
    finally:
        await pool.close()


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


async def test_the_html_export_is_the_after_action_document_of_the_incident(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate(participants=["1440", "1441", "1442"], exercise=True)
    incident_id = incident["id"]
    need = {"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}
    await api.submit(incident_id, report("1442", needs=[need], measures_taken=["Stab 09:00"]))
    await api.submit(incident_id, report("1440", situation="Lugnt"))
    clock.set(clock.now() + timedelta(hours=1, minutes=1))  # past round 1's 14:00
    await app[keys.rounds_job].run_due(clock.now())
    # Lerum's report for 14:00 comes late; Vårgårda's need is resolved
    late = report("1441", as_of=iso(clock.now() - timedelta(minutes=5)))
    assert (await api.submit(incident_id, late)).status == 201
    clock.set(clock.now() + timedelta(hours=3, minutes=20))
    resolved = {**need, "status": "resolved"}
    await api.submit(incident_id, report("1442", needs=[resolved]))
    await _journal(api.dsn, incident_id, 1, at=clock.now(), text="Skolor stängs", significant=True)
    await _journal(api.dsn, incident_id, 2, at=clock.now(), text="Kaffe", significant=False)
    base = f"/api/v1/incidents/{incident_id}"
    closed = await api.call("POST", f"{base}/close", as_=OFFICER, json_body={"summary": "Över."})
    assert closed.status == 200
    evaluated = await api.call(
        "PUT",
        f"{base}/evaluation",
        as_=OFFICER,
        json_body={"did_not_work": "Reservkraften", "actions": [{"text": "Öva", "owner": "ISK"}]},
    )
    assert evaluated.status == 201

    reply = await api.call("GET", f"{base}/export?format=html", as_=OFFICER)
    assert reply.status == 200
    assert "style-src 'self' 'sha256-" in reply.headers["Content-Security-Policy"]
    page: html.HtmlElement = html.document_fromstring(str(reply.body))
    tables = {
        _text(t.find("thead")): t for t in page.findall(".//table") if t.find("thead") is not None
    }
    (rounds,) = [t for head, t in tables.items() if head == "OmgångI tidSentSaknas"]
    (line,) = [[_text(c) for c in row] for row in rounds.findall("tbody/tr")]
    assert line[1:] == ["2: Ale, Vårgårda", "1: Lerum", "0: –"]
    (needs,) = [t for head, t in tables.items() if head.startswith("OrganisationBehov")]
    (row,) = [[_text(c) for c in r] for r in needs.findall("tbody/tr")]
    assert row[0] == "Vårgårda"
    assert row[4].endswith("(löst)")
    assert row[5] == "4 h 21 min"
    text = _text(page)
    (journal,) = [t for head, t in tables.items() if head.startswith("NrTidSlag")]
    assert [_text(r.findall("td")[3]) for r in journal.findall("tbody/tr")] == ["Skolor stängs"]
    assert "Reservkraften" in text
    assert "Över." in text
    assert page.find_class("exercise")[0].get("role") == "note"
