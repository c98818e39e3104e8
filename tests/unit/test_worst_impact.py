"""The overall impact is one rule: every place that shows it agrees with `worst_impact`.

The picture fold (an organisation's impact, a sector's worst), the CSV export's impact
column and the EDXL codec (a report's severity, the picture's severity and summary) are
fed the same generated sector lists and must say what `worst_impact` says.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.edxl import codec
from schemas.common import IMPACT_SCALE, IMPACTS, SECTORS, worst_impact
from service.export import formats
from service.picture.fold import rebuild
from tests.unit.incident_support import T0, events, incident, stored_report

levels = st.sampled_from(IMPACTS)
# What one organisation reports: at most one level per sector.
sector_levels = st.dictionaries(st.sampled_from(SECTORS), levels)
# Several organisations, each with its own sector levels.
county = st.lists(sector_levels, min_size=1, max_size=6)


def _by_hand(given_levels: Iterable[str]) -> str:
    """The rule as docs/design.md says it: the most severe known level, else unknown."""
    known = [level for level in given_levels if level in IMPACT_SCALE]
    return max(known, key=IMPACT_SCALE.index) if known else "unknown"


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
    county_incident = incident(list(stated))
    reports = [stored_report(code, sectors) for code, sectors in stated.items()]
    expected = {code: worst_impact(sectors.values()) for code, sectors in stated.items()}
    per_sector = {
        sector: worst_impact(sectors.get(sector, "unknown") for sectors in organisations)
        for sector in SECTORS
    }
    overall = worst_impact(level for sectors in organisations for level in sectors.values())

    picture = rebuild(events(county_incident, reports))
    assert {code: org["impact"] for code, org in picture["organisations"].items()} == expected
    assert {sector: picture["sectors"][sector]["worst"] for sector in SECTORS} == per_sector

    rows = csv.DictReader(
        io.StringIO(formats.as_csv(county_incident, reports, {}).lstrip("\ufeff"))
    )
    assert {row["organisation"]: row["impact"] for row in rows} == expected

    for report in reports:
        sitrep = codec.report_sitrep(
            county_incident,
            report,
            organisation_name=report.organisation,
            originating=None,
            final=False,
        )
        severity = codec._SEVERITY.get(expected[report.organisation], "Unknown")
        assert _sr(sitrep, "severity") == [severity]

    summary = codec.picture_sitrep(county_incident, picture, owner_name="Länsstyrelsen", at=T0)
    assert _sr(summary, "severity") == [codec._SEVERITY.get(overall, "Unknown")]
    assert _summary(summary, "sectorSummary", "sector", "worst") == per_sector
    assert _summary(summary, "organisationStatus", "organisationID", "impact") == expected
