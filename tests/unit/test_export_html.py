"""The HTML export is a Swedish page from a template, rendered without a server.

It marks an exercise, escapes everything a person typed, and writes every sector and
impact level with the catalogue's label.
"""

from __future__ import annotations

import pytest
from lxml import html

from schemas.common import IMPACTS, SECTORS, Impact
from service.domain.labels import label, local_time
from service.export.formats import as_html
from tests.unit.incident_support import T0, events, incident, stored_report


def _page(
    *, exercise: bool = False, title: str = "Storm", situation: str = "Lugnt", level: str = "none"
) -> html.HtmlElement:
    storm = incident(["1442", "1489"], exercise=exercise, title=title)
    reports = [stored_report("1442", dict.fromkeys(SECTORS, level), situation=situation)]
    return html.document_fromstring(
        as_html(storm, events(storm, reports), {"1442": "Vårgårda"}, T0)
    )


def _text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_an_exercise_says_ovning_in_its_banner_and_title() -> None:
    page = _page(exercise=True)
    assert page.get("lang") == "sv"
    banner, footer = page.find_class("exercise")  # repeated on every printed page
    assert banner.get("role") == "note"
    assert _text(footer) == label("exercise")
    assert _text(banner) == label("exercise_banner")
    assert _text(page.find("head/title")) == f"{label('exercise')}: Storm – Lägesbild"
    assert _text(page.find(".//h1")) == f"{label('exercise')}: Storm"


def test_a_real_incident_has_no_exercise_banner() -> None:
    page = _page(exercise=False)
    assert page.find_class("exercise") == []
    assert label("exercise") not in page.text_content()


def test_text_people_typed_is_escaped() -> None:
    storm = incident(["1442"], title="<script>x</script>")
    reports = [
        stored_report("1442", {}, situation="<b>fet</b> & <i>", measures_taken=["<b>fet</b> & <i>"])
    ]
    source = as_html(storm, events(storm, reports), {"1442": "<Vårgårda>"}, T0)
    assert "<script>" not in source
    assert "&lt;b&gt;fet&lt;/b&gt; &amp; &lt;i&gt;" in source
    assert "&lt;Vårgårda&gt;" in source


@pytest.mark.parametrize("level", IMPACTS)
def test_every_sector_and_level_is_written_with_the_catalogues_label(level: Impact) -> None:
    page = _page(level=level)
    (matrix,) = [t for t in page.findall(".//table") if _text(t).startswith("Organisation")]
    header = [_text(cell) for cell in matrix.findall("thead/tr/th")]
    assert header == ["Organisation", "Påverkan", *(label(f"sector.{s}") for s in SECTORS)]
    rows = {
        _text(row.find("th")): [_text(cell) for cell in row.findall("td")]
        for row in matrix.findall("tbody/tr")
    }
    # the organisation's impact, then each sector: it stated `level` for every sector
    assert rows["1442 (1442)"] == [label(f"impact.{level}")] * (1 + len(SECTORS))
    # a participant that has not reported is unknown everywhere
    assert rows["1489 (1489)"] == [label("impact.unknown")] * (1 + len(SECTORS))


def test_the_incident_line_uses_the_catalogues_labels_and_local_times() -> None:
    page = _page()
    (line,) = [p for p in page.findall(".//main/p") if _text(p).startswith("Län")]
    assert _text(line) == (
        f"Län 14 · allvarlighetsgrad {label('severity.high')} · status {label('status.active')}"
        f" · aktiverad {local_time(T0)} av LST-14"
    )
    assert line.find("time").get("datetime") == T0.isoformat()
    (timeline,) = [t for t in page.findall(".//table") if _text(t).startswith("TidVad")]
    first = [_text(cell) for cell in timeline.findall("tbody/tr")[0]]
    assert first == [local_time(T0), "Händelsen aktiverades", "av LST-14"]
