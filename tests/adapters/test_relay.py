"""Relay between installations: a county board's incident export imported into another
Lägesbild (two apps, two databases), each report attributed to its municipality and
marked as relayed by the county board, with the token that brought it."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters.edxl import codec
from service.app import create_app
from service.clock import FixedClock
from tests.database import TEMPLATE, PgServer
from tests.settings import suite_settings
from tests.support import Api, assert_problem, report, served

RELAY: Any = ("LST-14", "adapter")


@pytest.fixture
async def national(pg_server: PgServer, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Api]:
    """A second installation on a database of its own (the national one)."""
    async with pg_server.database("national", template=TEMPLATE) as other_dsn:
        app = create_app(suite_settings(tmp_path / "national"), dsn=other_dsn, clock=clock)
        async with served(app, other_dsn) as api:
            yield api


async def _export(county: Api, incident_id: str) -> bytes:
    reply = await county.call(
        "GET", f"/api/v1/incidents/{incident_id}/export?format=edxl", as_=("LST-14", "viewer")
    )
    assert reply.status == 200, reply.body
    document: bytes = reply.body.encode()
    return document


async def _import(api: Api, document: bytes, *, incident: str | None = None) -> Any:
    query = "" if incident is None else f"?incident={incident}"
    return await api.call(
        "POST",
        f"/api/v1/exchange/edxl{query}",
        as_=RELAY,
        data=document,
        headers={"Content-Type": "application/xml"},
    )


async def _reports(api: Api, incident_id: str) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/reports", as_=("MSB", "admin"))
    assert reply.status == 200, reply.body
    found: list[dict[str, Any]] = reply.body["reports"]
    return found


async def _county_incident(county: Api, **overrides: Any) -> dict[str, Any]:
    incident = await county.activate(**overrides)
    first = report(
        "1442", situation="Träd över vägar", sectors=[{"sector": "energy", "status": "serious"}]
    )
    assert (await county.submit(incident["id"], first)).status == 201
    assert (await county.submit(incident["id"], report("1442", situation="Bättre"))).status == 201
    assert (await county.submit(incident["id"], report("1443", situation="Lugnt"))).status == 201
    return incident


async def test_a_county_boards_export_imports_elsewhere_as_relayed_reports(
    api: Api, national: Api
) -> None:
    county_incident = await _county_incident(api)
    mirror = await national.activate(by="MSB", title="Storm i Västra Götaland (från LST-14)")
    reply = await _import(
        national, await _export(api, county_incident["id"]), incident=mirror["id"]
    )
    assert reply.status == 201, reply.body
    assert reply.body["relayed_by"] == "LST-14"
    imported = reply.body["reports"]
    assert sorted((r["organisation"], r["version"]) for r in imported) == [
        ("1442", 1),
        ("1442", 2),
        ("1443", 1),
    ]
    for stored in imported:
        assert stored["incident_id"] == mirror["id"]
        assert stored["provenance"] == {
            "via": "edxl",
            "token": "adapter LST-14",
            "token_id": stored["provenance"]["token_id"],
            "relayed_by": "LST-14",
            "relayed_incident": county_incident["id"],
            "distribution_id": stored["provenance"]["distribution_id"],
        }
        assert isinstance(stored["provenance"]["token_id"], int)
        assert stored["provenance"]["distribution_id"].startswith(
            f"lagesbild:{county_incident['id']}:"
        )
        assert stored["submitted_by"] == "adapter LST-14 (EDXL via LST-14)"
    # The county board's consolidated picture is said to be left out, not failed on.
    assert [item["keyword"] for item in reply.body["not_imported"]] == ["samlad-lagesbild"]
    assert "ManagementReportingSummary" in reply.body["not_imported"][0]["reason"]
    # Content as sent, in the national picture.
    picture = await national.call(
        "GET", f"/api/v1/incidents/{mirror['id']}/picture", as_=("MSB", "admin")
    )
    assert picture.body["organisations"]["1443"]["version"] == 1
    assert picture.body["sectors"]["energy"]["worst"] == "unknown"  # 1442's correction
    # The relay is in the log too.
    log = await national.call("GET", f"/api/v1/incidents/{mirror['id']}/log", as_=("MSB", "admin"))
    submitted = [e for e in log.body["events"] if e["kind"] == "report.submitted"]
    assert {e["data"]["report"]["provenance"]["relayed_by"] for e in submitted} == {"LST-14"}


async def test_the_link_is_kept_so_later_exports_need_no_incident(api: Api, national: Api) -> None:
    county_incident = await _county_incident(api)
    mirror = await national.activate(by="MSB")
    first = await _import(
        national, await _export(api, county_incident["id"]), incident=mirror["id"]
    )
    assert first.status == 201, first.body
    again = await _import(national, await _export(api, county_incident["id"]))
    assert again.status == 200, again.body
    assert [r["created"] for r in again.body["reports"]] == [False, False, False]
    assert again.body["reports"][0]["incident_id"] == mirror["id"]
    assert (await api.submit(county_incident["id"], report("1444", situation="Ny"))).status == 201
    later = await _import(national, await _export(api, county_incident["id"]))
    assert later.status == 201, later.body
    assert [r["organisation"] for r in later.body["reports"] if r["created"]] == ["1444"]
    assert len(await _reports(national, mirror["id"])) == 4
    # One county incident feeds one incident here.
    other = await national.activate(by="MSB", title="Annan")
    clash = await _import(national, await _export(api, county_incident["id"]), incident=other["id"])
    assert_problem(clash, 409, "conflict")


async def test_an_exercise_export_never_feeds_a_real_incident_elsewhere(
    api: Api, national: Api
) -> None:
    exercise = await _county_incident(api, exercise=True)
    real = await national.activate(by="MSB")
    refused = await _import(national, await _export(api, exercise["id"]), incident=real["id"])
    assert_problem(refused, 422, "exercise-mismatch")
    assert await _reports(national, real["id"]) == []
    practice = await national.activate(by="MSB", exercise=True)
    taken = await _import(national, await _export(api, exercise["id"]), incident=practice["id"])
    assert taken.status == 201, taken.body


async def test_a_relay_is_refused_whole_when_one_report_may_not_be_stored(
    api: Api, national: Api
) -> None:
    county_incident = await _county_incident(api)
    # Here, 1443 takes no part: the envelope is refused and nothing at all is stored.
    mirror = await national.activate(by="MSB", participants=["1442"])
    refused = await _import(
        national, await _export(api, county_incident["id"]), incident=mirror["id"]
    )
    assert_problem(refused, 403, "not-participant")
    assert await _reports(national, mirror["id"]) == []
    # Nor was the link kept.
    retry = await _import(national, await _export(api, county_incident["id"]))
    assert_problem(retry, 404, "not-found")


async def test_only_a_county_board_relays_and_only_its_own_county(api: Api, national: Api) -> None:
    county_incident = await _county_incident(api)
    document = await _export(api, county_incident["id"])
    mirror = await national.activate(by="MSB")
    # The same envelope said to come from a municipality, or from another county's board.
    as_municipality = document.replace(b"<senderID>LST-14<", b"<senderID>1442<")
    refused = await national.call(
        "POST",
        f"/api/v1/exchange/edxl?incident={mirror['id']}",
        as_=("1442", "adapter"),
        data=as_municipality,
        headers={"Content-Type": "application/xml"},
    )
    assert_problem(refused, 422, "validation")
    as_neighbour = document.replace(b"<senderID>LST-14<", b"<senderID>LST-13<")
    refused = await national.call(
        "POST",
        f"/api/v1/exchange/edxl?incident={mirror['id']}",
        as_=("LST-13", "adapter"),
        data=as_neighbour,
        headers={"Content-Type": "application/xml"},
    )
    assert_problem(refused, 422, "validation")
    assert "own county" in refused.body["errors"][0]["msg"]
    # A reporter of the county board may not relay on another's behalf either.
    wrong = await national.call(
        "POST",
        f"/api/v1/exchange/edxl?incident={mirror['id']}",
        as_=("LST-13", "reporter"),
        data=document,
        headers={"Content-Type": "application/xml"},
    )
    assert_problem(wrong, 403, "wrong-organisation")
    assert await _reports(national, mirror["id"]) == []


async def test_a_relay_into_an_incident_the_county_board_may_not_see_is_404(
    api: Api, national: Api
) -> None:
    county_incident = await _county_incident(api)
    elsewhere = await national.activate(by="MSB", county="13", participants=["1380"])
    refused = await _import(
        national, await _export(api, county_incident["id"]), incident=elsewhere["id"]
    )
    assert_problem(refused, 404, "not-found")


async def test_summaries_in_an_envelope_are_named_as_not_imported_and_fail_nothing(
    api: Api, national: Api
) -> None:
    county_incident = await _county_incident(api)
    document = await _export(api, county_incident["id"])
    # The county board's published summary travels as a ManagementReportingSummary too,
    # under its own keyword; something that is no SitRep at all is named as well.
    root = etree.fromstring(document)
    content = root.find(f"{{{codec.DE}}}content")
    assert content is not None
    objects = content.findall(f"{{{codec.DE}}}contentObject")
    summary = copy.deepcopy(objects[-1])
    value = summary.find(f".//{{{codec.CT}}}Value")
    assert value is not None
    value.text = "sammanstallning"
    content.append(summary)
    other = copy.deepcopy(objects[0])
    xml = other.find(f"{{{codec.DE}}}contentXML")
    assert xml is not None
    other.remove(xml)
    content.append(other)
    mirror = await national.activate(by="MSB")
    reply = await _import(national, etree.tostring(root), incident=mirror["id"])
    assert reply.status == 201, reply.body
    assert len(reply.body["reports"]) == 3
    skipped = reply.body["not_imported"]
    assert [item["keyword"] for item in skipped] == [
        "samlad-lagesbild",
        "sammanstallning",
        "lagesrapport",
    ]
    assert [item["content"] for item in skipped] == [3, 4, 5]
    assert "not an EDXL-SitRep" in skipped[2]["reason"]
    # An envelope of summaries alone stores nothing and says so.
    only_summary = etree.fromstring(document)
    only_content = only_summary.find(f"{{{codec.DE}}}content")
    assert only_content is not None
    for obj in only_content.findall(f"{{{codec.DE}}}contentObject")[:-1]:
        only_content.remove(obj)
    alone = await _import(national, etree.tostring(only_summary))
    assert alone.status == 200, alone.body
    assert alone.body["reports"] == []
    assert [item["keyword"] for item in alone.body["not_imported"]] == ["samlad-lagesbild"]
