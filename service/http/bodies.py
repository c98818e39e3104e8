"""Reading request bodies: content type, size, JSON, then the schema."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from service import keys
from service.errors import (
    MalformedRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    validation_problem,
)

M = TypeVar("M", bound=BaseModel)

_JSON_TYPES = frozenset({"application/json", "application/merge-patch+json"})


async def read_json(request: web.Request) -> Any:
    """The body as JSON: 415 if not JSON, 413 if too large, 400 if malformed."""
    if request.content_type not in _JSON_TYPES:
        raise UnsupportedMediaType(
            f"send the body as application/json (got {request.content_type or 'nothing'})"
        )
    limit = request.app[keys.settings].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body may be at most {limit} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the body may be at most {limit} bytes") from exc
    if not raw.strip():
        raise MalformedRequest("the body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedRequest(f"the body is not valid JSON: {_short(exc)}") from exc


async def parse(request: web.Request, model: type[M]) -> M:
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"
