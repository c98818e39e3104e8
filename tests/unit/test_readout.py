"""The Rakel read-out script: pure, from the picture and a report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.report import StoredReport
from service.domain.readout import (
    MAX_WORDS,
    clock_words,
    county,
    number_words,
    organisation,
    speakable,
    when_words,
)

NOW = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # 14:00 in Stockholm


def _org(name: str, sectors: dict[str, str], trend: str = "stable", **more: Any) -> dict[str, Any]:
    return {"name": name, "sectors": sectors, "trend": trend, "open_needs": 0, **more}


def _picture(**overrides: Any) -> dict[str, Any]:
    picture: dict[str, Any] = {
        "seq": 12,
        "incident": {
            "id": str(uuid.uuid4()),
            "title": "Storm i Sjuhärad",
            "exercise": False,
            "status": "active",
        },
        "organisations": {
            "1442": _org("Vårgårda", {"energy": "serious", "water": "moderate"}, "worsening"),
            "1484": _org("Orust", {"communication": "critical"}, "worsening"),
            "1440": _org("Ale", {}),
            "1441": _org("Lerum", {"energy": "none"}),
        },
        "needs": {
            "1484/rakel-1": {
                "organisation": "1484",
                "text": "Rakelterminaler till hemtjänsten",
                "urgency": "critical",
                "since": "2026-11-22T12:00:00+00:00",
            },
            "1442/gen-1": {
                "organisation": "1442",
                "text": "Två reservelverk",
                "urgency": "high",
                "since": "2026-11-22T11:00:00+00:00",
            },
        },
        "reporting": {
            "due_at": "2026-11-22T19:00:00+00:00",
            "expected": 4,
            "received": 3,
            "overdue": ["1440"],
        },
    }
    picture.update(overrides)
    return picture


def test_numbers_are_swedish_words() -> None:
    assert number_words(0) == "noll"
    assert number_words(1) == "ett"
    assert number_words(1, common=True) == "en"
    assert number_words(21) == "tjugoett"
    assert number_words(49) == "fyrtionio"
    assert number_words(100) == "ett hundra"
    assert number_words(1200) == "ett tusen två hundra"
    assert number_words(12_000) == "tolv tusen"
    assert number_words(2_000_000) == "2000000"


def test_times_are_said_as_on_the_radio_in_stockholm_time() -> None:
    assert clock_words(14, 0) == "fjorton"
    assert clock_words(14, 30) == "fjorton trettio"
    assert clock_words(8, 5) == "åtta noll fem"
    assert when_words("2026-11-22T19:00:00+00:00", NOW) == "klockan tjugo"
    assert when_words(NOW + timedelta(hours=18), NOW) == "i morgon klockan åtta"
    assert when_words(NOW + timedelta(days=3), NOW) == "den tjugofem november klockan fjorton"


def test_reporters_text_becomes_one_line_with_numbers_and_times_as_words() -> None:
    said = speakable("1 200 hushåll\nutan ström\u2028sedan 09:00.")
    assert said == "ett tusen två hundra hushåll utan ström sedan klockan nio"
    long = speakable(" ".join(["ord"] * 40))
    assert long.endswith("med mera")
    assert len(long.split()) == 12 + 2


def test_county_script_names_worst_impacts_worsening_critical_needs_missing_and_deadline() -> None:
    script = county(_picture(), NOW)
    text = script.text
    assert text.splitlines()[0] == "Samlad lägesbild för Storm i Sjuhärad, klockan fjorton."
    assert "Tre av fyra har rapporterat." in text
    assert (
        "Kritisk påverkan på information, elektronisk kommunikation och samverkan i Orust." in text
    )
    assert "Allvarlig påverkan på el och värme i Vårgårda." in text
    assert "Läget försämras i Orust och Vårgårda." in text
    assert "Akuta behov: Orust: Rakelterminaler till hemtjänsten." in text
    assert "reservelverk" not in text  # a high need is not a critical one
    assert "Har inte rapporterat i tid: Ale." in text
    assert text.splitlines()[-1] == "Nästa rapporteringstid klockan tjugo."
    assert "ÖVNING" not in text
    assert script.left_out == 0


def test_an_exercise_says_ovning_first_and_last() -> None:
    picture = _picture()
    picture["incident"] = {**picture["incident"], "exercise": True}
    lines = county(picture, NOW).text.splitlines()
    assert lines[0].startswith("ÖVNING")
    assert lines[-1].startswith("ÖVNING")


def test_many_places_are_counted_and_a_few_named_those_getting_worse_first() -> None:
    organisations = {
        f"{1400 + i}": _org(
            f"Kommun {chr(65 + i)}", {"energy": "serious"}, "worsening" if i == 7 else "stable"
        )
        for i in range(12)
    }
    script = county(_picture(organisations=organisations, needs={}), NOW)
    assert (
        "Allvarlig påverkan på el och värme i tolv kommuner, bland annat Kommun H, Kommun A "
        "och Kommun B." in script.text
    )


def test_a_crowded_picture_stays_within_the_word_budget_and_says_more_is_in_lagesbild() -> None:
    sectors = ("water", "energy", "food", "care", "communication", "transport", "other")
    organisations = {
        f"{1400 + i}": _org(
            f"Ort{i}",
            dict.fromkeys(sectors, "critical" if i % 2 else "serious"),
            "worsening",
        )
        for i in range(40)
    }
    needs = {
        f"{1400 + i}/n": {
            "organisation": f"{1400 + i}",
            "urgency": "critical",
            "since": str(i),
            "text": "Ett mycket långt behov " * 10,
        }
        for i in range(40)
    }
    reporting = {
        "due_at": "2026-11-22T19:00:00+00:00",
        "expected": 40,
        "received": 1,
        "overdue": list(organisations),
    }
    picture = _picture(organisations=organisations, needs=needs, reporting=reporting)
    picture["incident"] = {**picture["incident"], "exercise": True}
    script = county(picture, NOW)
    assert script.words <= MAX_WORDS
    assert script.left_out > 0
    lines = script.text.splitlines()
    assert "Allvarlig eller kritisk påverkan också inom fem områden till." in lines
    # The needs in their short wording: the long one does not fit.
    assert any(line.startswith("Fyrtio akuta behov i fyrtio kommuner") for line in lines)
    assert any(line.startswith("Har inte rapporterat i tid: fyrtio kommuner") for line in lines)
    assert lines[-3] == "Mer finns i Lägesbild."
    assert lines[-2] == "Nästa rapporteringstid klockan tjugo."
    assert lines[0].startswith("ÖVNING")
    assert lines[-1].startswith("ÖVNING")


def test_nothing_reported_yet_is_said_so() -> None:
    organisations = {"1440": _org("Ale", {})}
    reporting = {"expected": 1, "received": 0}
    text = county(_picture(organisations=organisations, needs={}, reporting=reporting), NOW).text
    assert "Ingen påverkan är rapporterad ännu." in text
    assert "Noll av en har rapporterat." in text


def test_closed_incident_says_so_instead_of_a_deadline() -> None:
    picture = _picture()
    picture["incident"] = {**picture["incident"], "status": "closed"}
    assert county(picture, NOW).text.splitlines()[-1] == "Händelsen är avslutad."


def _stored(**content: Any) -> StoredReport:
    return StoredReport.model_validate(
        {
            "report_id": str(uuid.uuid4()),
            "incident_id": str(uuid.uuid4()),
            "organisation": "1442",
            "version": 3,
            "as_of": "2026-11-22T12:10:00+00:00",
            "received_at": "2026-11-22T12:11:00+00:00",
            "submitted_by": "ISK Vårgårda",
            "supersedes": None,
            "unchanged": False,
            "late": False,
            "due_at": "2026-11-22T13:00:00+00:00",
            **content,
        }
    )


def test_a_municipalitys_own_report_read_aloud() -> None:
    report = _stored(
        situation="Stormen har fällt träd över elledningar; 1 200 hushåll saknar ström.",
        development={"trend": "worsening", "text": "Vinden ökar igen i kväll."},
        sectors=[
            {"sector": "water", "status": "moderate", "text": ""},
            {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"},
            {"sector": "food", "status": "none", "text": ""},
        ],
        needs=[{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
        management={"level": "staff", "text": ""},
        next_report_at="2026-11-22T17:00:00+00:00",
    )
    lines = organisation(_picture(), "1442", report, NOW).text.splitlines()
    assert lines == [
        "Lägesrapport från Vårgårda, version tre, läget klockan tretton tio.",
        "Övergripande påverkan: allvarlig.",
        "El och värme: allvarlig, ett tusen två hundra hushåll utan ström.",
        "Vatten och avlopp: måttlig.",
        "Utveckling: försämras, Vinden ökar igen i kväll.",
        "Läget: Stormen har fällt träd över elledningar; "
        "ett tusen två hundra hushåll saknar ström.",
        "Behov, hög: Två reservelverk.",
        "Ledning: stab.",
        "Nästa rapport klockan arton.",
    ]


def test_an_organisation_without_a_report_is_said_to_have_none() -> None:
    picture = _picture()
    picture["incident"] = {**picture["incident"], "exercise": True}
    lines = organisation(picture, "1440", None, NOW).text.splitlines()
    assert lines[1] == "Ale har ännu inte lämnat någon lägesrapport."
    assert lines[0].startswith("ÖVNING")
    assert lines[-1].startswith("ÖVNING")
