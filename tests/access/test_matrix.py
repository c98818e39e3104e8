"""The access matrix, walked: every HTTP route of the app, every page and every stream
topic, for every caller (no credentials and each role) and every relation to the
incident, with organisations in two counties (Västra Götaland and Halland), answers
exactly as `service/access/matrix.py` (and so docs/access.md) says."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web

from schemas.common import ROLES
from service import keys
from service.access import matrix, sessions
from service.access.matrix import CALLERS, EXAMPLES, INCIDENT_RELATIONS, Answer, Caller, Example
from service.clock import FixedClock
from service.db.pool import create_pool
from service.repo import Conn, incidents
from tests.stream.wsclient import Streams
from tests.support import Api, Reply, report

ANSWERS_THAT_REFUSE = {401, 403, 404}
HOW_TO_ADD = (
    "add a row for it to ROUTES in service/access/matrix.py naming the rule that fits "
    "(READ, MANAGE, REPORT, ADMIN, …; see the module's docstring), then render "
    "docs/access.md again with `python -m service.access.matrix_doc`"
)


def app_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path pattern) of every route, HEAD left out (answered as GET)."""
    found = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    return sorted(found, key=lambda route: (route[1], route[0]))


def test_every_route_of_the_app_is_in_the_matrix_and_every_row_is_a_route(
    app: web.Application,
) -> None:
    keys_of_app = {matrix.route_key(method, path) for method, path in app_routes(app)}
    unlisted = sorted(keys_of_app - set(matrix.ROUTES))
    assert not unlisted, (
        f"routes the access matrix does not list (they answer 403 until listed): "
        f"{unlisted}; {HOW_TO_ADD}"
    )
    stale = sorted(set(matrix.ROUTES) - keys_of_app)
    assert not stale, f"rows of the access matrix for routes the app does not have: {stale}"


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, str]  # "A", "B" → incident id
    cookies: dict[tuple[str, str], str]  # (organisation, role) → session cookie
    csrf: dict[tuple[str, str], str]  # (organisation, role) → the session's CSRF token

    def incident_of(self, example: Example) -> str:
        return self.ids[example.incident or "A"]


async def build_world(api: Api, app: web.Application, clock: FixedClock) -> World:
    """The incidents of `matrix.EXAMPLES`, made through the API, with a closed round."""
    a = await api.activate(by="MSB", participants=["1440", "1442"])
    removed = await api.call(
        "PATCH",
        f"/api/v1/incidents/{a['id']}",
        as_=("MSB", "duty_officer"),
        json_body={"participants": ["1442"]},
    )
    assert removed.status == 200, removed.body
    shared = await api.call(
        "PUT", f"/api/v1/incidents/{a['id']}/shares/LST-13", as_=("MSB", "duty_officer")
    )
    assert shared.status == 201, shared.body
    b = await api.activate(by="LST-14", participants=["1442"])
    clock.set(clock.now().replace(hour=14, minute=0) + timedelta(minutes=1))
    await app[keys.rounds_job].run_due(clock.now())  # round 1 closes in both
    for incident in (a, b):  # summary 1 in both, by the county board
        published = await api.call(
            "POST",
            f"/api/v1/incidents/{incident['id']}/summaries",
            as_=("LST-14", "duty_officer"),
            json_body={},
        )
        assert published.status == 201, published.body

    pool = await create_pool(api.dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await _rows_and_sessions(conn, clock, {"A": a["id"], "B": b["id"]})
    finally:
        await pool.close()


async def _rows_and_sessions(conn: Conn, clock: FixedClock, ids: dict[str, str]) -> World:
    for name, facts in (("A", matrix.INCIDENT_A), ("B", matrix.INCIDENT_B)):
        row = await incidents.get(conn, uuid.UUID(ids[name]))
        assert row is not None
        assert row.access == facts, f"incident {name} is not the matrix's example"
    cookies = {}
    csrf = {}
    organisations = {e.organisation for examples in EXAMPLES.values() for e in examples}
    for code in sorted(organisations):
        for role in ("reporter", "viewer", "duty_officer", "admin"):
            user = await sessions.create_user(
                conn,
                email=f"{role}.{code.lower()}@example.se",
                name=f"{role} {code}",
                organisation=code,
                role=role,
                password="lösenord-för-matrisen",
                at=clock.now(),
            )
            started = await sessions.start(
                conn, user.id, at=clock.now(), lifetime=timedelta(hours=8)
            )
            cookies[(code, role)] = started.token
            csrf[(code, role)] = started.csrf_token
    return World(ids, cookies, csrf)


@pytest.fixture
async def world(api: Api, app: web.Application, clock: FixedClock) -> World:
    return await build_world(api, app, clock)


# --- calling a route ---------------------------------------------------------------------

# What each path parameter is filled with: things that exist, so that an allowed call
# reaches its handler and is answered by it.
FILL = {
    "n": "1",
    "code": "1442",
    "email": "isk@example.se",
    "organisation": "LST-01",  # a county board no example uses: sharing it changes nothing
    "name": "report",
    "lang": "sv",
}


def path_of(pattern: str, incident_id: str | None) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "id":  # no such token, session or outbox message: nothing is revoked
            return incident_id or "999999"
        return FILL.get(name, "x")

    return re.sub(r"\{(\w+)\}", fill, pattern)


def body_of(method: str, pattern: str, example: Example) -> dict[str, Any] | None:
    if (method, pattern) == ("POST", "/api/v1/incidents/{id}/reports"):
        return report(example.organisation, situation="Läget")
    return None


async def call(
    api: Api,
    world: World,
    rule: matrix.Rule,
    method: str,
    pattern: str,
    caller: Caller,
    example: Example,
) -> Reply:
    incident_id = world.incident_of(example) if rule.incident else None
    path = path_of(pattern, incident_id)
    headers = {}
    as_ = None
    form = None
    if caller != "anonymous":
        if rule.page and caller != "adapter" and not rule.public:
            cookie = world.cookies[(example.organisation, caller)]
            headers["Cookie"] = f"{sessions.COOKIE}={cookie}"
            if method == "POST":  # a page's form: the session's CSRF token, from its site
                token = world.csrf[(example.organisation, caller)]
                form = urlencode({"csrf_token": token})
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Origin"] = api.base
        else:
            as_ = (example.organisation, caller)
    return await api.call(
        method,
        path,
        as_=as_,
        json_body=body_of(method, pattern, example),
        data=form,
        headers={**headers, "Accept": "*/*"},
        follow_redirects=False,
    )


def mismatch(reply: Reply, rule: matrix.Rule, method: str, expected: Answer) -> str | None:
    """Why the reply is not the documented answer; None when it is."""
    body = reply.body if isinstance(reply.body, dict) else {}
    slug = str(body.get("type", "")).removeprefix("/problems/") or None
    if expected.allowed:
        if rule.page and not rule.public and method == "GET":
            return None if reply.status == 200 else f"got {reply.status}, the page was refused"
        if rule.page and not rule.public:  # a form: the handler answers (404: no such id)
            refused = reply.status in (401, 403) or (
                reply.status == 303 and reply.headers.get("Location", "").startswith("/login")
            )
            return f"got {reply.status}, the form was refused" if refused else None
        if reply.status == 401 or (
            reply.status == 403 and slug in {"forbidden", "not-participant"}
        ):
            return f"refused with {reply.status} {slug}"
        if reply.status == 404 and "you may see" in str(body.get("detail", "")):
            return "refused with 404 (an incident the caller may not see)"
        return None
    if reply.status != expected.status:
        return f"got {reply.status} {slug}"
    if expected.status == 303:
        location = reply.headers.get("Location", "")
        return None if location.startswith("/login") else f"redirected to {location!r}"
    if not rule.page and expected.slug is not None and slug != expected.slug:
        return f"got {reply.status} {slug}"
    return None


async def test_every_route_answers_every_caller_and_relation_as_the_matrix_documents(
    api: Api, app: web.Application, world: World
) -> None:
    wrong = []
    checked = 0
    for method, pattern in app_routes(app):
        rule = matrix.ROUTES[matrix.route_key(method, pattern)]
        relations = INCIDENT_RELATIONS if rule.incident else ("none",)
        for caller in CALLERS:
            for relation in relations:
                expected = matrix.documented(rule, caller, relation)
                for example in EXAMPLES[relation]:
                    reply = await call(api, world, rule, method, pattern, caller, example)
                    checked += 1
                    why = mismatch(reply, rule, method, expected)
                    if why is not None:
                        wrong.append(
                            f"{method} {pattern} as {caller} of {example.organisation} "
                            f"({relation}): documented {expected.cell()}, {why}"
                        )
    assert not wrong, "\n".join(wrong)
    assert checked > 1000


async def test_every_stream_topic_answers_every_caller_and_relation_as_the_matrix_documents(
    api: Api, world: World, streams: Streams
) -> None:
    assert set(matrix.STREAM_TOPICS) == {"incident:{id}", "incidents", "national"}
    follow = matrix.STREAM_TOPICS["incident:{id}"]
    wrong = []
    opened = {}
    for relation in INCIDENT_RELATIONS:
        for example in EXAMPLES[relation]:
            for caller in ROLES:  # no credentials: GET /api/v1/stream is 401
                key = (example.organisation, caller)
                if key not in opened:
                    opened[key] = await streams.open(example.organisation, caller)
                socket = opened[key]
                topic = f"incident:{world.incident_of(example)}"
                await socket.subscribe(topic)
                expected = matrix.documented(follow, caller, relation)
                frame = await socket.next_frame()
                got = "✓" if frame["type"] == "snapshot" else f"404 `{frame.get('code')}`"
                if frame.get("topic") != topic or got != expected.cell():
                    wrong.append(f"{topic} as {caller} of {example.organisation}: {frame}")
                await socket.send({"type": "unsubscribe", "topic": topic})

    # `national`: agencies and admins follow it; to anyone else it does not exist.
    national = matrix.STREAM_TOPICS["national"]
    for (organisation, caller), socket in opened.items():
        example = next(
            e for r in INCIDENT_RELATIONS for e in EXAMPLES[r] if e.organisation == organisation
        )
        await socket.subscribe("national")
        frame = await socket.next_frame()
        got = "✓" if frame["type"] == "snapshot" else f"404 `{frame.get('code')}`"
        expected = national.answer(example.principal(caller), None)
        if frame.get("topic") != "national" or got != expected.cell():
            wrong.append(f"national as {caller} of {organisation}: {frame}")
        if frame["type"] == "snapshot":
            await socket.send({"type": "unsubscribe", "topic": "national"})

    # `incidents`: everyone may watch; the listing holds what `incident:{id}` would allow.
    for (organisation, caller), socket in opened.items():
        await socket.subscribe("incidents")
        snapshot = await socket.expect("snapshot", "incidents")
        listed = {item["id"] for item in snapshot["incidents"]}
        examples = [
            example
            for relation in INCIDENT_RELATIONS
            for example in EXAMPLES[relation]
            if example.organisation == organisation
        ]
        for example in examples:
            principal = example.principal(caller)
            access = example.access()
            assert principal is not None
            assert access is not None
            may = follow.answer(principal, access).allowed
            if (world.incident_of(example) in listed) != may:
                wrong.append(f"incidents as {caller} of {organisation}: {example.incident}")
    assert not wrong, "\n".join(wrong)
