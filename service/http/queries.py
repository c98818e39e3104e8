"""Query strings, parsed by schemas like bodies are."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from schemas.common import AwareDatetime
from service.errors import NotFound, ValidationFailed, validation_problem

Q = TypeVar("Q", bound=BaseModel)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncidentsQuery(_Query):
    status: Literal["active", "closed"] | None = None


class OrganisationsQuery(_Query):
    county: Annotated[str, Field(pattern=r"^\d{2}$")] | None = None
    kind: Literal["municipality", "county_board", "region", "agency", "other"] | None = None


class DrillQuery(_Query):
    format: Literal["json", "csv"] = "json"


class DrillsQuery(_Query):
    county: Annotated[str, Field(pattern=r"^\d{2}$")] | None = None


class ReportsQuery(_Query):
    organisation: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


# PostgreSQL's bigint: larger numbers name no seq and would not fit a query parameter.
MAX_SEQ = 2**63 - 1


# An unescaped `+` in a query string arrives as a space (form encoding): a time written
# `…T14:05:00+01:00` straight into a URL reads `…T14:05:00 01:00`. The space before a
# trailing `HH:MM` can only have been that `+`.
_PLUS_AS_SPACE = re.compile(r" (?=\d{2}:?\d{2}$)")


def _plus_restored(value: Any) -> Any:
    return _PLUS_AS_SPACE.sub("+", value) if isinstance(value, str) else value


class PictureQuery(_Query):
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ)] | None = None
    # A moment: the picture as it stood then. It must carry an offset, like every time.
    at: Annotated[AwareDatetime, BeforeValidator(_plus_restored)] | None = None

    @model_validator(mode="after")
    def _one_of_seq_and_at(self) -> PictureQuery:
        if self.seq is not None and self.at is not None:
            raise ValueError("give seq or at, not both")
        return self


class ExportQuery(_Query):
    # Looked up in the app's export formats (service/export/registry.py).
    format: Annotated[str, Field(max_length=32)] = "json"


class SummaryQuery(_Query):
    # Looked up in the app's summary formats (service/plugins.py, summary_formats_of).
    format: Annotated[str, Field(max_length=32)] = "json"


class InjectsQuery(_Query):
    format: Literal["json", "csv"] = "json"


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


def path_number(raw: str, *, max_digits: int) -> int | None:
    """A whole number in the path (`/rounds/3`), or None: only the ASCII digits 0-9
    count (`str.isdigit` also takes `¹` and `٣`, which `int` refuses or reads)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= max_digits:
        return int(raw)
    return None


def incident_id(request: web.Request) -> uuid.UUID:
    """The `{id}` of the path; an id that is not a UUID names no incident (404)."""
    raw = request.match_info["id"]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound(f"no incident {raw!r}") from exc
