"""The words of the domain's vocabularies have one home: service.domain.labels.

Pages, exports, e-mail and adapters read their labels there; a second copy of a label
anywhere in the source is found here, whatever file it is written in.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest

from adapters.wis import mapping
from schemas.common import (
    IMPACTS,
    ROLES,
    SECTORS,
    TRENDS,
    ManagementLevel,
    NeedStatus,
    Severity,
    Urgency,
)
from schemas.incident import Incident
from service.domain.labels import EXERCISE_MARK, LABELS, LANGS, label, local_time
from service.rounds.messages import ReminderKind, reminder
from service.web.i18n import PAGE_TEXTS, translator

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path("service/domain/labels.py")

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "sector": SECTORS,
    "sector_short": SECTORS,
    "impact": IMPACTS,
    "trend": TRENDS,
    "management": get_args(ManagementLevel),
    "urgency": get_args(Urgency),
    "need": get_args(NeedStatus),
    "severity": get_args(Severity),
    "status": get_args(Incident.model_fields["status"].annotation),
    # people's roles: a system (`adapter`) has no session, so no page names its role
    "role": tuple(role for role in ROLES if role != "adapter"),
}

# The node's own words (a wire table, pinned in tests/adapters/test_wis_vocabulary.py).
_WIS_WORDS = {*mapping.SECTOR_SV.values(), *mapping.IMPACT_SV.values(), *mapping.TREND_SV.values()}
# Strings outside the catalogue that may equal a label, and why.
ALLOWED: dict[Path, set[str]] = {
    # a WIS node's vocabulary, and the mock node that speaks it (and words its own page)
    Path("adapters/wis/mapping.py"): _WIS_WORDS,
    Path("adapters/wis/mock.py"): {*_WIS_WORDS, "Avslutad"},
    # page texts that happen to be the same word: no deadline ("Ingen"), "closed at"
    Path("service/web/i18n.py"): {"Ingen", "Avslutad"},
    # incident data: the demo exercise's title, as a duty officer typed it
    Path("service/demo/county.py"): {"ÖVNING Storm Västra Götaland"},
}


def test_every_code_of_every_vocabulary_has_a_label_in_both_languages() -> None:
    expected = {f"{kind}.{code}" for kind, codes in VOCABULARIES.items() for code in codes}
    assert set(LABELS) - {"exercise", "exercise_banner"} == expected
    for key, texts in LABELS.items():
        assert len(texts) == len(LANGS)
        assert all(text.strip() for text in texts), key


def test_pages_show_the_catalogues_label_for_every_code() -> None:
    assert not set(PAGE_TEXTS) & set(LABELS), "a page text redefines a label"
    for lang in LANGS:
        t = translator(lang)
        for key in LABELS:
            assert t(key) == label(key, lang)


@pytest.mark.parametrize("kind", get_args(ReminderKind))
def test_exercise_reminders_carry_the_catalogues_exercise_marker(kind: ReminderKind) -> None:
    message = reminder(
        kind,
        incident_id=uuid.uuid4(),
        title="Storm",
        exercise=True,
        due_at=datetime(2026, 11, 22, 13, tzinfo=UTC),
        organisation="Vårgårda",
    )
    assert message.subject.startswith(f"{label('exercise')} ")
    assert message.text.startswith(f"{label('exercise')} – ")


def _python_strings(source: str) -> Iterator[str]:
    """Every string literal of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


# String literals of a script, and text between the tags of a template.
_WEB_STRINGS = re.compile(r'"([^"\\\n]*)"|\'([^\'\\\n]*)\'|`([^`]*)`|>([^<>{}]+)<')


def _web_strings(source: str) -> Iterator[str]:
    for match in _WEB_STRINGS.finditer(source):
        yield next(group for group in match.groups() if group is not None)


def _sources() -> Iterator[Path]:
    for folder in ("service", "adapters", "schemas"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".js", ".html"):
                yield path.relative_to(ROOT)


def test_no_label_is_written_a_second_time_in_the_source() -> None:
    swedish = {texts[0] for texts in LABELS.values()}
    copies = []
    for path in _sources():
        if path == CATALOGUE:
            continue
        source = (ROOT / path).read_text(encoding="utf-8")
        found = _python_strings(source) if path.suffix == ".py" else _web_strings(source)
        allowed = ALLOWED.get(path, set())
        for text in found:
            text = text.strip()
            if text in allowed:
                continue
            if text in swedish or EXERCISE_MARK in text:
                copies.append(f"{path}: {text!r}")
    assert not copies, "labels written outside service/domain/labels.py:\n" + "\n".join(copies)


# Log lines carry seconds for operators (service/logs.py): not a time written for people.
NOT_FOR_PEOPLE = {Path("service/logs.py")}


def test_times_for_people_are_written_by_one_function() -> None:
    copies = [
        f"{path}: {text!r}"
        for path in _sources()
        if path.suffix == ".py" and path != CATALOGUE and path not in NOT_FOR_PEOPLE
        for text in _python_strings((ROOT / path).read_text(encoding="utf-8"))
        if "%H:%M" in text
    ]
    assert not copies, "times formatted outside labels.local_time:\n" + "\n".join(copies)
    assert local_time("2026-11-22T13:00:00+00:00") == "2026-11-22 14:00"
    assert local_time(datetime(2026, 7, 1, 6, 30, tzinfo=UTC)) == "2026-07-01 08:30"
    assert local_time(None) == "–"


def test_the_scan_finds_a_copied_label() -> None:
    copied = 'IMPACT = {"serious": "Allvarlig"}\nPREFIX = f"ÖVNING: {title}"\n'
    found = [text for text in _python_strings(copied) if text in {"Allvarlig", "ÖVNING: "}]
    assert found == ["Allvarlig", "ÖVNING: "]
    script = 'const LABELS = { critical: "Kritisk" };\n<p>Allvarlig</p>'
    assert {"Kritisk", "Allvarlig"} <= set(_web_strings(script))
