"""The county board's summaries over HTTP: the shared draft with ETag/If-Match, the
prefill from the live picture, publishing numbered immutable summaries, and who may."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from tests.support import Api, Reply, Who, assert_problem, report

BOARD: Who = ("LST-14", "duty_officer")
BOARD_VIEWER: Who = ("LST-14", "viewer")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def base(incident: dict[str, Any]) -> str:
    return f"/api/v1/incidents/{incident['id']}/summaries"


async def put_draft(
    api: Api, incident: dict[str, Any], body: dict[str, Any], etag: str | None, who: Who = BOARD
) -> Reply:
    headers = {} if etag is None else {"If-Match": etag}
    return await api.call(
        "PUT", base(incident) + "/draft", as_=who, json_body=body, headers=headers
    )


async def test_draft_prefills_each_sector_with_the_pictures_worst_level(api: Api) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "energy", "status": "serious"}])
    )
    await api.submit(
        incident["id"], report("1440", sectors=[{"sector": "energy", "status": "moderate"}])
    )
    reply = await api.call("GET", base(incident) + "/draft", as_=BOARD_VIEWER)
    assert reply.status == 200, reply.body
    assert reply.headers["Etag"] == '"0"'
    sectors = {s["sector"]: s for s in reply.body["sectors"]}
    assert sectors["energy"] == {
        "sector": "energy",
        "level": "serious",
        "picture_level": "serious",
        "overridden": False,
        "reason": "",
        "comment": "",
    }
    assert sectors["water"]["level"] == "unknown"
    assert reply.body["version"] == 0
    assert reply.body["updated_by"] is None
    assert "assessment" in reply.body["blank"]


async def test_a_write_without_if_match_is_428_and_a_stale_one_412(api: Api) -> None:
    incident = await api.activate()
    missing = await put_draft(api, incident, {"assessment": "Läget är allvarligt"}, None)
    assert_problem(missing, 428, "precondition-required")
    first = await put_draft(api, incident, {"assessment": "Läget är allvarligt"}, '"0"')
    assert first.status == 200, first.body
    assert first.headers["Etag"] == '"1"'
    assert first.body["updated_by"] == "duty_officer LST-14"
    second = await put_draft(
        api, incident, {"assessment": "Läget förbättras"}, '"1"', who=BOARD_VIEWER
    )
    assert second.headers["Etag"] == '"2"'
    stale = await put_draft(api, incident, {"assessment": "Mitt eget"}, '"1"')
    assert_problem(stale, 412, "stale-draft")
    now = await api.call("GET", base(incident) + "/draft", as_=BOARD)
    assert now.body["content"]["assessment"] == "Läget förbättras"
    assert now.body["updated_by"] == "viewer LST-14"


async def test_concurrent_first_saves_store_one_and_refuse_the_others(api: Api) -> None:
    incident = await api.activate()
    replies = await asyncio.gather(
        *(put_draft(api, incident, {"assessment": f"Version {n}"}, '"0"') for n in range(6))
    )
    assert sorted(reply.status for reply in replies) == [200, 412, 412, 412, 412, 412]
    winner = next(reply for reply in replies if reply.status == 200)
    stored = await api.call("GET", base(incident) + "/draft", as_=BOARD)
    assert stored.body["content"]["assessment"] == winner.body["content"]["assessment"]
    assert stored.body["version"] == 1


async def test_saving_an_unchanged_draft_keeps_its_version(api: Api) -> None:
    incident = await api.activate()
    body = {"assessment": "Samma"}
    await put_draft(api, incident, body, '"0"')
    again = await put_draft(api, incident, body, '"1"')
    assert again.headers["Etag"] == '"1"'


async def test_an_override_needs_a_reason_and_one_equal_to_the_picture_follows_it(
    api: Api,
) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "water", "status": "moderate"}])
    )
    refused = await put_draft(
        api, incident, {"sectors": [{"sector": "water", "level": "critical"}]}, '"0"'
    )
    assert_problem(refused, 422, "validation", loc=["sectors", 0, "reason"])
    same = await put_draft(
        api, incident, {"sectors": [{"sector": "water", "level": "moderate"}]}, '"0"'
    )
    water = next(s for s in same.body["sectors"] if s["sector"] == "water")
    assert water["overridden"] is False
    kept = await put_draft(
        api,
        incident,
        {"sectors": [{"sector": "water", "level": "critical", "reason": "Vattenverket slutar"}]},
        '"1"',
    )
    water = next(s for s in kept.body["sectors"] if s["sector"] == "water")
    assert water == {
        "sector": "water",
        "level": "critical",
        "picture_level": "moderate",
        "overridden": True,
        "reason": "Vattenverket slutar",
        "comment": "",
    }


async def test_publishing_numbers_summaries_and_writes_the_event_and_picture(api: Api) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "energy", "status": "serious"}])
    )
    await put_draft(
        api,
        incident,
        {
            "assessment": "Stormen har slagit ut elen i Sjuhärad",
            "requests": [{"id": "gen", "text": "Reservkraft", "urgency": "high"}],
        },
        '"0"',
    )
    first = await api.call("POST", base(incident), as_=BOARD)
    assert first.status == 201, first.body
    assert first.body["number"] == 1
    assert first.body["published_by"] == "duty_officer LST-14"
    assert first.body["picture_seq"] == 2
    assert first.body["published_at"]
    assert first.body["corrects"] is None
    assert first.headers["Location"].endswith("/summaries/1")
    energy = next(s for s in first.body["sectors"] if s["sector"] == "energy")
    assert energy["level"] == "serious"
    assert first.body["requests"][0]["since"] == 1

    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=BOARD)
    event = log.body["events"][-1]
    assert event["kind"] == "summary.published"
    assert event["seq"] == 3
    assert event["data"]["number"] == 1
    assert event["data"]["picture_seq"] == 2
    assert event["data"]["summary"]["assessment"].startswith("Stormen")

    await put_draft(
        api,
        incident,
        {
            "assessment": "Rättad bedömning",
            "requests": [
                {"id": "gen", "text": "Reservkraft", "urgency": "high", "status": "resolved"},
                {"id": "fuel", "text": "Diesel", "urgency": "critical"},
            ],
        },
        '"1"',
    )
    second = await api.call("POST", base(incident), as_=BOARD, json_body={"corrects": 1})
    assert second.status == 201, second.body
    assert second.body["number"] == 2
    assert second.body["corrects"] == 1
    assert [(r["id"], r["since"]) for r in second.body["requests"]] == [("gen", 1), ("fuel", 2)]

    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=BOARD)
    summary = picture.body["summary"]
    assert instant(summary["published_at"]) == instant(second.body["published_at"])
    assert summary == {
        "number": 2,
        "published_at": summary["published_at"],
        "published_by": "duty_officer LST-14",
        "picture_seq": 3,
        "corrects": 1,
        "requests": [
            {"id": "gen", "text": "Reservkraft", "urgency": "high", "status": "resolved"},
            {"id": "fuel", "text": "Diesel", "urgency": "critical", "status": "open"},
        ],
    }
    listed = await api.call("GET", base(incident), as_=("1442", "reporter"))
    assert [s["number"] for s in listed.body["summaries"]] == [1, 2]
    one = await api.call("GET", base(incident) + "/1", as_=("1442", "reporter"))
    assert one.body["assessment"].startswith("Stormen")


async def test_a_correction_must_name_a_published_number(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call("POST", base(incident), as_=BOARD, json_body={"corrects": 1})
    assert_problem(reply, 422, "validation", loc=["corrects"])


async def test_concurrent_publishes_take_numbers_without_gaps(api: Api) -> None:
    incident = await api.activate()
    replies = await asyncio.gather(*(api.call("POST", base(incident), as_=BOARD) for _ in range(8)))
    assert all(reply.status == 201 for reply in replies), [r.body for r in replies]
    assert sorted(reply.body["number"] for reply in replies) == list(range(1, 9))
    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=BOARD)
    numbers = [e["data"]["number"] for e in log.body["events"] if e["kind"] == "summary.published"]
    assert numbers == list(range(1, 9)), "log order is number order"


async def test_a_published_summary_cannot_be_changed(api: Api) -> None:
    incident = await api.activate()
    await api.call("POST", base(incident), as_=BOARD)
    for method in ("PUT", "PATCH", "DELETE"):
        reply = await api.call(method, base(incident) + "/1", as_=BOARD, json_body={})
        assert_problem(reply, 405, "method-not-allowed")
        assert "GET" in reply.headers["Allow"]
        assert method not in reply.headers["Allow"]
    unchanged = await api.call("GET", base(incident) + "/1", as_=BOARD)
    assert unchanged.status == 200
    # The same for every caller and number: it says nothing of what exists.
    outsider = await api.call("DELETE", base(incident) + "/2", as_=("LST-13", "duty_officer"))
    assert_problem(outsider, 405, "method-not-allowed")


async def test_who_may_draft_publish_and_read(api: Api) -> None:
    incident = await api.activate()
    viewer_publish = await api.call("POST", base(incident), as_=BOARD_VIEWER)
    assert_problem(viewer_publish, 403, "forbidden")
    reporter_draft = await api.call("GET", base(incident) + "/draft", as_=("1442", "reporter"))
    assert_problem(reporter_draft, 403, "forbidden")
    admin_publish = await api.call("POST", base(incident), as_=("LST-14", "admin"))
    assert_problem(admin_publish, 403, "forbidden")
    published = await api.call("POST", base(incident), as_=BOARD)
    assert published.status == 201
    for path, method in [
        ("/draft", "GET"),
        ("/draft", "PUT"),
        ("", "POST"),
        ("", "GET"),
        ("/1", "GET"),
        ("/1/deliveries", "GET"),
    ]:
        reply = await api.call(
            method,
            base(incident) + path,
            as_=("LST-13", "duty_officer"),
            json_body={} if method in ("PUT", "POST") else None,
            headers={"If-Match": '"0"'},
        )
        assert_problem(reply, 404, "not-found")


async def test_closed_incidents_take_no_drafts_or_summaries(api: Api) -> None:
    incident = await api.activate()
    await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=BOARD,
        json_body={"summary": "Klart"},
    )
    assert_problem(await put_draft(api, incident, {}, '"0"'), 409, "incident-closed")
    assert_problem(await api.call("POST", base(incident), as_=BOARD), 409, "incident-closed")


async def test_formats_html_says_ovning_and_unknown_format_is_422(api: Api) -> None:
    incident = await api.activate(exercise=True)
    await api.call("POST", base(incident), as_=BOARD)
    page = await api.call("GET", base(incident) + "/1?format=html", as_=BOARD)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "ÖVNING" in page.body
    assert "Samlad lägesbild nr 1" in page.body
    bad = await api.call("GET", base(incident) + "/1?format=pdf", as_=BOARD)
    assert_problem(bad, 422, "validation", loc=["query", "format"])


async def test_publish_with_a_stale_if_match_is_412(api: Api) -> None:
    incident = await api.activate()
    await put_draft(api, incident, {"assessment": "A"}, '"0"')
    stale = await api.call("POST", base(incident), as_=BOARD, headers={"If-Match": '"0"'})
    assert_problem(stale, 412, "stale-draft")
    fresh = await api.call("POST", base(incident), as_=BOARD, headers={"If-Match": '"1"'})
    assert fresh.status == 201
