"""The overall impact is one rule: every place that shows it agrees with `worst_impact`.

The picture fold (an organisation's impact, a sector's worst), the CSV export's impact
column and the EDXL codec (a report's severity, the picture's severity and summary) are
fed the same generated sector lists and must say what `worst_impact` says.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.edxl import codec
from schemas.common import IMPACT_SCALE, IMPACTS, SECTORS, worst_impact
from schemas.incident import DailySchedule, Incident
from schemas.report import ReportContent, StoredReport
from service.export import formats
from service.picture.fold import rebuild

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
INCIDENT_ID = uuid.UUID("9a4c6f0e-3b1d-4c2a-8e5f-1d2c3b4a5e6f")

levels = st.sampled_from(IMPACTS)
# What one organisation reports: at most one level per sector.
sector_levels = st.dictionaries(st.sampled_from(SECTORS), levels)
# Several organisations, each with its own sector levels.
county = st.lists(sector_levels, min_size=1, max_size=6)


def _by_hand(given_levels: Iterable[str]) -> str:
    """The rule as DESIGN.md says it: the most severe known level, else unknown."""
    known = [level for level in given_levels if level in IMPACT_SCALE]
    return max(known, key=IMPACT_SCALE.index) if known else "unknown"


def _incident(codes: list[str]) -> Incident:
    return Incident(
        id=INCIDENT_ID,
        title="Storm",
        description="",
        county="14",
        owner="LST-14",
        severity="high",
        exercise=False,
        status="active",
        participants=codes,
        schedule=DailySchedule(times=["08:00"]),
        due_at=None,
        activated_at=T0,
        activated_by="LST-14",
        seq=1,
    )


def _report(code: str, sectors: Mapping[str, str]) -> StoredReport:
    content = ReportContent.model_validate(
        {"sectors": [{"sector": sector, "status": level} for sector, level in sectors.items()]}
    )
    return StoredReport(
        **content.model_dump(),
        report_id=uuid.uuid4(),
        incident_id=INCIDENT_ID,
        organisation=code,
        version=1,
        as_of=T0,
        received_at=T0,
        submitted_by="ISK",
        supersedes=None,
        unchanged=False,
        late=False,
        due_at=None,
    )


def _events(incident: Incident, reports: list[StoredReport]) -> list[dict[str, Any]]:
    activated = {
        "seq": 1,
        "kind": "incident.activated",
        "at": T0.isoformat(),
        "actor": "LST-14",
        "data": {
            "incident": incident.model_dump(mode="json"),
            "participants": [{"code": code, "name": code} for code in incident.participants],
            "due_at": None,
        },
    }
    submitted = [
        {
            "seq": seq,
            "kind": "report.submitted",
            "at": T0.isoformat(),
            "actor": report.organisation,
            "data": {"report": report.model_dump(mode="json")},
        }
        for seq, report in enumerate(reports, start=2)
    ]
    return [activated, *submitted]


def _sr(element: etree._Element, path: str) -> list[str]:
    steps = "/".join(f"{{{codec.SR}}}{step}" for step in path.split("/"))
    return [found.text or "" for found in element.iterfind(steps)]


def _summary(element: etree._Element, name: str, key: str, value: str) -> dict[str, str]:
    """`key` → `value` of each `name` element of a ManagementReportingSummary."""
    found = element.iterfind(
        "/".join(f"{{{codec.SR}}}{step}" for step in ("report", "ManagementReportingSummary", name))
    )
    return {_sr(item, key)[0]: _sr(item, value)[0] for item in found}


@given(st.lists(levels))
def test_worst_impact_is_the_most_severe_known_level(given_levels: list[str]) -> None:
    assert worst_impact(given_levels) == _by_hand(given_levels)
    assert worst_impact([*given_levels, "unknown", "not-a-level"]) == _by_hand(given_levels)
    assert worst_impact(reversed(given_levels)) == worst_impact(given_levels)


@settings(max_examples=60, deadline=None)
@given(county)
def test_picture_csv_and_edxl_show_the_same_worst_impact(
    organisations: list[dict[str, str]],
) -> None:
    stated = {f"14{index:02d}": sectors for index, sectors in enumerate(organisations)}
    incident = _incident(list(stated))
    reports = [_report(code, sectors) for code, sectors in stated.items()]
    expected = {code: worst_impact(sectors.values()) for code, sectors in stated.items()}
    per_sector = {
        sector: worst_impact(sectors.get(sector, "unknown") for sectors in organisations)
        for sector in SECTORS
    }
    overall = worst_impact(level for sectors in organisations for level in sectors.values())

    picture = rebuild(_events(incident, reports))
    assert {code: org["impact"] for code, org in picture["organisations"].items()} == expected
    assert {sector: picture["sectors"][sector]["worst"] for sector in SECTORS} == per_sector

    rows = csv.DictReader(io.StringIO(formats.as_csv(incident, reports, {}).lstrip("\ufeff")))
    assert {row["organisation"]: row["impact"] for row in rows} == expected

    for report in reports:
        sitrep = codec.report_sitrep(
            incident, report, organisation_name=report.organisation, originating=None, final=False
        )
        severity = codec._SEVERITY.get(expected[report.organisation], "Unknown")
        assert _sr(sitrep, "severity") == [severity]

    summary = codec.picture_sitrep(incident, picture, owner_name="Länsstyrelsen", at=T0)
    assert _sr(summary, "severity") == [codec._SEVERITY.get(overall, "Unknown")]
    assert _summary(summary, "sectorSummary", "sector", "worst") == per_sector
    assert _summary(summary, "organisationStatus", "organisationID", "impact") == expected
