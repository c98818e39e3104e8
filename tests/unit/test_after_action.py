"""The after-action document, folded from a log in memory: rounds with who was on time,
late or missing as known now, needs and how long each stayed open, measures, the
significant journal entries (corrections replace what they correct), summaries and the
latest evaluation; rendered as Swedish HTML."""

from __future__ import annotations

from datetime import timedelta

from lxml import html

from schemas.common import SECTORS
from service.export import afteraction
from service.export.afteraction import AfterAction
from service.export.formats import as_html
from tests.after_action_support import NAMES, START, storm_day


def _document(**options: int) -> afteraction.Document:
    _incident, log = storm_day(exercise=False, **options)
    builder = AfterAction(names=dict(NAMES))
    for event in log.events:
        builder.observe(event)
    return builder.document()


def test_every_round_says_who_was_on_time_late_and_missing_as_known_now() -> None:
    document = _document(rounds=4)
    assert [r.n for r in document.rounds] == [1, 2, 3, 4]
    for line in document.rounds:
        assert "1461" in line.late  # Mellerud's report came after each deadline
        assert line.missing == ("1462",)  # Lilla Edet never reported
        assert len(line.on_time) == 10
    assert document.rounds[0].due_at == START + timedelta(hours=1)


def test_a_rounds_worst_level_per_sector_is_the_picture_at_its_deadline() -> None:
    document = _document(rounds=4)
    assert [r.worst["energy"] for r in document.rounds] == [
        "moderate",
        "significant",
        "serious",
        "critical",
    ]


def test_needs_say_when_they_opened_and_closed_and_how_long_they_stayed_open() -> None:
    document = _document(rounds=4)
    by_key = {(n.organisation, n.need_id): n for n in document.needs}
    generator = by_key[("1440", "el-1440")]
    assert generator.opened_at == START + timedelta(minutes=20)
    # left out of the report of round 3 (20 minutes after round 2's deadline, 20:00)
    assert generator.closed_at == START + timedelta(hours=7, minutes=20)
    assert not generator.resolved
    assert generator.open_for(START) == "7 h 0 min"
    assert ("1444", "sand") not in by_key  # only ever reported resolved: never open


def test_measures_are_listed_once_per_organisation_with_when_first_reported() -> None:
    document = _document(rounds=3)
    taken = [text for _at, text in document.measures["1440"]["taken"]]
    assert taken[0] == "Krisledningsstab aktiverad i Ale"
    assert taken.count("Krisledningsstab aktiverad i Ale") == 1
    assert "Värmestuga öppnad omgång 3" in taken
    assert [t for _a, t in document.measures["1445"]["planned"]] == [
        "Informationsmöte för allmänheten"
    ]


def test_only_significant_journal_entries_are_kept_and_a_correction_replaces_its_entry() -> None:
    document = _document(journal=9)
    assert [entry["number"] for entry in document.journal] == [6, 9, 10]
    assert document.journal[-1]["corrects"] == 3


def test_summaries_the_closing_and_the_latest_evaluation_are_in_the_document() -> None:
    document = _document()
    assert [s["number"] for s in document.summaries] == [1, 2]
    assert document.ended_at is not None
    assert document.evaluation is not None
    assert document.evaluation["did_not_work"].startswith("Lilla Edet")
    assert document.evaluations == 1


def test_the_chart_has_a_panel_per_sector_scaled_to_the_participants() -> None:
    document = _document(rounds=4)
    assert document.participants == 12
    panels = afteraction.chart(
        document.points, document.participants, START, START + timedelta(days=1)
    )
    assert [p.sector for p in panels] == list(SECTORS)
    energy = panels[SECTORS.index("energy")]
    assert energy.peak == 11  # ten reporters and Mellerud at moderate or worse
    assert energy.path.startswith("M0,60")
    assert panels[SECTORS.index("food")].peak == 0


def test_the_rendered_document_is_swedish_with_every_section() -> None:
    incident, log = storm_day(exercise=True)
    page: html.HtmlElement = html.document_fromstring(as_html(incident, log.events, NAMES, START))
    headings = [" ".join("".join(h.itertext()).split()) for h in page.findall(".//h2")]
    assert headings == [
        "Tidslinje",
        "Påverkan över tid per samhällsviktig verksamhet",
        f"Samlad lägesbild (seq {len(log.events)})",
        "Rapporteringsomgångar",
        "Behov av stöd",
        "Åtgärder",
        "Betydelsefulla dagboksanteckningar",
        "Publicerade samlade lägesbilder",
        "Avslutande sammanfattning",
        "Utvärdering",
    ]
    assert len(page.findall(".//svg")) == len(SECTORS)
    text = " ".join(page.text_content().split())
    assert "Uppdatera kontaktlistan för Lilla EdetLilla Edet2027-01-15" in text
    assert "Rättelse: värmestugan öppnar 18:00" in text
