"""Every error the API gives is RFC 9457 problem+json, with the status docs/design.md names.

400 malformed, 401 no or bad token, 403 forbidden, 404 unknown, 405 wrong method,
409 closed or conflicting, 413 too large, 415 wrong content type, 422 invalid (with
`errors[].loc`); and no input, however strange, makes a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schemas.common import Role
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.http import auth
from tests.settings import with_changes
from tests.support import (
    PARTICIPANTS,
    Api,
    Reply,
    assert_problem,
    incident_body,
    report,
    served,
)

INCIDENTS = "/api/v1/incidents"
DUTY: tuple[str, Role] = ("LST-14", "duty_officer")
REPORTER: tuple[str, Role] = ("1442", "reporter")
VIEWER: tuple[str, Role] = ("LST-14", "viewer")
JSON = {"Content-Type": "application/json"}


def reports_path(incident_id: str) -> str:
    return f"{INCIDENTS}/{incident_id}/reports"


def locs(reply: Reply) -> list[list[Any]]:
    return [error["loc"] for error in reply.body.get("errors", [])]


# --- 400 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "Storm", ',
        b"{'title': 'Storm'}",
        b"not json at all",
        '{"title": "Storm i Sjuh\u00e4rad"}'.encode("latin-1"),
        b"{}}",
    ],
    ids=["truncated", "single-quotes", "prose", "latin-1-not-utf-8", "trailing-garbage"],
)
async def test_malformed_json_is_400(api: Api, raw: bytes) -> None:
    reply = await api.call("POST", INCIDENTS, as_=DUTY, data=raw, headers=JSON)
    assert_problem(reply, 400, "malformed-request")


@pytest.mark.parametrize("raw", ["", "   \n"], ids=["empty", "whitespace"])
async def test_empty_body_is_400(api: Api, raw: str) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST", reports_path(incident["id"]), as_=REPORTER, data=raw.encode(), headers=JSON
    )
    assert_problem(reply, 400, "malformed-request")


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")])
async def test_json_nested_30k_deep_within_the_size_limit_is_400(
    api: Api, opening: str, closing: str
) -> None:
    depth = 30_000 if opening == "[" else 10_000  # stays under the 64 KiB limit
    raw = opening * depth + "1" + closing * depth
    assert len(raw.encode()) < 64 * 1024
    reply = await api.call("POST", INCIDENTS, as_=DUTY, data=raw.encode(), headers=JSON)
    assert_problem(reply, 400, "malformed-request")


@pytest.fixture
async def roomy_api(settings: Settings, dsn: str) -> AsyncIterator[Api]:
    """The app with a 1 MiB body limit, so a deeply nested body reaches the JSON parser."""
    roomy = with_changes(settings, max_body_bytes=1024 * 1024)
    clock = FixedClock(datetime(2026, 11, 22, 12, tzinfo=UTC))
    async with served(create_app(roomy, dsn=dsn, clock=clock), dsn) as client:
        yield client


async def test_json_nested_100k_deep_is_400_not_500(roomy_api: Api) -> None:
    raw = "[" * 100_000 + "]" * 100_000
    reply = await roomy_api.call("POST", INCIDENTS, as_=DUTY, data=raw.encode(), headers=JSON)
    assert_problem(reply, 400, "malformed-request")
    objects = '{"a":' * 100_000 + "1" + "}" * 100_000
    reply = await roomy_api.call("POST", INCIDENTS, as_=DUTY, data=objects.encode(), headers=JSON)
    assert_problem(reply, 400, "malformed-request")


# --- 401 -------------------------------------------------------------------------------


async def test_no_token_is_401(api: Api) -> None:
    assert_problem(await api.call("GET", INCIDENTS), 401, "unauthenticated")
    reply = await api.call("POST", INCIDENTS, json_body=incident_body())
    assert_problem(reply, 401, "unauthenticated")


@pytest.mark.parametrize(
    "header",
    ["Bearer lgb_not-a-real-token", "Bearer ", "Bearer", "bearer x y z"],
    ids=["unknown", "empty", "scheme-only", "spaces"],
)
async def test_bad_token_is_401(api: Api, header: str) -> None:
    reply = await api.call("GET", INCIDENTS, headers={"Authorization": header})
    assert_problem(reply, 401, "unauthenticated")


@pytest.mark.parametrize("scheme", ["Basic", "Token", "Digest"])
async def test_valid_token_under_another_scheme_is_401(api: Api, scheme: str) -> None:
    token = await api.token("LST-14", "viewer")
    assert (
        await api.call("GET", INCIDENTS, headers={"Authorization": f"Bearer {token}"})
    ).status == 200
    reply = await api.call("GET", INCIDENTS, headers={"Authorization": f"{scheme} {token}"})
    assert_problem(reply, 401, "unauthenticated")


# --- 403 -------------------------------------------------------------------------------


async def test_reporter_activating_an_incident_is_403(api: Api) -> None:
    reply = await api.call("POST", INCIDENTS, as_=REPORTER, json_body=incident_body())
    assert_problem(reply, 403, "forbidden")
    listed = await api.call("GET", INCIDENTS, as_=VIEWER)
    assert listed.body == {"incidents": []}


@pytest.mark.parametrize("viewer", ["1442", "LST-14"])
async def test_viewer_submitting_a_report_is_403(api: Api, viewer: str) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST", reports_path(incident["id"]), as_=(viewer, "viewer"), json_body=report("1442")
    )
    assert_problem(reply, 403, "forbidden")


# --- 404 -------------------------------------------------------------------------------


async def test_unknown_incident_id_is_404(api: Api) -> None:
    unknown = uuid.uuid4()
    assert_problem(await api.call("GET", f"{INCIDENTS}/{unknown}", as_=VIEWER), 404, "not-found")
    reply = await api.call(
        "POST", reports_path(str(unknown)), as_=REPORTER, json_body=report("1442")
    )
    assert_problem(reply, 404, "not-found")


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"])
async def test_incident_id_that_is_not_a_uuid_is_404(api: Api, bad_id: str) -> None:
    assert_problem(await api.call("GET", f"{INCIDENTS}/{bad_id}", as_=VIEWER), 404, "not-found")
    reply = await api.call("POST", reports_path(bad_id), as_=REPORTER, json_body=report("1442"))
    assert_problem(reply, 404, "not-found")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/nothing-here", "/api/v2/incidents"])
async def test_unknown_route_is_404(api: Api, path: str) -> None:
    assert_problem(await api.call("GET", path, as_=VIEWER), 404, "not-found")


# --- 405 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", INCIDENTS), ("PUT", "/api/v1/organisations"), ("POST", "/healthz")],
)
async def test_wrong_method_on_a_known_route_is_405(api: Api, method: str, path: str) -> None:
    reply = await api.call(method, path, as_=DUTY)
    assert_problem(reply, 405, "method-not-allowed")


async def test_405_names_the_allowed_methods(api: Api) -> None:
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    reply = await api.call("DELETE", INCIDENTS, as_=DUTY)
    assert_problem(reply, 405, "method-not-allowed")
    allowed = {method.strip() for method in reply.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allowed, reply.headers


# --- 409 -------------------------------------------------------------------------------


async def close(api: Api, incident_id: str) -> Reply:
    return await api.call(
        "POST",
        f"{INCIDENTS}/{incident_id}/close",
        as_=DUTY,
        json_body={"summary": "Strömmen är tillbaka"},
    )


async def test_report_after_close_is_409(api: Api) -> None:
    incident = await api.activate()
    assert (await close(api, incident["id"])).status == 200
    reply = await api.submit(incident["id"], report("1442", situation="Fortfarande mörkt"))
    assert_problem(reply, 409, "incident-closed")


async def test_closing_twice_is_409(api: Api) -> None:
    incident = await api.activate()
    assert (await close(api, incident["id"])).status == 200
    assert_problem(await close(api, incident["id"]), 409, "incident-closed")


async def test_same_report_id_with_other_content_is_409(api: Api) -> None:
    incident = await api.activate()
    first = report("1442", situation="Lugnt")
    assert (await api.submit(incident["id"], first)).status == 201
    reply = await api.submit(incident["id"], {**first, "situation": "Inte alls lugnt"})
    assert_problem(reply, 409, "report-conflict")


# --- 413 -------------------------------------------------------------------------------


def oversized_report() -> bytes:
    body = report("1442", measures_taken=["x" * 400] * 100, situation="y" * 30_000)
    raw = json.dumps(body).encode()
    assert 64 * 1024 < len(raw) < 128 * 1024
    return raw


async def test_body_over_the_limit_with_content_length_is_413(api: Api) -> None:
    incident = await api.activate()
    raw = oversized_report()
    reply = await api.call(
        "POST",
        reports_path(incident["id"]),
        as_=REPORTER,
        data=raw,
        headers={**JSON, "Content-Length": str(len(raw))},
    )
    assert_problem(reply, 413, "payload-too-large")


async def test_chunked_body_over_the_limit_without_content_length_is_413(api: Api) -> None:
    incident = await api.activate()
    raw = oversized_report()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 4096):
            yield raw[start : start + 4096]

    token = await api.token(*REPORTER)
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(api.base + reports_path(incident["id"]), data=chunks(), headers=headers) as r,
    ):
        assert r.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in r.request_info.headers
        body = json.loads(await r.read())
        reply = Reply(r.status, body, r.content_type, dict(r.headers))
    assert_problem(reply, 413, "payload-too-large")


# --- 415 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_body_that_is_not_json_by_content_type_is_415(api: Api, content_type: str) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST",
        reports_path(incident["id"]),
        as_=REPORTER,
        data=json.dumps(report("1442")).encode(),
        headers={"Content-Type": content_type},
    )
    assert_problem(reply, 415, "unsupported-media-type")


async def test_plain_text_string_body_is_415(api: Api) -> None:
    reply = await api.call("POST", INCIDENTS, as_=DUTY, data=json.dumps(incident_body()))
    assert reply.status == 415  # aiohttp sends a str as text/plain
    assert_problem(reply, 415, "unsupported-media-type")


# --- 422 -------------------------------------------------------------------------------


async def test_bad_sector_status_is_422_at_its_loc(api: Api) -> None:
    incident = await api.activate()
    body = report(
        "1442",
        sectors=[
            {"sector": "energy", "status": "terrible"},
            {"sector": "water", "status": "none"},
        ],
    )
    reply = await api.submit(incident["id"], body)
    assert_problem(reply, 422, "validation", loc=["sectors", 0, "status"])
    assert locs(reply) == [["sectors", 0, "status"]]


async def test_unknown_participant_codes_are_422_each_at_its_index(api: Api) -> None:
    participants = ["1442", "9999", "1443", "no-such-org"]
    reply = await api.call(
        "POST", INCIDENTS, as_=DUTY, json_body=incident_body(participants=participants)
    )
    assert_problem(reply, 422, "validation", loc=["participants", 1])
    assert sorted(locs(reply)) == [["participants", 1], ["participants", 3]]
    assert (await api.call("GET", INCIDENTS, as_=VIEWER)).body == {"incidents": []}


@pytest.mark.parametrize(
    "schedule",
    [{}, {"timezone": "Europe/Stockholm"}, {"every": 60}],
    ids=["empty", "timezone-only", "unknown-field"],
)
async def test_schedule_with_neither_interval_nor_daily_fields_is_422(
    api: Api, schedule: dict[str, Any]
) -> None:
    reply = await api.call("POST", INCIDENTS, as_=DUTY, json_body=incident_body(schedule=schedule))
    assert_problem(reply, 422, "validation")
    assert locs(reply), reply.body
    assert all(loc[0] == "schedule" for loc in locs(reply)), reply.body


async def test_daily_time_25_00_is_422(api: Api) -> None:
    schedule = {"times": ["08:00", "25:00"], "timezone": "Europe/Stockholm"}
    reply = await api.call("POST", INCIDENTS, as_=DUTY, json_body=incident_body(schedule=schedule))
    assert_problem(reply, 422, "validation")
    [error] = reply.body["errors"]
    assert error["loc"][0] == "schedule"
    assert error["loc"][-1] == "times"
    assert "25:00" in error["msg"]


@pytest.mark.parametrize(
    "time_of_day",
    ["0\u0668:00", "\u0661\u0664:00", "08:00\n", "8:00", "08:60", "24:00"],
    ids=[
        "arabic-indic-digit",
        "all-arabic-indic-hours",
        "trailing-newline",
        "one-digit",
        "60",
        "24",
    ],
)
async def test_daily_time_that_is_not_ascii_hh_mm_is_422(api: Api, time_of_day: str) -> None:
    schedule = {"times": ["08:00", time_of_day], "timezone": "Europe/Stockholm"}
    reply = await api.call("POST", INCIDENTS, as_=DUTY, json_body=incident_body(schedule=schedule))
    assert_problem(reply, 422, "validation")
    assert all(loc[0] == "schedule" for loc in locs(reply)), reply.body


async def test_unknown_fields_in_a_report_are_refused_with_422(api: Api) -> None:
    incident = await api.activate()
    reply = await api.submit(
        incident["id"],
        report(
            "1442",
            situation="Lugnt",
            colour="red",
            sectors=[{"sector": "water", "status": "none", "x": 1}],
        ),
    )
    assert_problem(reply, 422, "validation", loc=["colour"])
    assert_problem(reply, 422, "validation", loc=["sectors", 0, "x"])


async def test_unknown_fields_in_an_incident_are_refused_with_422(api: Api) -> None:
    reply = await api.call("POST", INCIDENTS, as_=DUTY, json_body=incident_body(priority="urgent"))
    assert_problem(reply, 422, "validation", loc=["priority"])


@pytest.mark.parametrize("raw", ["[]", '[{"title": "Storm"}]', "42", '"text"', "null", "true"])
async def test_json_body_that_is_not_an_object_is_422(api: Api, raw: str) -> None:
    incident = await api.activate()
    reply = await api.call("POST", INCIDENTS, as_=DUTY, data=raw.encode(), headers=JSON)
    assert_problem(reply, 422, "validation", loc=[])
    reply = await api.call(
        "POST", reports_path(incident["id"]), as_=REPORTER, data=raw.encode(), headers=JSON
    )
    assert_problem(reply, 422, "validation", loc=[])


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        (f"{INCIDENTS}?status=bogus", ["query", "status"]),
        (f"{INCIDENTS}?colour=red", ["query", "colour"]),
        ("/api/v1/organisations?county=1", ["query", "county"]),
        ("/api/v1/organisations?kind=parish", ["query", "kind"]),
    ],
)
async def test_bad_query_parameters_are_422_under_query(
    api: Api, path: str, loc: list[str]
) -> None:
    reply = await api.call("GET", path, as_=VIEWER)
    assert_problem(reply, 422, "validation", loc=loc)
    assert all(loc[0] == "query" for loc in locs(reply))


@pytest.mark.parametrize(
    ("query", "loc"),
    [("seq=-1", ["query", "seq"]), ("seq=abc", ["query", "seq"]), ("seq=999", ["query", "seq"])],
)
async def test_bad_picture_seq_is_422_under_query(api: Api, query: str, loc: list[str]) -> None:
    incident = await api.activate()
    reply = await api.call("GET", f"{INCIDENTS}/{incident['id']}/picture?{query}", as_=VIEWER)
    assert_problem(reply, 422, "validation", loc=loc)


# --- extreme but well-formed input is refused, never a 500 -----------------------------

# Valid ISO 8601 with an offset, but outside what a UTC datetime can hold once converted.
EDGES_OF_TIME = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize(
    "first_due_at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+00:00"],
)
async def test_interval_schedule_at_the_edge_of_time_is_not_a_500(
    api: Api, first_due_at: str
) -> None:
    schedule = {"interval_minutes": 60, "first_due_at": first_due_at}
    reply = await api.call("POST", INCIDENTS, as_=DUTY, json_body=incident_body(schedule=schedule))
    assert reply.status in {201, 422}, reply.body


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:30:00+00:00", "1900-01-01T00:00:00Z"]
)
async def test_report_as_of_at_the_edge_of_time_is_not_a_500(api: Api, as_of: str) -> None:
    incident = await api.activate()
    reply = await api.submit(incident["id"], report("1442", as_of=as_of))
    assert reply.status in {201, 422}, reply.body


@pytest.mark.parametrize("moment", EDGES_OF_TIME)
async def test_next_report_at_the_edge_of_time_is_not_a_500(api: Api, moment: str) -> None:
    incident = await api.activate()
    reply = await api.submit(incident["id"], report("1442", next_report_at=moment))
    assert reply.status in {201, 422}, reply.body


@pytest.mark.parametrize("first_due_at", EDGES_OF_TIME)
async def test_changing_the_schedule_to_the_edge_of_time_is_not_a_500(
    api: Api, first_due_at: str
) -> None:
    incident = await api.activate()
    schedule = {"interval_minutes": 60, "first_due_at": first_due_at}
    reply = await api.call(
        "PATCH", f"{INCIDENTS}/{incident['id']}", as_=DUTY, json_body={"schedule": schedule}
    )
    assert reply.status in {200, 422}, reply.body


# --- text PostgreSQL cannot store is refused, never a 500 --------------------------------


@pytest.mark.parametrize("field", ["title", "description"])
async def test_nul_character_in_incident_text_is_not_a_500(api: Api, field: str) -> None:
    reply = await api.call(
        "POST", INCIDENTS, as_=DUTY, json_body=incident_body(**{field: "Storm\u0000"})
    )
    assert reply.status in {201, 422}, reply.body


@pytest.mark.parametrize(
    "content",
    [
        {"situation": "Mörkt\u0000"},
        {"measures_taken": ["Stab\u0000"]},
        {"needs": [{"need_id": "gen-1", "text": "Elverk\u0000"}]},
        {"contact": {"name": "ISK\u0000"}},
    ],
    ids=["situation", "measures", "needs", "contact"],
)
async def test_nul_character_in_report_text_is_not_a_500(api: Api, content: dict[str, Any]) -> None:
    incident = await api.activate()
    reply = await api.submit(incident["id"], report("1442", **content))
    assert reply.status in {201, 422}, reply.body


async def test_nul_character_in_a_close_summary_is_not_a_500(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST",
        f"{INCIDENTS}/{incident['id']}/close",
        as_=DUTY,
        json_body={"summary": "Klart\u0000"},
    )
    assert reply.status in {200, 422}, reply.body


# --- no input makes a 5xx ---------------------------------------------------------------
#
# Hypothesis drives the real app. The `api` fixture is function-scoped and shared by all
# examples of a test (hence the suppressed health check); each example activates an
# incident of its own, so examples do not depend on each other. Bodies come in four
# kinds: valid ones (to reach the database), valid ones with some fields replaced by
# any JSON at all, any JSON value, and any bytes.

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)  # json.dumps writes NaN, json.loads takes it
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
any_moment = st.one_of(
    st.sampled_from(EDGES_OF_TIME),
    st.datetimes(timezones=offsets).map(datetime.isoformat),
)
recent_moment = st.datetimes(
    min_value=datetime(2026, 11, 15),  # noqa: DTZ001  # hypothesis takes naive bounds with timezones
    max_value=datetime(2026, 11, 22, 12),  # noqa: DTZ001  # (the offset is drawn separately)
    timezones=offsets,
).map(datetime.isoformat)
some_text = st.text(max_size=80)
filled_text = st.text(min_size=1, max_size=60).filter(str.strip)
org_codes = st.sampled_from([*PARTICIPANTS, "LST-14", "MSB", "0000", "1480"])


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a valid value, sometimes any JSON value at all."""
    return st.one_of(valid, valid, valid, valid, valid, json_values)


def with_junk(fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, st.SearchStrategy[Any]]:
    return {name: mostly(strategy) for name, strategy in fields.items()}


schedules = st.one_of(
    st.fixed_dictionaries(
        {"interval_minutes": st.integers(15, 7 * 24 * 60), "first_due_at": any_moment}
    ),
    st.fixed_dictionaries(
        {"times": st.lists(st.from_regex(r"\A([01]\d|2[0-3]):[0-5]\d\Z"), min_size=1, max_size=4)},
        optional={"timezone": st.sampled_from(["Europe/Stockholm", "UTC", "America/Nuuk"])},
    ),
)
odd_schedules = st.one_of(
    schedules,
    st.fixed_dictionaries(
        {"interval_minutes": st.integers(), "first_due_at": st.text(max_size=30)},
        optional={"kind": st.sampled_from(["interval", "daily", "weekly"])},
    ),
    st.fixed_dictionaries(
        {"times": st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4)},
        optional={"timezone": st.sampled_from(["Europe", "", "../x", "Mars/Olympus"])},
    ),
    json_values,
)
incident_fields: dict[str, st.SearchStrategy[Any]] = {
    "title": filled_text,
    "county": st.sampled_from(["14", "14", "14", "01", "99"]),
    "participants": st.lists(org_codes, min_size=1, max_size=6, unique=True),
    "schedule": schedules,
}
incident_options: dict[str, st.SearchStrategy[Any]] = {
    "description": some_text,
    "severity": st.sampled_from(["low", "medium", "high", "very_high"]),
    "exercise": st.booleans(),
}
incident_bodies = st.one_of(
    st.fixed_dictionaries(incident_fields, optional=incident_options),
    st.fixed_dictionaries(
        {**with_junk(incident_fields), "schedule": odd_schedules},
        optional={**with_junk(incident_options), "summary": json_values},
    ),
)
change_options: dict[str, st.SearchStrategy[Any]] = {
    "title": filled_text,
    "description": some_text,
    "severity": st.sampled_from(["low", "medium", "high", "very_high"]),
    "participants": st.lists(org_codes, min_size=1, max_size=6, unique=True),
    "schedule": schedules,
}
change_bodies = st.one_of(
    st.fixed_dictionaries({}, optional=change_options),
    st.fixed_dictionaries(
        {},
        optional={**with_junk(change_options), "schedule": odd_schedules, "status": json_values},
    ),
)
report_options: dict[str, st.SearchStrategy[Any]] = {
    "as_of": st.one_of(recent_moment, recent_moment, any_moment),
    "next_report_at": any_moment,
    "situation": some_text,
    "development": st.fixed_dictionaries(
        {},
        optional={
            "trend": st.sampled_from(["improving", "stable", "worsening", "unknown"]),
            "text": some_text,
        },
    ),
    "sectors": st.lists(
        st.fixed_dictionaries(
            {
                "sector": st.sampled_from(
                    ["water", "energy", "food", "care", "communication", "transport", "other"]
                ),
                "status": st.sampled_from(
                    ["none", "moderate", "significant", "serious", "critical", "unknown"]
                ),
            },
            optional={"text": some_text},
        ),
        max_size=7,
        unique_by=lambda entry: str(entry["sector"]),
    ),
    "measures_taken": st.lists(filled_text, max_size=4),
    "measures_planned": st.lists(filled_text, max_size=4),
    "needs": st.lists(
        st.fixed_dictionaries(
            {"need_id": st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,8}\Z"), "text": filled_text},
            optional={
                "urgency": st.sampled_from(["low", "medium", "high", "critical"]),
                "status": st.sampled_from(["open", "resolved"]),
            },
        ),
        max_size=4,
        unique_by=lambda need: str(need["need_id"]),
    ),
    "management": st.fixed_dictionaries(
        {"level": st.sampled_from(["normal", "reinforced", "staff", "crisis_board"])},
        optional={"text": some_text},
    ),
    "public_information": some_text,
    "contact": st.fixed_dictionaries(
        {},
        optional={
            "name": st.text(max_size=40),
            "phone": st.text(max_size=20),
            "email": st.text(max_size=40),
        },
    ),
}
report_keys: dict[str, st.SearchStrategy[Any]] = {
    "report_id": st.uuids().map(str),
    "organisation": st.sampled_from(["1442", "1442", "1442", "1443", "LST-14"]),
}
report_bodies = st.one_of(
    st.fixed_dictionaries(report_keys, optional=report_options),
    st.fixed_dictionaries(
        {**report_keys, "unchanged": st.just(True)},
        optional={"as_of": report_options["as_of"]},
    ),
    st.fixed_dictionaries(
        with_junk(report_keys),
        optional={
            **with_junk(report_options),
            "unchanged": mostly(st.booleans()),
            "supersedes": mostly(st.uuids().map(str)),
        },
    ),
)


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


def bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        shaped.map(encoded),
        shaped.map(encoded),
        shaped.map(encoded),
        json_values.map(encoded),
        st.binary(max_size=200),
    )


def assert_answered_well(reply: Reply, sent: bytes) -> None:
    """Never a 5xx; a 2xx is JSON, anything else is problem+json."""
    event(f"HTTP {reply.status}")  # shown by --hypothesis-show-statistics
    assert reply.status < 500, (sent, reply.body)
    if 200 <= reply.status < 300:
        assert reply.content_type == "application/json", (sent, reply.content_type)
    else:
        assert 400 <= reply.status < 500, (sent, reply.status)
        assert_problem(reply, reply.status)


fuzz = hypothesis_settings(
    max_examples=50,
    deadline=None,
    database=None,  # keep no example database in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz
@given(raw=bodies(report_bodies))
async def test_random_report_bodies_never_make_a_5xx(api: Api, raw: bytes) -> None:
    incident = await api.activate()
    first = await api.submit(incident["id"], report("1442", situation="Första rapporten"))
    assert first.status == 201, first.body
    reply = await api.call(
        "POST", reports_path(incident["id"]), as_=REPORTER, data=raw, headers=JSON
    )
    assert_answered_well(reply, raw)


@fuzz
@given(raw=bodies(incident_bodies))
async def test_random_incident_bodies_never_make_a_5xx(api: Api, raw: bytes) -> None:
    reply = await api.call("POST", INCIDENTS, as_=DUTY, data=raw, headers=JSON)
    assert_answered_well(reply, raw)


@fuzz
@given(raw=bodies(change_bodies))
async def test_random_incident_changes_never_make_a_5xx(api: Api, raw: bytes) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PATCH",
        f"{INCIDENTS}/{incident['id']}",
        as_=DUTY,
        data=raw,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert_answered_well(reply, raw)


async def test_a_bearer_token_that_is_not_ascii_is_401(api: Api) -> None:
    reply = await api.call("GET", INCIDENTS, headers={"Authorization": "Bearer lgb_å"})
    assert_problem(reply, 401, "unauthenticated")
    # Bytes that are not UTF-8 at all, sent as they are (a client library would encode).
    host, port = api.base.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"GET " + INCIDENTS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"401", answer[:300]
    assert b"application/problem+json" in rest


async def test_nul_in_a_query_and_numbers_beyond_bigint_are_422(api: Api) -> None:
    incident = await api.activate()
    base = f"{INCIDENTS}/{incident['id']}"
    nul = await api.call("GET", f"{base}/reports?organisation=%00", as_=DUTY)
    assert_problem(nul, 422, "validation", loc=["query", "organisation"])
    huge = await api.call("GET", f"{base}/log?since=99999999999999999999", as_=DUTY)
    assert_problem(huge, 422, "validation", loc=["query", "since"])


# --- inputs that once made a 500 ---------------------------------------------------------


@pytest.mark.parametrize("number", ["¹", "²³", "٣", "𝟗", "1²"])
async def test_unicode_digits_in_a_round_number_are_404(api: Api, number: str) -> None:
    incident = await api.activate()
    reply = await api.call(
        "GET",
        f"/api/v1/incidents/{incident['id']}/rounds/{number}/picture",
        as_=("LST-14", "viewer"),
    )
    assert_problem(reply, 404)


@pytest.mark.parametrize("number", ["¹", "²³", "٣", "𝟗"])
async def test_unicode_digits_in_an_outbox_id_are_404(api: Api, number: str) -> None:
    reply = await api.call("POST", f"/api/v1/outbox/{number}/retry", as_=("LST-14", "admin"))
    assert_problem(reply, 404)


async def _requests_with_status(api: Api, status: str) -> float:
    reply = await api.call("GET", "/metrics")
    total = 0.0
    for line in str(reply.body).splitlines():
        if line.startswith("lagesbild_http_requests_total{") and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/incidents/{id}/reports", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
    ],
)
async def test_a_client_that_disconnects_in_the_middle_of_the_body_is_no_500(
    app: web.Application, dsn: str, path: str, content_type: str
) -> None:
    # Served as `lagesbild serve` serves (no handler cancellation, unlike TestServer).
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with Api(f"http://127.0.0.1:{port}", dsn) as api:
            incident = await api.activate()
            token = await api.token("1442", "reporter")
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                (
                    f"POST {path.format(id=incident['id'])} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
                    "Content-Length: 5000\r\n\r\n"
                    '{"report_id": "'
                ).encode()
            )
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            for _ in range(500):  # until the server has finished with the request (counted)
                if await _requests_with_status(api, "499") + await _requests_with_status(
                    api, "500"
                ):
                    break
                await asyncio.sleep(0.02)
            assert await _requests_with_status(api, "500") == 0
            assert await _requests_with_status(api, "499") == 1
    finally:
        await runner.cleanup()


async def test_a_database_connection_reset_under_a_live_client_is_503_not_499(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reset of the database's connection is not the client going away: the client,
    still there, is told to send it again (it was answered 499, and gave up)."""
    incident = await api.activate()

    async def reset(*_args: object, **_kwargs: object) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(auth, "admitted", reset)
    reply = await api.submit(incident["id"], report("1442"))
    monkeypatch.undo()
    assert_problem(reply, 503, "connection-lost")
    history = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/reports", as_=("LST-14", "viewer")
    )
    assert history.body["reports"] == []
