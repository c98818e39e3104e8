"""What each API route takes and answers, declared beside its handler.

    @routes.post("/api/v1/incidents")
    @describe(
        "Activate an incident",
        request=IncidentCreate,
        responses={201: Incident},
        errors=(403, 422),
        headers={201: ("Location",)},
    )
    async def activate(request: web.Request) -> web.Response: ...

`service/http/openapi.py` walks `app.router` and reads these declarations into the
OpenAPI document; a test fails when a route under `/api/` (or an operations route) has
none. The problems every route of a kind can answer are added there, not here: 401 (and
403 for CSRF on writes) with `auth`, 400/413/415/422 with a JSON `request`, 422 with a
`query`, 404 with path parameters, 500 and 503 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

# A JSON Schema written out, for bodies no pydantic model describes (XML, a foreign object).
Schema = Mapping[str, Any]


@dataclass(frozen=True)
class Body:
    """A request or response body: a pydantic model or a schema, in these media types."""

    model: type[BaseModel] | None = None
    schema: Schema | None = None
    media_types: tuple[str, ...] = (JSON,)
    description: str = ""
    # A schema for some media types of their own (e.g. an export as JSON or as CSV).
    by_media_type: Mapping[str, Schema] = field(default_factory=dict)


# A response: a model (as JSON), a Body, a Body made from the app (e.g. the export
# formats it has), or None for no body (204).
ResponseSpec = type[BaseModel] | Body | Callable[[web.Application], Body] | None


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    request: Body | None
    responses: Mapping[int, ResponseSpec]
    errors: tuple[int, ...]
    query: type[BaseModel] | None
    path: Mapping[str, Schema]
    headers: Mapping[int, tuple[str, ...]]
    auth: bool
    notes: Mapping[int, str] = field(default_factory=dict)


_OPERATIONS: dict[Callable[..., Any], Operation] = {}

H = TypeVar("H", bound=Callable[..., Any])


def describe(
    summary: str,
    *,
    description: str = "",
    request: type[BaseModel] | Body | None = None,
    responses: Mapping[int, ResponseSpec],
    errors: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
    path: Mapping[str, Schema] | None = None,
    headers: Mapping[int, tuple[str, ...]] | None = None,
    auth: bool = True,
    notes: Mapping[int, str] | None = None,
) -> Callable[[H], H]:
    """Declare a handler's operation: `request` body, `responses` by status, the problem
    statuses it raises itself (`errors`), its `query` model, the schemas of path
    parameters that are not the usual ones (`path`), response `headers`, whether it
    needs a token or session (`auth`), and `notes` on statuses."""
    body = Body(model=request) if isinstance(request, type) else request
    declared = Operation(
        summary=summary,
        description=description,
        request=body,
        responses=dict(responses),
        errors=errors,
        query=query,
        path=dict(path or {}),
        headers=dict(headers or {}),
        auth=auth,
        notes=dict(notes or {}),
    )

    def mark(handler: H) -> H:
        _OPERATIONS[handler] = declared
        return handler

    return mark


def operation_of(handler: Callable[..., Any]) -> Operation | None:
    return _OPERATIONS.get(handler)
