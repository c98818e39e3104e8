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
from service.picture.fold import rebuild
from tests.unit.incident_support import T0, events, incident, stored_report


def _page(
    *, exercise: bool = False, title: str = "Storm", situation: str = "Lugnt", level: str = "none"
) -> html.HtmlElement:
    storm = incident(["1442", "1489"], exercise=exercise, title=title)
    reports = [stored_report("1442", dict.fromkeys(SECTORS, level), situation=situation)]
    picture = rebuild(events(storm, reports))
    return html.document_fromstring(as_html(storm, reports, picture, {"1442": "Vårgårda"}))


def _text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_an_exercise_says_ovning_in_its_banner_and_title() -> None:
    page = _page(exercise=True)
    assert page.get("lang") == "sv"
    (banner,) = page.find_class("exercise")
    assert banner.get("role") == "note"
    assert _text(banner) == label("exercise_banner")
    assert _text(page.find("head/title")) == f"{label('exercise')}: Storm – Lägesbild"
    assert _text(page.find(".//h1")) == f"{label('exercise')}: Storm"


def test_a_real_incident_has_no_exercise_banner() -> None:
    page = _page(exercise=False)
    assert page.find_class("exercise") == []
    assert label("exercise") not in page.text_content()


def test_text_people_typed_is_escaped() -> None:
    source = as_html(
        incident(["1442"], title="<script>x</script>"),
        [stored_report("1442", {}, situation="<b>fet</b> & <i>")],
        {"seq": 2, "organisations": {"1442": {"name": "<Vårgårda>"}}},
        {"1442": "<Vårgårda>"},
    )
    assert "<script>" not in source
    assert "&lt;b&gt;fet&lt;/b&gt; &amp; &lt;i&gt;" in source
    assert "&lt;Vårgårda&gt;" in source


@pytest.mark.parametrize("level", IMPACTS)
def test_every_sector_and_level_is_written_with_the_catalogues_label(level: Impact) -> None:
    page = _page(level=level)
    header = [_text(cell) for cell in page.findall(".//thead/tr/th")]
    assert header == ["Organisation", "Påverkan", *(label(f"sector.{s}") for s in SECTORS)]
    rows = {
        _text(row.find("th")): [_text(cell) for cell in row.findall("td")]
        for row in page.findall(".//tbody/tr")
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
    (report,) = page.findall(".//ol/li")
    assert _text(report) == f"Vårgårda, version 1, {local_time(T0)}: Lugnt"
