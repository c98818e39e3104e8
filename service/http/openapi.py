"""The OpenAPI 3.1 document, made from the route table and the declarations beside the
handlers (`service/http/apidoc.py`), with every schema from the pydantic models.

`GET /api/v1/openapi.json` serves it; `GET /api/docs` renders it as a page. Nothing is
written by hand here but the words for the statuses every route shares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from schemas.api import OpenApiDocument
from schemas.problem import Problem
from service import keys
from service.access.sessions import COOKIE, CSRF_HEADER, SAFE_METHODS
from service.http.apidoc import JSON, MERGE_PATCH, Body, Operation, describe, operation_of
from service.http.middleware import PROBLEM_JSON, json_response

routes = web.RouteTableDef()

TITLE = "Lägesbild"
VERSION = "1"

# Routes the document must describe: the API and the operations routes.
DESCRIBED_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")

# Words for the problems every route of a kind may answer (docs/design.md, "Errors").
PROBLEMS: dict[int, str] = {
    400: "The body is empty or not JSON (`malformed-request`)",
    401: "No token or session, or an unknown or revoked token (`unauthenticated`)",
    403: "The caller may not do this (`forbidden`, `csrf` for a session request "
    "without its CSRF token, or a reason of the operation's own)",
    404: "No such resource, or an incident the caller may not see (`not-found`)",
    405: "The method is not allowed here (`Allow` names those that are)",
    409: "The request conflicts with the resource's state",
    412: "`If-Match` names a version that is not the current one (`stale-draft`)",
    413: "The body is larger than the service takes (`payload-too-large`)",
    415: "The body is not in a media type the operation takes (`unsupported-media-type`)",
    422: "The body or the query fails its schema (`validation`, with `errors`)",
    428: "`If-Match` is required (`precondition-required`)",
    429: "Too many requests (`too-many-requests`)",
    500: "A bug, logged as `http.unhandled` (`internal`)",
    503: "The database did not answer in time (`unavailable`)",
}

SUCCESS: dict[int, str] = {
    200: "OK",
    201: "Created",
    204: "No content",
    101: "Switching Protocols",
}

_PATH_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")

# The usual path parameters; an operation names others in `describe(path=…)`.
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "format": "uuid", "description": "An incident's id"},
    "code": {
        "type": "string",
        "maxLength": 64,
        "pattern": r"^[A-Za-z0-9][A-Za-z0-9_\-]*$",
        "description": "An organisation's code",
    },
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`lagesbild token create`): `Authorization: Bearer lgb_…`",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE,
        "description": "The web session cookie set by `POST /login`",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "The session's CSRF token; with the session cookie, every "
        "state-changing request carries it (and comes from the site's own origin)",
    },
}


@dataclass(frozen=True)
class Described:
    method: str
    path: str
    handler_name: str
    operation: Operation


def api_routes(app: web.Application) -> Iterator[tuple[str, str, Operation | None, str]]:
    """(method, path, declaration or None, handler name) of each route to describe."""
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        path = resource.canonical
        if not path.startswith(DESCRIBED_PREFIXES):
            continue
        handler = route.handler
        name = getattr(handler, "__qualname__", repr(handler))
        module = getattr(handler, "__module__", "")
        yield route.method, path, operation_of(handler), f"{module}.{name}"


def undescribed(app: web.Application) -> list[str]:
    """`METHOD path` of every route the document would leave out for want of a
    declaration: a test keeps this empty."""
    return [f"{method} {path}" for method, path, op, _ in api_routes(app) if op is None]


def build_document(app: web.Application) -> dict[str, Any]:
    described = [
        Described(method, path, name, op)
        for method, path, op, name in api_routes(app)
        if op is not None
    ]
    bodies = {id(spec): spec for item in described for spec in _bodies(item.operation, app)}
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Problem, "serialization"): None}
    for item in described:
        op = item.operation
        if op.request is not None and op.request.model is not None:
            wanted[(op.request.model, "validation")] = None
    for spec in bodies.values():
        if spec.model is not None:
            wanted.setdefault((spec.model, "serialization"), None)
    refs, definitions = models_json_schema(
        list(wanted), ref_template="#/components/schemas/{model}"
    )

    def schema_of(body: Body, mode: JsonSchemaMode, media: str) -> dict[str, Any]:
        if media in body.by_media_type:
            return dict(body.by_media_type[media])
        if body.model is not None:
            return dict(refs[(body.model, mode)])
        return dict(body.schema or {})

    paths: dict[str, dict[str, Any]] = {}
    for item in sorted(described, key=lambda d: (d.path, d.method)):
        paths.setdefault(item.path, {})[item.method.lower()] = _operation(item, app, schema_of)
    problem_ref = refs[(Problem, "serialization")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "summary": "Structured, live situation reporting for crisis management in Sweden",
            "description": "Every error is RFC 9457 problem+json (`Problem`). Times are "
            "ISO 8601; the service writes UTC with `Z` and takes times with an offset. "
            "Inbound bodies refuse unknown fields. The live stream is the WebSocket at "
            "`/api/v1/stream` (frames: `GET /api/v1/schemas`).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
            "responses": {
                f"Problem{status}": {
                    "description": text,
                    "content": {PROBLEM_JSON: {"schema": dict(problem_ref)}},
                }
                for status, text in PROBLEMS.items()
            },
        },
    }


def _bodies(op: Operation, app: web.Application) -> Iterator[Body]:
    for spec in op.responses.values():
        body = _body(spec, app)
        if body is not None:
            yield body


def _body(spec: Any, app: web.Application) -> Body | None:
    if spec is None:
        return None
    if isinstance(spec, Body):
        return spec
    if isinstance(spec, type) and issubclass(spec, BaseModel):
        return Body(model=spec)
    made: Body = spec(app)
    return made


def _operation(item: Described, app: web.Application, schema_of: Any) -> dict[str, Any]:
    op = item.operation
    method = item.method
    path_names = _PATH_PARAM.findall(item.path)
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(op.path.get(name) or PATH_PARAMETERS.get(name) or {"type": "string"}),
        }
        for name in path_names
    ]
    if op.query is not None:
        parameters.extend(_query_parameters(op.query))
    responses: dict[str, Any] = {}
    for status, spec in sorted(op.responses.items()):
        body = _body(spec, app)
        entry: dict[str, Any] = {
            "description": op.notes.get(status)
            or (body.description if body is not None and body.description else "")
            or SUCCESS.get(status, PROBLEMS.get(status, "")),
        }
        if body is not None:
            entry["content"] = {
                media: {"schema": schema_of(body, "serialization", media)}
                for media in body.media_types
            }
        if status in op.headers:
            entry["headers"] = {name: {"schema": {"type": "string"}} for name in op.headers[status]}
        responses[str(status)] = entry
    for status in sorted(_problem_statuses(op, method, bool(path_names))):
        if str(status) in responses:
            continue
        if status in op.notes:
            responses[str(status)] = {
                "description": op.notes[status],
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    described: dict[str, Any] = {
        "operationId": item.handler_name,
        "summary": op.summary,
        "tags": [_tag(item.path)],
        "responses": responses,
    }
    if op.description:
        described["description"] = op.description
    if parameters:
        described["parameters"] = parameters
    if op.request is not None:
        described["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": schema_of(op.request, "validation", media)}
                for media in op.request.media_types
            },
        }
        if op.request.description:
            described["requestBody"]["description"] = op.request.description
    if op.auth:
        session: dict[str, list[str]] = {"session": []}
        if method not in SAFE_METHODS:
            session["csrf"] = []
        described["security"] = [{"bearer": []}, session]
    else:
        described["security"] = []
    return described


def _problem_statuses(op: Operation, method: str, has_path: bool) -> set[int]:
    statuses = {500, 503, *op.errors}
    if op.auth:
        statuses.update({401, 429})  # 429: the token's requests are limited (its bucket)
        if method not in SAFE_METHODS:
            statuses.add(403)
    if op.request is not None:
        statuses.update({413, 415})
        if JSON in op.request.media_types:
            statuses.update({400, 422})
    if op.query is not None:
        statuses.add(422)
    if has_path:
        statuses.add(404)
    return statuses


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema.get("properties", {}).items():
        found.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _without_null(prop),
            }
        )
    return found


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is a string or absent, never null: drop `null` from an optional
    one's choices (and its null default)."""
    choices = schema.get("anyOf")
    if choices is None:
        return schema
    kept = [choice for choice in choices if choice.get("type") != "null"]
    rest = {key: value for key, value in schema.items() if key not in {"anyOf", "default"}}
    if schema.get("default") is not None:
        rest["default"] = schema["default"]
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _tag(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        return parts[2]
    if parts[:1] == ["api"]:
        return "openapi"
    return "operations"


class ApiDocument:
    """The app's document, made once on first use (the route table does not change
    once the app runs)."""

    def __init__(self) -> None:
        self._document: dict[str, Any] | None = None

    def get(self, app: web.Application) -> dict[str, Any]:
        if self._document is None:
            self._document = build_document(app)
        return self._document


@routes.get("/api/v1/openapi.json")
@describe(
    "This document",
    description="The OpenAPI 3.1 document of the API, made from the route table and the "
    "pydantic models; `GET /api/docs` shows it as a page.",
    responses={200: OpenApiDocument},
    auth=False,
)
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(request.app[keys.api_document].get(request.app))


__all__ = ["JSON", "MERGE_PATCH", "ApiDocument", "build_document", "routes", "undescribed"]
