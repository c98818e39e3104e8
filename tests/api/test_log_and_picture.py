"""The log has no gaps under load; the picture equals the fold of the log at any seq."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.picture.fold import rebuild
from tests.support import Api, Who, report

COUNTY_14 = [
    "1401", "1402", "1407", "1415", "1419", "1421", "1427", "1430", "1435", "1438",
    "1439", "1440", "1441", "1442", "1443", "1444", "1445", "1446", "1447", "1452",
    "1460", "1461", "1462", "1463", "1465", "1466", "1470", "1471", "1472", "1473",
    "1480", "1481", "1482", "1484", "1485", "1486", "1487", "1488", "1489", "1490",
    "1491", "1492", "1493", "1494", "1495", "1496", "1497", "1498", "1499",
]  # fmt: skip
VIEWER: Who = ("LST-14", "viewer")


async def _all_events(api: Api, incident_id: str) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/log?since=0", as_=VIEWER)
    events: list[dict[str, Any]] = reply.body["events"]
    return events


@pytest.mark.slow
async def test_seq_has_no_gaps_under_50_concurrent_submitters(api: Api) -> None:
    incident = await api.activate(participants=COUNTY_14)
    for code in COUNTY_14:  # make the tokens first, so only the submits race
        await api.token(code, "reporter")
    statuses = ["none", "moderate", "significant", "serious", "critical"]
    bodies = [
        report(code, sectors=[{"sector": "energy", "status": statuses[i % 5]}])
        for i, code in enumerate(COUNTY_14)
    ]
    bodies.append(report("1442", situation="andra rapporten"))
    replies = await asyncio.gather(*(api.submit(incident["id"], body) for body in bodies))
    assert sorted(r.status for r in replies) == [201] * 50
    events = await _all_events(api, incident["id"])
    assert [event["seq"] for event in events] == list(range(1, 52))
    stored_seqs = sorted(event["seq"] for event in events if event["kind"] == "report.submitted")
    assert stored_seqs == list(range(2, 52))
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    assert picture.body["seq"] == 51
    assert picture.body["reporting"]["received"] == 49
    energy = picture.body["sectors"]["energy"]
    assert sum(count for level, count in energy.items() if level != "worst") == 49
    assert picture.body == rebuild(events)


async def test_picture_is_the_fold_of_the_log_now_and_at_every_earlier_seq(api: Api) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}"
    await api.submit(
        incident["id"],
        report(
            "1442",
            sectors=[{"sector": "water", "status": "critical"}],
            needs=[{"need_id": "vatten-1", "text": "Nödvatten", "urgency": "critical"}],
        ),
    )
    await api.submit(incident["id"], report("1440", development={"trend": "improving"}))
    await api.call(
        "PATCH", path, as_=("LST-14", "duty_officer"), json_body={"participants": ["1442", "1440"]}
    )
    await api.submit(incident["id"], report("1442", unchanged=True))
    events = await _all_events(api, incident["id"])
    now = await api.call("GET", f"{path}/picture", as_=VIEWER)
    assert now.body == rebuild(events)
    assert now.body["needs"]["1442/vatten-1"]["urgency"] == "critical"
    for seq in range(len(events) + 1):
        past = await api.call("GET", f"{path}/picture?seq={seq}", as_=VIEWER)
        assert past.status == 200
        assert past.body == rebuild(events[:seq])


async def test_picture_beyond_the_end_of_the_log_is_refused(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture?seq=5", as_=VIEWER)
    assert reply.status == 422
    assert reply.body["errors"][0]["loc"] == ["query", "seq"]


async def test_log_since_returns_the_events_after_it_in_pages(api: Api) -> None:
    incident = await api.activate()
    for code in ("1440", "1441", "1442"):
        await api.submit(incident["id"], report(code, situation=code))
    path = f"/api/v1/incidents/{incident['id']}/log"
    page = await api.call("GET", f"{path}?since=1&limit=2", as_=VIEWER)
    assert [e["seq"] for e in page.body["events"]] == [2, 3]
    assert page.body["more"] is True
    assert page.body["last_seq"] == 4
    rest = await api.call("GET", f"{path}?since=3", as_=VIEWER)
    assert [e["seq"] for e in rest.body["events"]] == [4]
    assert rest.body["more"] is False
    event = rest.body["events"][0]
    assert event["kind"] == "report.submitted"
    assert event["actor"] == "1442"
    assert event["data"]["report"]["organisation"] == "1442"
