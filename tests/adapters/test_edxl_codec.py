"""The EDXL codec without a server: any report survives report → envelope → report."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import xml_safety
from adapters.edxl import codec, exchange
from schemas.common import SECTORS
from schemas.incident import DailySchedule, Incident
from schemas.report import ReportContent, StoredReport
from tests.adapters.edxl_support import assert_valid_de2, needs_de2_schema

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Text as reporters type it: any character XML 1.0 can carry, markup included.
xml_chars = st.characters(codec="utf-8", exclude_characters="\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)
long_text = st.text(xml_chars, max_size=60).map(str.strip)
short_text = long_text.filter(bool)
times = st.integers(0, 10**12).map(lambda us: T0 - timedelta(microseconds=us))


@st.composite
def contents(draw: st.DrawFn) -> dict[str, Any]:
    sectors = draw(st.lists(st.sampled_from(SECTORS), unique=True, max_size=7))
    need_ids = draw(
        st.lists(st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,10}\Z"), unique=True, max_size=3)
    )
    return {
        "situation": draw(long_text),
        "development": {
            "trend": draw(st.sampled_from(["improving", "stable", "worsening", "unknown"])),
            "text": draw(long_text),
        },
        "sectors": [
            {
                "sector": sector,
                "status": draw(
                    st.sampled_from(
                        ["none", "moderate", "significant", "serious", "critical", "unknown"]
                    )
                ),
                "text": draw(long_text),
            }
            for sector in sectors
        ],
        "measures_taken": draw(st.lists(short_text, max_size=3)),
        "measures_planned": draw(st.lists(short_text, max_size=3)),
        "needs": [
            {
                "need_id": need_id,
                "text": draw(short_text),
                "urgency": draw(st.sampled_from(["low", "medium", "high", "critical"])),
                "status": draw(st.sampled_from(["open", "resolved"])),
            }
            for need_id in need_ids
        ],
        "management": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "level": st.sampled_from(["normal", "reinforced", "staff", "crisis_board"]),
                    "text": long_text,
                }
            )
        ),
        "public_information": draw(long_text),
        "contact": draw(
            st.none()
            | st.fixed_dictionaries({"name": long_text, "phone": long_text, "email": long_text})
        ),
        "next_report_at": draw(st.none() | times),
    }


def _incident(exercise: bool) -> Incident:
    return Incident(
        id=uuid.uuid4(),
        title="Storm <&> i Sjuhärad",
        description="",
        county="14",
        owner="LST-14",
        severity="high",
        exercise=exercise,
        status="active",
        participants=["1442"],
        schedule=DailySchedule(times=["08:00"]),
        due_at=None,
        activated_at=T0,
        activated_by="LST-14",
        seq=2,
    )


def _stored(content: dict[str, Any], as_of: datetime) -> StoredReport:
    return StoredReport(
        **ReportContent.model_validate(content).model_dump(),
        report_id=uuid.uuid4(),
        incident_id=uuid.uuid4(),
        organisation="1442",
        version=1,
        as_of=as_of,
        received_at=T0,
        submitted_by="ISK <Vårgårda>",
        supersedes=None,
        unchanged=False,
        late=False,
        due_at=None,
    )


@settings(max_examples=60, deadline=None)
@given(content=contents(), as_of=times, exercise=st.booleans())
def test_every_field_sitrep_carries_comes_back(
    content: dict[str, Any], as_of: datetime, exercise: bool
) -> None:
    incident = _incident(exercise)
    report = _stored(content, as_of)
    document = exchange.report_document(
        incident, report, organisation_name="Vårgårda", originating=None, now=T0
    )
    envelope = codec.read_envelope(xml_safety.parse(document))
    assert envelope.exercise is exercise
    (item,) = envelope.reports
    assert item.organisation == "1442"
    assert item.incident_id == incident.id
    assert item.submission.content() == report.content()
    assert item.submission.as_of == report.as_of


@needs_de2_schema
def test_produced_envelopes_validate_for_every_kind_of_report() -> None:
    full = {
        "situation": "a\r\nb",
        "needs": [{"need_id": "n", "text": "t"}],
        "management": {"level": "staff"},
        "contact": {"name": "A"},
        "next_report_at": T0,
        "sectors": [{"sector": "water", "status": "critical"}],
    }
    for exercise in (False, True):
        for content in ({}, full):
            document = exchange.report_document(
                _incident(exercise),
                _stored(content, T0),
                organisation_name="V",
                originating=None,
                now=T0,
            )
            assert_valid_de2(document)


def _with_characters_xml_cannot_carry() -> bytes:
    report = _stored({"situation": "ström\x0bavbrott\x1f"}, T0)
    return exchange.report_document(
        _incident(False), report, organisation_name="V", originating=None, now=T0
    )


def test_characters_xml_cannot_carry_are_left_out_of_an_export() -> None:
    document = _with_characters_xml_cannot_carry()
    (item,) = codec.read_envelope(xml_safety.parse(document)).reports
    assert item.submission.situation == "strömavbrott"


@needs_de2_schema
def test_an_export_without_the_characters_xml_cannot_carry_is_valid() -> None:
    assert_valid_de2(_with_characters_xml_cannot_carry())


# The SitRep header as the specification lists it (EDXL-SitRep 1.0 CS02), in order. No
# official SitRep XSD is available, so the payload is checked against this list (and the
# profile schema built from it).
SITREP_FIELDS = [
    "messageID",
    "preparedBy",
    "authorizedBy",
    "reportPurpose",
    "reportNumber",
    "reportVersion",
    "forTimePeriod",
    "reportTitle",
    "incidentID",
    "incidentLifecyclePhase",
    "originatingMessageID",
    "precedingMessageID",
    "urgency",
    "reportConfidence",
    "severity",
    "actionPlan",
    "nextContact",
    "report",
]


def test_a_correction_carries_every_sitrep_field_in_the_specifications_order() -> None:
    first = _stored({"measures_planned": ["Vatten"], "next_report_at": T0}, T0)
    correction = StoredReport.model_validate(
        {
            **first.model_dump(),
            "report_id": uuid.uuid4(),
            "version": 2,
            "supersedes": first.report_id,
        }
    )
    sitrep = codec.report_sitrep(
        _incident(False),
        correction,
        organisation_name="V",
        originating=first.report_id,
        final=False,
    )
    names = [child.tag.split("}")[1] for child in sitrep]
    assert names == SITREP_FIELDS
    assert sitrep.findtext(f"{{{codec.SR}}}reportVersion") == "Update"
    assert sitrep.findtext(f"{{{codec.SR}}}originatingMessageID") == str(first.report_id)
    assert sitrep.findtext(f"{{{codec.SR}}}precedingMessageID") == str(first.report_id)
    assert sitrep.tag == f"{{{codec.SR}}}sitRep"
    assert codec.SR == "urn:oasis:names:tc:emergency:EDXL:SitRep:1.0"


# Four threads ask for the SitRep schema at once, and validate with it, on its first
# use in a fresh interpreter; prints how many failed.
_FIRST_USE = """
import threading
from lxml import etree
from adapters.edxl import codec
document = etree.fromstring(b"<x/>")
barrier = threading.Barrier(4)
failed = []
def ask():
    barrier.wait()
    try:
        codec.sitrep_schema().validate(document)
    except Exception as exc:
        failed.append(exc)
threads = [threading.Thread(target=ask) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(failed), failed[:1])
"""


def test_the_sitrep_schema_is_sound_when_threads_ask_for_it_at_once() -> None:
    """Envelopes parsed in threads at once (`LAGESBILD_CPU_WORKERS` 0) ask for the SitRep
    schema together on its first use. libxml2 sets up its schema types on the first
    schema made in a process, not safely for two threads at once: made in four threads
    at once, a quarter of fresh interpreters failed ("Document is not valid XML
    Schema", or an internal error), and such a process stays broken. So one thread
    makes it. Eight fresh interpreters in turn, each racing on first use."""
    root = Path(__file__).resolve().parents[2]
    said = [
        subprocess.run(  # noqa: S603  # this interpreter, a constant program
            [sys.executable, "-c", _FIRST_USE],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        for _ in range(8)
    ]
    assert said == ["0 []"] * 8, said
