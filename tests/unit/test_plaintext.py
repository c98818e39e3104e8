"""The plain-text report: what is rendered parses back; people's ways of writing are read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import IMPACTS, SECTORS, TRENDS
from schemas.report import ReportContent
from service.domain.plaintext import (
    Header,
    ParsedReport,
    ParseErrors,
    incident_code,
    normalise_code,
    parse,
    render,
)

# Texts as a report may hold them: any characters but NUL, with "\n" as the line break
# (a CR or CRLF in a text comes back as "\n": test_carriage_returns_in_a_text_become_newlines).
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00\r")
_TEXT = st.text(_CHARS, max_size=30) | st.sampled_from(
    ["1 200 hushåll utan ström", "a\n\n  b\n\tc", "– 5 grader: kallt", "x\n   \ny", "#x\n#y"]
)
_SHORT = _TEXT.filter(lambda text: 0 < len(text.strip()) <= 500)
_NEED_ID = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,10}\Z")
_MOMENT = st.datetimes(
    min_value=datetime(1970, 1, 2),  # noqa: DTZ001  # hypothesis takes naive bounds with timezones
    max_value=datetime(2199, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def contents(draw: st.DrawFn) -> ReportContent:
    sectors = draw(st.permutations(SECTORS))[: draw(st.integers(0, len(SECTORS)))]
    needs = draw(st.lists(_NEED_ID, max_size=4, unique=True))
    body: dict[str, Any] = {
        "situation": draw(_TEXT),
        "development": {"trend": draw(st.sampled_from(TRENDS)), "text": draw(_TEXT)},
        "sectors": [
            {"sector": s, "status": draw(st.sampled_from(IMPACTS)), "text": draw(_TEXT)}
            for s in sectors
        ],
        "measures_taken": draw(st.lists(_SHORT, max_size=3)),
        "measures_planned": draw(st.lists(_SHORT, max_size=3)),
        "needs": [
            {
                "need_id": need_id,
                "text": draw(_SHORT),
                "urgency": draw(st.sampled_from(["low", "medium", "high", "critical"])),
                "status": draw(st.sampled_from(["open", "resolved"])),
            }
            for need_id in needs
        ],
        "management": draw(
            st.none()
            | st.builds(
                lambda level, text: {"level": level, "text": text},
                st.sampled_from(["normal", "reinforced", "staff", "crisis_board"]),
                _TEXT,
            )
        ),
        "public_information": draw(_TEXT),
        "contact": draw(
            st.none()
            | st.builds(
                lambda name, phone, email: {"name": name, "phone": phone, "email": email},
                _TEXT,
                _TEXT.filter(lambda t: len(t.strip()) <= 50),
                _TEXT,
            )
        ),
        "next_report_at": draw(st.none() | _MOMENT),
    }
    return ReportContent.model_validate(body)


def parsed(text: str) -> ParsedReport:
    result = parse(text)
    assert isinstance(result, ParsedReport), result.text()
    return result


def errors(text: str) -> ParseErrors:
    result = parse(text)
    assert isinstance(result, ParseErrors), result
    return result


# No deadline: how fast a parse runs is a figure for bench/, not a test's verdict.
@settings(deadline=None)
@given(contents(), st.sampled_from(["sv", "en"]))
def test_any_valid_report_rendered_as_text_parses_back_to_the_same_content(
    content: ReportContent, lang: str
) -> None:
    text = render(content, lang="sv" if lang == "sv" else "en", hints=True)
    assert parsed(text).content == content


@settings(deadline=None)
@given(contents())
def test_a_rendered_report_sent_with_windows_line_breaks_parses_back_the_same(
    content: ReportContent,
) -> None:
    assert parsed(render(content).replace("\n", "\r\n")).content == content


def test_carriage_returns_in_a_text_become_newlines() -> None:
    content = ReportContent(situation="a\r\nb\rc")
    assert parsed(render(content)).content.situation == "a\nb\nc"


EXAMPLE = """\
Läge: Stormen har fällt träd över elledningar.
Utveckling: försämras – Vinden ökar igen i kväll.
El och värme: allvarlig – 1 200 hushåll utan ström
Behov gen-1: hög – två reservelverk
"""


def test_the_example_of_the_requirement_is_read() -> None:
    content = parsed(EXAMPLE).content
    assert content.situation == "Stormen har fällt träd över elledningar."
    assert (content.development.trend, content.development.text) == (
        "worsening",
        "Vinden ökar igen i kväll.",
    )
    assert [(s.sector, s.status, s.text) for s in content.sectors] == [
        ("energy", "serious", "1 200 hushåll utan ström")
    ]
    assert [(n.need_id, n.urgency, n.status, n.text) for n in content.needs] == [
        ("gen-1", "high", "open", "två reservelverk")
    ]


@pytest.mark.parametrize(
    "written",
    [
        # case and spaces
        "LÄGE:   lugnt\nel och värme :  ALLVARLIG   –   1 200 hushåll",
        "  läge:lugnt\nEL OCH VÄRME:allvarlig–1 200 hushåll",
        # separators: hyphen, en dash, em dash, colon
        "Läge - lugnt\nEl och värme - allvarlig - 1 200 hushåll",
        "Läge – lugnt\nEl och värme – allvarlig: 1 200 hushåll",
        "Läge: lugnt\nEl och värme: allvarlig — 1 200 hushåll",
        # misspellings and no Swedish letters
        "Lage: lugnt\nEl och varme: allvarlg – 1 200 hushåll",
        "Läeg: lugnt\nEl och värm: allvalrig – 1 200 hushåll",
        # English keywords and levels
        "Situation: lugnt\nElectricity and heating: serious – 1 200 hushåll",
        "situation: lugnt\nPower/heat: Serious - 1 200 hushåll",
        # short sector names, the level without a dash, the level as WIS writes it
        "Läge: lugnt\nEl/värme: allvarlig 1 200 hushåll",
        "Läge: lugnt\nEl och värme: allvarlig påverkan – 1 200 hushåll",
        "\ufeffLäge: lugnt\r\nEl och värme: Serious impact: 1 200 hushåll\r\n",
    ],
)
def test_case_spaces_separators_misspellings_and_english_are_read(written: str) -> None:
    content = parsed(written).content
    assert content.situation == "lugnt"
    assert [(s.sector, s.status, s.text) for s in content.sectors] == [
        ("energy", "serious", "1 200 hushåll")
    ]


def test_missing_lines_leave_their_fields_empty() -> None:
    content = parsed("El och värme: kritisk\n").content
    assert content == ReportContent(sectors=[{"sector": "energy", "status": "critical"}])


def test_unchanged_alone_means_unchanged_in_either_language() -> None:
    for written in ("Oförändrat", "  oförändrat.  \n", "Oforandrat", "Unchanged", "UNCHANGED\n"):
        result = parsed(written)
        assert result.unchanged, written
        assert result.content == ReportContent()


def test_unchanged_with_content_is_an_error_naming_the_lines() -> None:
    found = errors("Oförändrat\nLäge: lugnt\n")
    assert [e.line for e in found.errors] == [1]
    assert "raderna 2 " in found.errors[0].sv
    assert "Oförändrat" in found.errors[0].sv


def test_unchanged_beside_an_empty_template_and_the_incident_line_is_unchanged() -> None:
    code = incident_code(uuid.uuid4())
    text = render(ReportContent(), header=Header(code, "Storm")) + "Oförändrat\n"
    result = parsed(text)
    assert result.unchanged
    assert result.incident_code == code


def test_a_need_keeps_its_id_urgency_and_status() -> None:
    content = parsed(
        "Behov gen-1: hög, löst – två reservelverk\nNeed W.2: critical – water\nBehov b3: sängar"
    ).content
    assert [(n.need_id, n.urgency, n.status, n.text) for n in content.needs] == [
        ("gen-1", "high", "resolved", "två reservelverk"),
        ("W.2", "critical", "open", "water"),
        ("b3", "medium", "open", "sängar"),
    ]


def test_indented_lines_continue_the_text_and_blank_lines_inside_it_are_kept() -> None:
    content = parsed(
        "Läge: Första raden\n  andra raden\n\n\tefter en tom rad\n\nUtveckling: förbättras\n"
    ).content
    assert content.situation == "Första raden\nandra raden\n\nefter en tom rad"
    assert content.development.trend == "improving"


def test_comments_and_an_email_signature_are_not_read() -> None:
    content = parsed("# mall\nLäge: lugnt\n-- \nAnna Andersson\nISK Vårgårda\n").content
    assert content == ReportContent(situation="lugnt")


def test_swedish_number_formatting_in_texts_is_kept_as_written() -> None:
    content = parsed("Läge: 1 200 hushåll, 3,5 mm regn, kl. 09.00–12.00\n").content
    assert content.situation == "1 200 hushåll, 3,5 mm regn, kl. 09.00–12.00"


def test_the_next_report_time_is_swedish_time_unless_an_offset_is_given() -> None:
    assert parsed("Nästa rapport: 2026-11-22 18:00").content.next_report_at == datetime(
        2026, 11, 22, 17, tzinfo=UTC
    )
    assert parsed("Next report: 2026-07-01 kl. 08.30").content.next_report_at == datetime(
        2026, 7, 1, 6, 30, tzinfo=UTC
    )
    assert parsed("Nästa rapport: 2026-11-22T18:00:00Z").content.next_report_at == datetime(
        2026, 11, 22, 18, tzinfo=UTC
    )


def test_the_autumn_hour_that_repeats_is_written_with_its_offset() -> None:
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 +01:00, the second 02:30
    text = render(ReportContent(next_report_at=second))
    assert "Nästa rapport: 2026-10-25 02:30 +01:00" in text
    assert parsed(text).content.next_report_at == second


def test_lines_that_cannot_be_read_are_errors_with_line_numbers_in_swedish_then_english() -> None:
    found = errors(
        "Läge: lugnt\n"
        "El och värme: jättedåligt – 1 200 hushåll\n"
        "Något helt annat\n"
        "Behov: hög – reservelverk\n"
        "Läge: igen\n"
        "Nästa rapport: i morgon\n"
        "Ledning: kaos\n"
    )
    assert [e.line for e in found.errors] == [2, 3, 4, 5, 6, 7]
    sv = found.text()
    assert sv.splitlines()[0].startswith("Rad 2: påverkan saknas")
    assert "allvarlig" in sv.splitlines()[0]
    assert "Rad 3: kan inte läsas: ”Något helt annat”" in sv
    assert "Rad 5: står redan på rad 1" in sv
    en = found.text("en")
    assert en.splitlines()[0].startswith("Line 2: the impact")
    assert "serious" in en.splitlines()[0]


def test_a_text_too_long_is_an_error_on_its_line() -> None:
    found = errors("Läge: lugnt\nVidtagen åtgärd: " + "x" * 501 + "\n")
    assert [(e.line, e.sv) for e in found.errors] == [(2, "texten är för lång (högst 500 tecken)")]


def test_an_empty_text_is_an_error() -> None:
    assert errors("\n  \n# bara en kommentar\n").errors[0].line == 1


def test_a_misspelling_near_two_words_is_not_guessed_but_named() -> None:
    # "Lare" is one letter from "Läge" and from "Care": neither is guessed.
    found = errors("Lare: allvarlig – 1 200 hushåll\nEl och värme: allvarlig ptverkan\n")
    assert [e.line for e in found.errors] == [1]
    assert found.errors[0].sv == (
        "”Lare” kan betyda flera saker (Vård, omsorg och vardagsstöd / Läge); skriv ut ordet"
    )
    assert "(Health, care and daily support / Situation)" in found.errors[0].en
    # a level one letter from two words is not guessed either
    assert isinstance(parse("Behov b1: losw – x"), ParsedReport)  # read as the text
    assert parsed("Behov b1: losw – x").content.needs[0].text == "losw – x"


def test_short_words_are_read_only_when_written_exactly() -> None:
    assert isinstance(parse("Tle: 070-123 45 67"), ParseErrors)
    contact = parsed("Tel: 070-123 45 67").content.contact
    assert contact is not None
    assert contact.phone == "070-123 45 67"
    assert parsed("Behov b1: hög – x").content.needs[0].urgency == "high"
    assert parsed("Behov b1: hgö – x").content.needs[0].text == "hgö – x"


def test_the_incident_code_is_six_characters_read_loosely() -> None:
    incident = uuid.UUID("8d1f0c1e-5a4b-4c4e-9a57-0f7d8b1c2e3f")
    code = incident_code(incident)
    assert len(code) == 7
    assert code[3] == "-"
    assert not set(code) & set("ILOU")
    assert normalise_code(code.lower().replace("-", "")) == code
    assert normalise_code(code.replace("-", " ")) == code
    assert normalise_code("ABC") is None
    assert normalise_code("OIL-000") == "011-000"
    assert parsed(f"Händelse: {code.lower()} – Storm\nLäge: x").incident_code == code
