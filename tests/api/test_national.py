"""`GET /api/v1/national`: the roll-up of every active incident, for agencies and admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from service import keys
from service.clock import FixedClock
from tests.national_support import publish_summary
from tests.support import Api, assert_problem, report

AGENCY: Any = ("MSB", "viewer")


async def _national(api: Api, who: Any = AGENCY) -> Any:
    reply = await api.call("GET", "/api/v1/national", as_=who)
    assert reply.status == 200, reply.body
    return reply.body


async def test_agencies_and_admins_see_the_roll_up_and_nobody_else_learns_it_exists(
    api: Api,
) -> None:
    await api.activate()
    assert (await _national(api, ("MSB", "viewer")))["real"]["totals"]["incidents"] == 1
    assert (await _national(api, ("MSB", "duty_officer")))["real"]["totals"]["incidents"] == 1
    assert (await _national(api, ("LST-14", "admin")))["real"]["totals"]["incidents"] == 1
    for who in (("LST-14", "viewer"), ("LST-14", "duty_officer"), ("1442", "reporter")):
        assert_problem(await api.call("GET", "/api/v1/national", as_=who), 404, "not-found")
    assert_problem(await api.call("GET", "/api/v1/national"), 401)


async def test_each_county_shows_its_worst_impact_per_sector_coverage_and_needs(
    api: Api,
) -> None:
    storm = await api.activate()
    flood = await api.activate(title="Översvämning", participants=["1440", "1441"])
    elsewhere = await api.activate(by="LST-13", county="13", participants=["1380", "1381"])
    sent = [
        (storm, "1442", [{"sector": "energy", "status": "serious"}], ["gen-1"]),
        (storm, "1443", [{"sector": "water", "status": "moderate"}], []),
        (flood, "1440", [{"sector": "energy", "status": "critical"}], ["pump", "sand"]),
        (elsewhere, "1380", [{"sector": "transport", "status": "significant"}], []),
    ]
    for incident, org, sectors, needs in sent:
        body = report(
            org,
            sectors=sectors,
            needs=[{"need_id": n, "text": "Hjälp", "urgency": "high"} for n in needs],
        )
        assert (await api.submit(incident["id"], body)).status == 201
    national = await _national(api)
    real = national["real"]
    county = real["counties"]["14"]
    assert county["name"] == "Västra Götalands län"
    assert sorted(county["incidents"]) == sorted([storm["id"], flood["id"]])
    assert county["sectors"]["energy"] == "critical"
    assert county["sectors"]["water"] == "moderate"
    assert county["sectors"]["transport"] == "unknown"
    assert county["impact"] == "critical"
    assert county["reporting"] == {"expected": 7, "received": 3, "overdue": 0}
    assert county["open_needs"] == 3
    assert real["counties"]["13"]["sectors"]["transport"] == "significant"
    assert real["totals"] == {
        "incidents": 3,
        "counties": 2,
        "expected": 9,
        "received": 4,
        "overdue": 0,
        "open_needs": 3,
        "requests": 0,
    }
    assert real["incidents"][storm["id"]]["title"] == "Storm i Sjuhärad"
    assert national["county_names"]["01"] == "Stockholms län"
    assert "summary" not in county  # nothing published yet


async def test_an_exercise_is_shown_apart_and_never_counted_with_real_incidents(
    api: Api,
) -> None:
    real_incident = await api.activate(participants=["1442"])
    exercise = await api.activate(
        title="ÖVNING Storm", exercise=True, participants=["1442", "1443"]
    )
    assert (
        await api.submit(
            real_incident["id"],
            report("1442", sectors=[{"sector": "energy", "status": "moderate"}]),
        )
    ).status == 201
    for org in ("1442", "1443"):
        body = report(
            org,
            sectors=[{"sector": "energy", "status": "critical"}],
            needs=[{"need_id": "x", "text": "Övningsbehov", "urgency": "critical"}],
        )
        assert (await api.submit(exercise["id"], body)).status == 201
    national = await _national(api)
    real, practice = national["real"], national["exercise"]
    assert list(real["incidents"]) == [real_incident["id"]]
    assert list(practice["incidents"]) == [exercise["id"]]
    assert real["counties"]["14"]["sectors"]["energy"] == "moderate"
    assert real["counties"]["14"]["reporting"] == {"expected": 1, "received": 1, "overdue": 0}
    assert real["counties"]["14"]["open_needs"] == 0
    assert real["totals"]["incidents"] == 1
    assert practice["counties"]["14"]["sectors"]["energy"] == "critical"
    assert practice["counties"]["14"]["open_needs"] == 2
    assert practice["incidents"][exercise["id"]]["exercise"] is True


async def test_closed_incidents_leave_the_roll_up(api: Api) -> None:
    incident = await api.activate()
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över"},
    )
    assert closed.status == 200
    national = await _national(api)
    assert national["real"]["incidents"] == {}
    assert national["real"]["counties"] == {}


async def test_the_latest_published_summary_shows_with_its_number_age_and_requests(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident = await api.activate()
    published = clock.now() - timedelta(minutes=90)
    await publish_summary(
        app[keys.pool], incident["id"], number=1, at=published - timedelta(hours=3)
    )
    await publish_summary(
        app[keys.pool],
        incident["id"],
        number=2,
        at=published,
        requests=[
            {"id": "r1", "text": "Elverk från MSB", "urgency": "high", "status": "open"},
            {"id": "r2", "text": "Klart", "urgency": "low", "status": "resolved"},
        ],
    )
    county = (await _national(api))["real"]["counties"]["14"]
    assert county["summary"]["number"] == 2
    assert county["summary"]["age_minutes"] == 90
    assert county["summary"]["incident_id"] == incident["id"]
    assert county["requests"] == [
        {"id": "r1", "text": "Elverk från MSB", "urgency": "high", "incident_id": incident["id"]}
    ]
