"""A published summary as EDXL-DE 2.0 with a SitRep ManagementReportingSummary, through
the adapter seam (`summary_formats`), valid against the official DE 2.0 schema."""

from __future__ import annotations

from lxml import etree

from adapters.edxl import codec
from tests.adapters.edxl_support import assert_valid_de2, needs_de2_schema
from tests.support import Api, Who, report

BOARD: Who = ("LST-14", "duty_officer")
NS = {"de": codec.DE, "sr": codec.SR}


async def _publish_two(api: Api, *, exercise: bool) -> str:
    incident = await api.activate(exercise=exercise)
    path = f"/api/v1/incidents/{incident['id']}/summaries"
    await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "energy", "status": "critical"}])
    )
    await api.call(
        "PUT",
        path + "/draft",
        as_=BOARD,
        headers={"If-Match": '"0"'},
        json_body={
            "assessment": "Elavbrott i hela Sjuhärad <&>",
            "sectors": [{"sector": "water", "level": "serious", "reason": "Reservkraft tar slut"}],
            "development": {"trend": "worsening", "text": "Vinden ökar"},
            "measures_taken": ["Samverkanskonferens 10:00"],
            "measures_planned": ["Ny konferens 16:00"],
            "requests": [{"id": "gen-1", "text": "Reservelverk", "urgency": "critical"}],
            "other": "Inget",
        },
    )
    assert (await api.call("POST", path, as_=BOARD)).status == 201
    assert (await api.call("POST", path, as_=BOARD, json_body={"corrects": 1})).status == 201
    return path


@needs_de2_schema
async def test_summary_edxl_is_valid_de2_and_says_exercise(api: Api) -> None:
    path = await _publish_two(api, exercise=True)
    reply = await api.call("GET", path + "/2?format=edxl", as_=BOARD)
    assert reply.status == 200
    assert reply.content_type == "application/xml"
    document = reply.body.encode()
    assert_valid_de2(document)
    root = etree.fromstring(document)
    assert root.findtext("de:distributionStatus", namespaces=NS) == "Exercise"
    assert root.findtext("de:senderID", namespaces=NS) == "LST-14"
    keyword = root.find(".//de:contentKeyword", namespaces=NS)
    assert keyword is not None
    assert keyword.findtext(f"{{{codec.CT}}}Value") == codec.KEYWORD_SUMMARY
    sitrep = root.find(".//sr:sitRep", namespaces=NS)
    assert sitrep is not None
    assert sitrep.findtext("sr:reportNumber", namespaces=NS) == "2"
    assert sitrep.findtext("sr:reportVersion", namespaces=NS) == "Update"
    assert (sitrep.findtext("sr:precedingMessageID", namespaces=NS) or "").endswith(":summary:1")
    assert (sitrep.findtext("sr:reportTitle", namespaces=NS) or "").startswith("ÖVNING")
    body = sitrep.find(".//sr:ManagementReportingSummary", namespaces=NS)
    assert body is not None
    assert body.findtext("sr:summaryNumber", namespaces=NS) == "2"
    assert body.findtext("sr:correctsNumber", namespaces=NS) == "1"
    assert body.findtext("sr:overallAssessment", namespaces=NS) == "Elavbrott i hela Sjuhärad <&>"
    water = next(
        element
        for element in body.findall("sr:countySector", namespaces=NS)
        if element.findtext("sr:sector", namespaces=NS) == "water"
    )
    assert water.findtext("sr:level", namespaces=NS) == "serious"
    assert water.findtext("sr:overridden", namespaces=NS) == "true"
    request = body.find("sr:nationalRequest", namespaces=NS)
    assert request is not None
    assert request.findtext("sr:requestID", namespaces=NS) == "gen-1"
    assert request.findtext("sr:sinceNumber", namespaces=NS) == "1"


@needs_de2_schema
async def test_a_real_incidents_summary_is_actual(api: Api) -> None:
    path = await _publish_two(api, exercise=False)
    reply = await api.call("GET", path + "/1?format=edxl", as_=BOARD)
    document = reply.body.encode()
    assert_valid_de2(document)
    root = etree.fromstring(document)
    assert root.findtext("de:distributionStatus", namespaces=NS) == "Actual"
    assert "ÖVNING" not in reply.body
