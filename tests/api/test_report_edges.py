"""Reports at the edges: any Unicode, texts at and past their limits, deep nesting,
numbers at the limits of JSON, int64 and float, in every field.

The oracle is the wire model itself: what `ReportSubmission` refuses is a 422 problem
naming the field, and changes nothing (no event, no report); what it takes is stored
exactly as it read it, or refused by a rule of the domain with a 4xx problem that changes
nothing either. Never a 5xx.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.report import ReportContent, ReportSubmission
from tests.support import Api, Reply, Who, assert_problem

REPORTER: Who = ("1442", "reporter")
JSON = {"Content-Type": "application/json"}

edges = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Where a value can go in a report: (path into the body, the limit on its length if any).
TEXT_FIELDS: list[tuple[tuple[str | int, ...], int]] = [
    (("situation",), 10_000),
    (("public_information",), 10_000),
    (("development", "text"), 10_000),
    (("sectors", 0, "text"), 10_000),
    (("management", "text"), 10_000),
    (("measures_taken", 0), 500),
    (("measures_planned", 0), 500),
    (("needs", 0, "text"), 500),
    (("needs", 0, "need_id"), 64),
    (("contact", "name"), 200),
    (("contact", "phone"), 50),
    (("contact", "email"), 254),
]
OTHER_FIELDS: list[tuple[str | int, ...]] = [
    ("report_id",),
    ("organisation",),
    ("as_of",),
    ("next_report_at",),
    ("unchanged",),
    ("supersedes",),
    ("sectors",),
    ("sectors", 0, "status"),
    ("needs",),
    ("needs", 0, "urgency"),
    ("development", "trend"),
    ("management", "level"),
]
ALL_FIELDS = [path for path, _limit in TEXT_FIELDS] + OTHER_FIELDS


def skeleton() -> dict[str, Any]:
    """A valid report with every nested place a value can go."""
    return {
        "report_id": str(uuid.uuid4()),
        "organisation": "1442",
        "situation": "Läget",
        "development": {"trend": "stable", "text": "Oförändrat"},
        "sectors": [{"sector": "energy", "status": "serious", "text": "Elavbrott"}],
        "measures_taken": ["Stab aktiverad"],
        "measures_planned": ["Värmestuga"],
        "needs": [{"need_id": "gen-1", "text": "Reservelverk"}],
        "management": {"level": "staff", "text": "Staben möts"},
        "public_information": "Webben",
        "contact": {"name": "ISK", "phone": "+46 322 600 000", "email": "isk@example.se"},
    }


def placed(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    body = skeleton()
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


async def _state(api: Api, incident_id: str) -> tuple[int, int]:
    log = await api.call("GET", f"/api/v1/incidents/{incident_id}/log", as_=REPORTER)
    found = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/reports?limit=1000", as_=REPORTER
    )
    return log.body["last_seq"], len(found.body["reports"])


async def _latest(api: Api, incident_id: str) -> dict[str, Any]:
    found = await api.call("GET", f"/api/v1/incidents/{incident_id}/reports?limit=1", as_=REPORTER)
    latest: dict[str, Any] = found.body["reports"][0]
    return latest


async def _send(api: Api, raw: str | bytes) -> tuple[Reply, tuple[int, int], tuple[int, int]]:
    incident = await api.activate()
    before = await _state(api, incident["id"])
    reply = await api.call(
        "POST", f"/api/v1/incidents/{incident['id']}/reports", as_=REPORTER, data=raw, headers=JSON
    )
    after = await _state(api, incident["id"])
    if reply.status == 201:
        # What the API answered must be what it stored: read it back.
        assert await _latest(api, incident["id"]) == reply.body
    return reply, before, after


def _content(report: dict[str, Any]) -> dict[str, Any]:
    return {name: report[name] for name in ReportContent.model_fields}


def assert_stored_as_read_or_refused(
    reply: Reply, before: tuple[int, int], after: tuple[int, int], body: Any
) -> None:
    """The model's reading is the oracle (see the module's text)."""
    assert reply.status < 500, reply.body
    try:
        expected = ReportSubmission.model_validate(body)
    except ValidationError as exc:
        locs = [list(error["loc"]) for error in exc.errors()]
        assert_problem(reply, 422, "validation")
        assert [error["loc"] for error in reply.body["errors"]] == locs
        assert after == before
        return
    if reply.status == 201:
        assert after == (before[0] + 1, before[1] + 1)
        assert _content(reply.body) == _content(expected.model_dump(mode="json"))
        return
    assert_problem(reply, reply.status)
    assert 400 <= reply.status < 500
    assert after == before


any_text = st.one_of(
    st.text(max_size=60),  # any code point but lone surrogates
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=30),
    st.sampled_from(
        ["\x00", "a\x00b", "\ud800", "x\udfff", "\u202e1442", "e\u0301", "🇸🇪", "\ufeff"]
    ),
)


@edges
@given(field=st.sampled_from(TEXT_FIELDS), text=any_text, ascii_only=st.booleans())
async def test_any_unicode_in_a_report_is_stored_as_read_or_refused(
    api: Api, field: tuple[tuple[str | int, ...], int], text: str, ascii_only: bool
) -> None:
    body = placed(field[0], text)
    # Lone surrogates only travel as \u escapes; UTF-8 cannot carry them.
    has_surrogate = any(0xD800 <= ord(char) <= 0xDFFF for char in text)
    raw = json.dumps(body, ensure_ascii=ascii_only or has_surrogate)
    reply, before, after = await _send(api, raw.encode())
    assert_stored_as_read_or_refused(reply, before, after, json.loads(raw))


@edges
@given(
    field=st.sampled_from(TEXT_FIELDS),
    char=st.sampled_from(["a", "å", "€", "𝄞", "e\u0301", " "]),
    offset=st.sampled_from([-1, 0, 1]),
    padded=st.booleans(),
)
async def test_texts_at_and_past_their_limits(
    api: Api, field: tuple[tuple[str | int, ...], int], char: str, offset: int, padded: bool
) -> None:
    path, limit = field
    text = char * ((limit + offset) // len(char))
    if padded:
        text = f"  {text}  "  # stripped before the limit counts
    body = placed(path, text)
    reply, before, after = await _send(api, json.dumps(body, ensure_ascii=False).encode())
    assert_stored_as_read_or_refused(reply, before, after, body)


@edges
@given(field=st.sampled_from(ALL_FIELDS), length=st.integers(70_000, 200_000))
async def test_a_huge_text_anywhere_is_413_and_changes_nothing(
    api: Api, field: tuple[str | int, ...], length: int
) -> None:
    raw = json.dumps(placed(field, "å" * length), ensure_ascii=False).encode()
    reply, before, after = await _send(api, raw)
    assert_problem(reply, 413, "payload-too-large")
    assert after == before


@edges
@given(
    field=st.sampled_from(ALL_FIELDS),
    depth=st.integers(1, 5_000),
    opener=st.sampled_from(["[", '{"a":']),
)
async def test_deep_nesting_in_any_field_is_a_problem_and_changes_nothing(
    api: Api, field: tuple[str | int, ...], depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    marker = "__nested__"
    nested = opener * depth + "1" + closer * depth
    raw = json.dumps(placed(field, marker)).replace(json.dumps(marker), nested)
    reply, before, after = await _send(api, raw.encode())
    assert reply.status in {400, 422}, reply.body
    assert_problem(reply, reply.status)
    assert after == before


numbers_at_limits = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "-0.0",
            "1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1e308",
            "-1e308",
            "1e309",
            "5e-324",
            "2.2250738585072014e-308",
            "NaN",
            "Infinity",
            "-Infinity",
            "1" * 4300,
            "1" * 4301,
            "0." + "0" * 5000 + "1",
        ]
    ),
    st.integers(min_value=-(2**128), max_value=2**128).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@edges
@given(field=st.sampled_from(ALL_FIELDS), number=numbers_at_limits)
async def test_numbers_at_their_limits_in_any_field(
    api: Api, field: tuple[str | int, ...], number: str
) -> None:
    marker = "__number__"
    raw = json.dumps(placed(field, marker)).replace(json.dumps(marker), number)
    reply, before, after = await _send(api, raw.encode())
    try:
        body = json.loads(raw)
    except ValueError:  # past the digits Python reads: the body is not JSON to us
        assert_problem(reply, 400, "malformed-request")
        assert after == before
        return
    assert_stored_as_read_or_refused(reply, before, after, body)
