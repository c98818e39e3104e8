"""A mock WIS-style node: in-memory areas, requests, answers, posts and a change log.

For tests and demos (`lagesbild mock-wis --port 8090`). Every call needs a bearer
token; a token belongs to an actor (an organisation code). A *system* actor
(Lägesbild) creates areas, requests and posts and may answer on behalf of any
actor; an ordinary actor answers for itself. Every write carries a `Message-Id`
header, and a repeated id is answered `200 {"duplicate": true}` and changes
nothing. `GET /` lists, in Swedish, what the node has received.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

AREA_KINDS = ("Samhällsstörning", "Övning")
LEVELS = ("Ingen", "Måttlig", "Betydande", "Allvarlig", "Kritisk")


@dataclass(frozen=True, slots=True)
class Actor:
    code: str
    name: str
    system: bool = False


@dataclass
class Store:
    areas: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, Actor] = field(default_factory=dict)
    seen_messages: set[str] = field(default_factory=set)
    duplicates: int = 0
    # Every write taken, by Message-Id, in order (repeats are not in it).
    accepted: list[str] = field(default_factory=list)
    # Faults for tests and demos: the whole API answers 503 while `unavailable`; writes
    # whose Message-Id is in `failing` answer 503 and those in `refusing` 422 (the rest
    # of the node works).
    unavailable: bool = False
    failing: set[str] = field(default_factory=set)
    refusing: set[str] = field(default_factory=set)

    def log(self, kind: str, area_id: str, item: dict[str, Any], by: str) -> None:
        self.changes.append(
            {
                "seq": len(self.changes) + 1,
                "typ": kind,
                "yta": area_id,
                "id": item["id"],
                "av": by,
                "tid": _now(),
                "data": item,
            }
        )


store_key = web.AppKey("store", Store)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response(
        {"status": status, "title": "Fel", "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    store = request.app[store_key]
    message_id = request.headers.get("Message-Id", "").strip()
    if request.path.startswith("/api/") and (store.unavailable or message_id in store.failing):
        return _problem(503, "noden är inte tillgänglig")
    if message_id and message_id in store.refusing:
        return _problem(422, "meddelandet avvisas")
    try:
        response: web.StreamResponse = await handler(request)
    except _Refused as exc:
        return _problem(exc.status, exc.detail)
    return response


def _actor(request: web.Request) -> Actor:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    tokens = request.app[store_key].tokens
    actor = tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        raise _Refused(401, "okänd eller saknad token")
    return actor


def _system(request: web.Request) -> Actor:
    actor = _actor(request)
    if not actor.system:
        raise _Refused(403, "endast ett system får göra detta")
    return actor


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _Refused(400, "kroppen är inte JSON") from exc
    if not isinstance(body, dict):
        raise _Refused(400, "kroppen ska vara ett JSON-objekt")
    return body


def _first_time(request: web.Request) -> bool:
    """False for a message id the node has already taken (the write is then skipped)."""
    message_id = request.headers.get("Message-Id", "").strip()
    if not message_id:
        raise _Refused(400, "Message-Id saknas")
    store = request.app[store_key]
    if message_id in store.seen_messages:
        store.duplicates += 1
        return False
    store.seen_messages.add(message_id)
    store.accepted.append(message_id)
    return True


def _area(request: web.Request) -> dict[str, Any]:
    area = request.app[store_key].areas.get(request.match_info["area"])
    if area is None:
        raise _Refused(404, "ingen sådan yta")
    return area


_DUPLICATE = {"duplicate": True}
routes = web.RouteTableDef()


@routes.post("/api/areas")
async def create_area(request: web.Request) -> web.Response:
    actor = _system(request)
    body = await _body(request)
    if body.get("typ") not in AREA_KINDS:
        raise _Refused(422, f"typ ska vara en av {', '.join(AREA_KINDS)}")
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    store = request.app[store_key]
    area = {**body, "id": str(body.get("id") or uuid.uuid4()), "status": "Aktiv"}
    area.setdefault("deltagare", [])
    store.areas[area["id"]] = area
    store.log("yta.skapad", area["id"], area, actor.code)
    return web.json_response(area, status=201)


@routes.post("/api/areas/{area}/change")
async def change_area(request: web.Request) -> web.Response:
    actor = _system(request)
    area = _area(request)
    body = await _body(request)
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    removed = set(body.pop("ta_bort_deltagare", []))
    added = body.pop("lägg_till_deltagare", [])
    participants = [p for p in area["deltagare"] if p["kod"] not in removed]
    known = {p["kod"] for p in participants}
    participants += [p for p in added if p["kod"] not in known]
    area.update({**body, "deltagare": participants})
    request.app[store_key].log("yta.ändrad", area["id"], area, actor.code)
    return web.json_response(area)


@routes.post("/api/areas/{area}/end")
async def end_area(request: web.Request) -> web.Response:
    actor = _system(request)
    area = _area(request)
    body = await _body(request)
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    area.update({**body, "status": "Avslutad"})
    request.app[store_key].log("yta.avslutad", area["id"], area, actor.code)
    return web.json_response(area)


@routes.post("/api/areas/{area}/requests")
async def create_request(request: web.Request) -> web.Response:
    actor = _system(request)
    area = _area(request)
    body = await _body(request)
    if not body.get("svarstid"):
        raise _Refused(422, "svarstid saknas")
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    item = {**body, "id": str(body.get("id") or uuid.uuid4()), "yta": area["id"]}
    request.app[store_key].requests[item["id"]] = item
    request.app[store_key].log("begäran.skapad", area["id"], item, actor.code)
    return web.json_response(item, status=201)


@routes.post("/api/areas/{area}/answers")
async def create_answer(request: web.Request) -> web.Response:
    actor = _actor(request)
    area = _area(request)
    body = await _body(request)
    on_behalf = str(body.get("aktör") or actor.code)
    if not actor.system and on_behalf != actor.code:
        raise _Refused(403, "en aktör svarar bara för sig själv")
    for entry in body.get("påverkan") or []:
        if entry.get("nivå") not in LEVELS:
            raise _Refused(422, f"nivå ska vara en av {', '.join(LEVELS)}")
    if area["status"] != "Aktiv":
        raise _Refused(409, "ytan är avslutad")
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    item = {
        **body,
        "id": str(body.get("id") or uuid.uuid4()),
        "yta": area["id"],
        "aktör": on_behalf,
        "inlagd_av": actor.code,
        "besvarad": _now(),
    }
    request.app[store_key].answers[item["id"]] = item
    request.app[store_key].log("svar.skapat", area["id"], item, actor.code)
    return web.json_response(item, status=201)


@routes.post("/api/areas/{area}/posts")
async def create_post(request: web.Request) -> web.Response:
    actor = _system(request)
    area = _area(request)
    body = await _body(request)
    if not _first_time(request):
        return web.json_response(_DUPLICATE)
    item = {**body, "id": str(body.get("id") or uuid.uuid4()), "yta": area["id"], "skapad": _now()}
    request.app[store_key].posts[item["id"]] = item
    request.app[store_key].log("anteckning.skapad", area["id"], item, actor.code)
    return web.json_response(item, status=201)


@routes.get("/api/areas")
async def list_areas(request: web.Request) -> web.Response:
    _actor(request)
    return web.json_response({"ytor": list(request.app[store_key].areas.values())})


@routes.get("/api/areas/{area}")
async def get_area(request: web.Request) -> web.Response:
    _actor(request)
    area = _area(request)
    store = request.app[store_key]

    def of_area(items: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [item for item in items.values() if item["yta"] == area["id"]]

    return web.json_response(
        {
            **area,
            "begäranden": of_area(store.requests),
            "svar": of_area(store.answers),
            "anteckningar": of_area(store.posts),
        }
    )


@routes.get("/api/changes")
async def changes(request: web.Request) -> web.Response:
    """The change log after `efter` (a seq), at most `max` entries, oldest first."""
    _actor(request)
    try:
        after = int(request.query.get("efter", "0"))
        limit = min(int(request.query.get("max", "100")), 1000)
    except ValueError as exc:
        raise _Refused(400, "efter och max ska vara heltal") from exc
    log = request.app[store_key].changes
    page = log[max(after, 0) : max(after, 0) + max(limit, 1)]
    return web.json_response({"ändringar": page, "senaste": len(log)})


@routes.get("/")
async def page(request: web.Request) -> web.Response:
    """What the node has received, for people (no token: a demo page)."""
    store = request.app[store_key]
    e = html.escape
    sections = []
    for area in store.areas.values():

        def of_area(items: dict[str, dict[str, Any]], area_id: str = area["id"]) -> list[Any]:
            return [item for item in items.values() if item["yta"] == area_id]

        requests = "".join(
            f"<li>{e(str(r.get('titel', '')))} – svarstid {e(str(r.get('svarstid', '')))}</li>"
            for r in of_area(store.requests)
        )
        answers = "".join(
            f"<li><strong>{e(str(a.get('aktör', '')))}</strong> "
            f"({e(str(a.get('lägestidpunkt', '')))}, inlagt av {e(str(a.get('inlagd_av', '')))}): "
            f"{e(str(a.get('tillstånd', '')))}"
            f"<ul>{''.join(_impact(i) for i in a.get('påverkan') or [])}</ul></li>"
            for a in of_area(store.answers)
        )
        posts = "".join(
            f"<li><strong>{e(str(p.get('titel', '')))}</strong>"
            f"<pre>{e(str(p.get('text', '')))}</pre></li>"
            for p in of_area(store.posts)
        )
        participants = ", ".join(
            f"{e(str(p.get('namn') or p.get('kod')))}" for p in area.get("deltagare", [])
        )
        sections.append(
            f"<section><h2>{e(str(area.get('namn', '')))} "
            f"<small>({e(str(area.get('typ', '')))}, {e(str(area.get('status', '')))})</small></h2>"
            f"<p>Deltagare: {participants}</p>"
            f"<h3>Begäranden</h3><ul>{requests}</ul>"
            f"<h3>Svar</h3><ul>{answers}</ul>"
            f"<h3>Anteckningar</h3><ul>{posts}</ul></section>"
        )
    body = "".join(sections) or "<p>Inga ytor ännu.</p>"
    text = f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>WIS-nod (test)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}pre{{white-space:pre-wrap}}</style>
</head><body><main><h1>WIS-nod (testnod)</h1>
<p>{len(store.areas)} ytor, {len(store.requests)} begäranden, {len(store.answers)} svar,
{len(store.posts)} anteckningar, {store.duplicates} dubbletter avvisade.</p>
{body}</main></body></html>"""
    return web.Response(text=text, content_type="text/html")


def _impact(entry: dict[str, Any]) -> str:
    e = html.escape
    return f"<li>{e(str(entry.get('sektor', '')))}: {e(str(entry.get('nivå', '')))}</li>"


# The largest body the node takes; above it aiohttp answers 413 (as a real node does).
MAX_BODY_BYTES = 1024 * 1024


def create_mock_app(
    tokens: dict[str, Actor], *, max_body_bytes: int = MAX_BODY_BYTES
) -> web.Application:
    """A node with an empty store; `tokens` maps bearer tokens to actors."""
    app = web.Application(middlewares=[_errors], client_max_size=max_body_bytes)
    app[store_key] = Store(tokens=dict(tokens))
    app.add_routes(routes)
    return app


def store_of(app: web.Application) -> Store:
    return app[store_key]
