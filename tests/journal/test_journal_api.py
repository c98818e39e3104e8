"""The incident journal over HTTP: entries numbered in order, immutable, corrected by new
entries, significant ones in the picture, and who may write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.support import Api, Who, assert_problem

BOARD: Who = ("LST-14", "duty_officer")
BOARD_VIEWER: Who = ("LST-14", "viewer")


def path(incident: dict[str, Any]) -> str:
    return f"/api/v1/incidents/{incident['id']}/journal"


async def test_entries_are_numbered_in_order_with_author_organisation_and_time(api: Api) -> None:
    incident = await api.activate()
    first = await api.call(
        "POST",
        path(incident),
        as_=("1442", "reporter"),
        json_body={"category": "contact", "text": "Ringde Vattenfall om reservkraft"},
    )
    assert first.status == 201, first.body
    assert first.body["number"] == 1
    assert first.body["seq"] == 2
    assert first.body["organisation"] == "1442"
    assert first.body["author"] == "reporter 1442"
    assert first.body["category"] == "contact"
    assert first.body["significant"] is False
    assert first.body["decided_by"] is None
    assert first.body["at"] == first.body["recorded_at"]
    second = await api.call(
        "POST",
        path(incident),
        as_=BOARD,
        json_body={
            "category": "decision",
            "text": "Evakuera Ålviks skola",
            "decided_by": "Länsråd Eva Berg",
            "significant": True,
            "at": "2026-11-22T11:30:00+00:00",
        },
    )
    assert second.status == 201, second.body
    assert second.body["number"] == 2
    assert datetime.fromisoformat(second.body["at"]) == datetime.fromisoformat(
        "2026-11-22T12:30:00+01:00"
    )
    listed = await api.call("GET", path(incident), as_=("1442", "reporter"))
    assert listed.status == 200, listed.body
    assert [entry["number"] for entry in listed.body["entries"]] == [1, 2]
    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=BOARD)
    kinds = [event["kind"] for event in log.body["events"]]
    assert kinds == ["incident.activated", "journal.entry", "journal.entry"]
    data = log.body["events"][2]["data"]
    assert set(data) == {
        "number",
        "at",
        "author",
        "organisation",
        "category",
        "text",
        "decided_by",
        "significant",
        "corrects",
    }


async def test_a_correction_is_a_new_entry_naming_the_old_one(api: Api) -> None:
    incident = await api.activate()
    await api.call(
        "POST", path(incident), as_=BOARD, json_body={"category": "event", "text": "Bro 12 stängd"}
    )
    fixed = await api.call(
        "POST",
        path(incident),
        as_=BOARD,
        json_body={"category": "event", "text": "Bro 14 stängd, inte bro 12", "corrects": 1},
    )
    assert fixed.status == 201, fixed.body
    assert fixed.body["corrects"] == 1
    listed = await api.call("GET", path(incident), as_=BOARD)
    old, new = listed.body["entries"]
    assert old["text"] == "Bro 12 stängd", "the old entry is kept as it was"
    assert old["corrected_by"] == [2]
    assert new["corrected_by"] == []
    unknown = await api.call(
        "POST",
        path(incident),
        as_=BOARD,
        json_body={"category": "event", "text": "x", "corrects": 3},
    )
    assert_problem(unknown, 422, "validation", loc=["corrects"])


async def test_entries_cannot_be_changed_or_removed(api: Api) -> None:
    incident = await api.activate()
    await api.call("POST", path(incident), as_=BOARD, json_body={"category": "event", "text": "x"})
    for method in ("PUT", "PATCH", "DELETE"):
        reply = await api.call(method, path(incident), as_=BOARD, json_body={"text": "y"})
        assert_problem(reply, 405)


async def test_significant_entries_are_in_the_picture_newest_first(api: Api) -> None:
    incident = await api.activate()
    for number, significant in enumerate([True, False, True], start=1):
        reply = await api.call(
            "POST",
            path(incident),
            as_=BOARD,
            json_body={
                "category": "event",
                "text": f"Händelse {number}",
                "significant": significant,
            },
        )
        assert reply.status == 201, reply.body
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=BOARD)
    journal = picture.body["journal"]
    assert journal["count"] == 3
    assert [entry["number"] for entry in journal["significant"]] == [3, 1]
    assert journal["significant"][0]["text"] == "Händelse 3"
    assert "decided_by" not in journal["significant"][0], "the picture holds no null"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"category": "decision", "text": "Stäng skolan"}, []),
        ({"category": "event", "text": "x", "decided_by": "Eva"}, []),
        ({"category": "rumour", "text": "x"}, ["category"]),
        ({"category": "event", "text": "  "}, ["text"]),
        ({"category": "event", "text": "x", "at": "2026-11-22T14:00:00"}, ["at"]),
        ({"category": "event", "text": "x", "at": "2027-01-01T00:00:00+00:00"}, ["at"]),
        ({"category": "event", "text": "x", "author": "Någon annan"}, ["author"]),
    ],
)
async def test_bad_entries_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], loc: list[str]
) -> None:
    incident = await api.activate()
    reply = await api.call("POST", path(incident), as_=BOARD, json_body=body)
    assert_problem(reply, 422, "validation", loc=loc)
    listed = await api.call("GET", path(incident), as_=BOARD)
    assert listed.body["entries"] == []


async def test_who_may_write_in_the_journal(api: Api) -> None:
    incident = await api.activate()
    body = {"category": "event", "text": "Läget"}
    allowed: list[Who] = [
        ("1442", "reporter"),
        ("1442", "viewer"),
        ("1442", "duty_officer"),
        BOARD,
        BOARD_VIEWER,
    ]
    for who in allowed:
        reply = await api.call("POST", path(incident), as_=who, json_body=body)
        assert reply.status == 201, (who, reply.body)
    assert_problem(
        await api.call("POST", path(incident), as_=("LST-14", "reporter"), json_body=body), 403
    )
    assert_problem(
        await api.call("POST", path(incident), as_=("LST-14", "admin"), json_body=body), 403
    )
    assert_problem(
        await api.call("POST", path(incident), as_=("1381", "reporter"), json_body=body), 404
    )
    assert_problem(await api.call("GET", path(incident), as_=("1381", "viewer")), 404)


async def test_a_closed_incidents_journal_is_read_but_not_written(api: Api) -> None:
    incident = await api.activate()
    await api.call("POST", path(incident), as_=BOARD, json_body={"category": "event", "text": "x"})
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=BOARD,
        json_body={"summary": "Klart"},
    )
    assert closed.status == 200, closed.body
    late = await api.call(
        "POST", path(incident), as_=BOARD, json_body={"category": "event", "text": "y"}
    )
    assert_problem(late, 409, "incident-closed")
    listed = await api.call("GET", path(incident), as_=BOARD)
    assert len(listed.body["entries"]) == 1


async def test_a_corrected_significant_entry_says_so_in_the_picture(api: Api) -> None:
    incident = await api.activate()
    for body in (
        {"category": "event", "text": "Bro 12 stängd", "significant": True},
        {"category": "event", "text": "Bro 14, inte 12", "corrects": 1},
    ):
        reply = await api.call("POST", path(incident), as_=BOARD, json_body=body)
        assert reply.status == 201, reply.body
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=BOARD)
    (entry,) = picture.body["journal"]["significant"]
    assert entry["text"] == "Bro 12 stängd"
    assert entry["corrected_by"] == [2]


async def test_a_published_summary_shows_the_significant_entries(api: Api) -> None:
    incident = await api.activate()
    for body in (
        {
            "category": "decision",
            "text": "Reservkraft till äldreboenden",
            "decided_by": "Länsråd Eva Berg",
            "significant": True,
        },
        {"category": "contact", "text": "Ringde Vattenfall"},
    ):
        assert (await api.call("POST", path(incident), as_=BOARD, json_body=body)).status == 201
    published = await api.call("POST", f"/api/v1/incidents/{incident['id']}/summaries", as_=BOARD)
    assert published.status == 201, published.body
    (entry,) = published.body["journal"]
    assert entry["number"] == 1
    assert entry["decided_by"] == "Länsråd Eva Berg"
    page = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/summaries/1?format=html", as_=BOARD
    )
    assert "Väsentligt i dagboken" in page.body
    assert "Reservkraft till äldreboenden" in page.body
    assert "Ringde Vattenfall" not in page.body
