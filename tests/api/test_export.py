"""Exporting an incident for evaluation: JSON, CSV and HTML, with ÖVNING on exercises."""

from __future__ import annotations

import csv
import io

from tests.support import Api, Who, assert_problem, report

VIEWER: Who = ("LST-14", "viewer")


async def _exercise_with_reports(api: Api) -> str:
    incident = await api.activate(exercise=True, title="Storm")
    await api.submit(
        incident["id"],
        report(
            "1442",
            situation="Träd över ledningar",
            sectors=[{"sector": "energy", "status": "serious"}],
            needs=[{"need_id": "gen-1", "text": "Reservelverk", "urgency": "high"}],
        ),
    )
    await api.submit(incident["id"], report("1442", unchanged=True))
    return str(incident["id"])


async def test_json_export_holds_incident_picture_reports_and_log(api: Api) -> None:
    incident_id = await _exercise_with_reports(api)
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/export", as_=VIEWER)
    assert reply.status == 200
    body = reply.body
    assert body["exercise"] is True
    assert body["marking"] == "ÖVNING"
    assert [r["version"] for r in body["reports"]] == [1, 2]
    assert [e["seq"] for e in body["events"]] == [1, 2, 3]
    assert body["picture"]["organisations"]["1442"]["impact"] == "serious"
    assert "ovning" in reply.headers["Content-Disposition"]


async def test_csv_export_has_a_row_per_report_marked_as_exercise(api: Api) -> None:
    incident_id = await _exercise_with_reports(api)
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/export?format=csv", as_=VIEWER)
    assert reply.status == 200
    assert reply.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(str(reply.body).lstrip("\ufeff"))))
    assert len(rows) == 2
    assert {row["exercise"] for row in rows} == {"ÖVNING"}
    assert rows[0]["organisation_name"] == "Vårgårda"
    assert rows[0]["sector_energy"] == "serious"
    assert rows[0]["impact"] == "serious"
    assert rows[1]["unchanged"] == "yes"
    assert rows[0]["needs"] == "gen-1: Reservelverk (high, open)"


async def test_html_export_shows_the_exercise_banner_and_escapes_text(api: Api) -> None:
    incident = await api.activate(exercise=True, title="<script>x</script>")
    await api.submit(incident["id"], report("1442", measures_taken=["<b>fet</b>"]))
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=html", as_=VIEWER
    )
    assert reply.status == 200
    page = str(reply.body)
    assert "ÖVNING" in page
    assert "<script>x" not in page
    assert "&lt;b&gt;fet&lt;/b&gt;" in page


async def test_unknown_export_format_is_refused(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=pdf", as_=VIEWER
    )
    assert_problem(reply, 422, "validation", loc=["query", "format"])


async def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(api: Api) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"],
        report("1442", situation='=HYPERLINK("http://example.invalid","klicka")'),
    )
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=csv", as_=VIEWER
    )
    rows = list(csv.DictReader(io.StringIO(str(reply.body).lstrip("\ufeff"))))
    assert rows[0]["situation"] == '\'=HYPERLINK("http://example.invalid","klicka")'


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def test_csv_cells_start_no_formula_whether_split_on_comma_or_semicolon(api: Api) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"],
        report(
            "1442",
            situation="Lugnt;=cmd|' /C calc'!A0",
            public_information='Se webben,=HYPERLINK("http://example.invalid");"@SUM(1)',
            measures_taken=["Stab; +1 person", 'Tält,"-2+3'],
        ),
    )
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=csv", as_=VIEWER
    )
    text = str(reply.body).lstrip("\ufeff")
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in row:
                assert not cell.lstrip(' "').startswith(FORMULA_START), (delimiter, cell)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["situation"] == "Lugnt;'=cmd|' /C calc'!A0"  # the text is kept, defused
