"""`lagesbild export INCIDENT --format edxl` and `lagesbild import-edxl FILE`, run for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.edxl import exchange
from schemas.incident import Incident
from schemas.report import StoredReport
from service.clock import FixedClock
from tests.adapters.edxl_support import assert_valid_de2, needs_de2_schema
from tests.command import lagesbild
from tests.support import Api, report


async def _exported(api: Api, dsn: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """An exercise with one report from 1442, and what `lagesbild export` prints for it."""
    incident = await api.activate(exercise=True)
    assert (await api.submit(incident["id"], report("1442", situation="Snöoväder"))).status == 201
    ran = await lagesbild(
        "export", incident["id"], "--format", "edxl", database_url=dsn, data_dir=tmp_path
    )
    assert ran.code == 0, ran.err
    return incident, ran.out


@needs_de2_schema
async def test_export_prints_an_envelope_valid_against_the_oasis_schema(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    _incident, printed = await _exported(api, dsn, tmp_path)
    assert_valid_de2(printed.encode())


async def test_export_prints_an_envelope_and_import_stores_its_report_once(
    api: Api, dsn: str, tmp_path: Path, clock: FixedClock
) -> None:
    incident, printed = await _exported(api, dsn, tmp_path)
    assert "<distributionStatus>Exercise</distributionStatus>" in printed

    history = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/reports", as_=("LST-14", "viewer")
    )
    wire = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=("LST-14", "viewer"))
    envelope = tmp_path / "report.xml"
    envelope.write_bytes(
        exchange.report_document(
            Incident.model_validate(wire.body),
            StoredReport.model_validate(history.body["reports"][0]),
            organisation_name="Vårgårda",
            originating=None,
            now=clock.now(),
        )
    )
    first = await lagesbild("import-edxl", str(envelope), database_url=dsn, data_dir=tmp_path)
    assert first.code == 0, first.err
    assert json.loads(first.out)["created"] is True
    again = await lagesbild("import-edxl", str(envelope), database_url=dsn, data_dir=tmp_path)
    assert again.code == 0, again.err
    assert json.loads(again.out)["created"] is False


async def test_import_edxl_refuses_hostile_xml_with_exit_1(dsn: str, tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
    ran = await lagesbild("import-edxl", str(evil), database_url=dsn, data_dir=tmp_path)
    assert ran.code == 1
    assert "unsafe-xml" in ran.err
    assert "root:" not in ran.err + ran.out


async def test_import_relays_a_county_boards_export_into_the_incident_named(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    county = await api.activate()
    assert (await api.submit(county["id"], report("1442", situation="Storm"))).status == 201
    export = await api.call(
        "GET", f"/api/v1/incidents/{county['id']}/export?format=edxl", as_=("LST-14", "viewer")
    )
    envelope = tmp_path / "county.xml"
    envelope.write_text(export.body, encoding="utf-8")
    mirror = await api.activate(by="MSB", title="Från länsstyrelsen")
    ran = await lagesbild(
        "import-edxl",
        str(envelope),
        "--incident",
        mirror["id"],
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 0, ran.err
    (line,) = ran.out.splitlines()
    stored = json.loads(line)
    assert stored["incident_id"] == mirror["id"]
    assert stored["organisation"] == "1442"
    assert "not imported: content 1 (samlad-lagesbild)" in ran.err
    history = await api.call(
        "GET", f"/api/v1/incidents/{mirror['id']}/reports", as_=("LST-14", "viewer")
    )
    (relayed,) = history.body["reports"]
    assert relayed["provenance"]["relayed_by"] == "LST-14"
    assert relayed["provenance"]["relayed_incident"] == county["id"]
    assert relayed["provenance"]["token"] is None  # the command line brings no token
