"""Query strings, parsed by schemas like bodies are."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import NotFound, ValidationFailed, validation_problem

Q = TypeVar("Q", bound=BaseModel)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncidentsQuery(_Query):
    status: Literal["active", "closed"] | None = None


class OrganisationsQuery(_Query):
    county: Annotated[str, Field(pattern=r"^\d{2}$")] | None = None
    kind: Literal["municipality", "county_board", "region", "agency", "other"] | None = None


class ReportsQuery(_Query):
    organisation: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


# PostgreSQL's bigint: larger numbers name no seq and would not fit a query parameter.
MAX_SEQ = 2**63 - 1


class PictureQuery(_Query):
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ)] | None = None


class ExportQuery(_Query):
    # Looked up in the app's export formats (service/export/registry.py).
    format: Annotated[str, Field(max_length=32)] = "json"


class SummaryQuery(_Query):
    # Looked up in the app's summary formats (service/plugins.py, summary_formats_of).
    format: Annotated[str, Field(max_length=32)] = "json"


class LogQuery(_Query):
    since: Annotated[int, Field(ge=0, le=MAX_SEQ)] = 0
    limit: Annotated[int, Field(ge=1, le=5000)] | None = None


def parse_query(request: web.Request, model: type[Q]) -> Q:
    query = dict(request.query)
    for name, value in query.items():
        if "\x00" in name or "\x00" in value:
            raise ValidationFailed(errors=[(("query", name), "must not contain NUL characters")])
    try:
        return model.model_validate(query)
    except ValidationError as exc:
        raise validation_problem(exc, prefix=("query",)) from exc


def incident_id(request: web.Request) -> uuid.UUID:
    """The `{id}` of the path; an id that is not a UUID names no incident (404)."""
    raw = request.match_info["id"]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound(f"no incident {raw!r}") from exc
