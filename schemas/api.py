"""The envelopes the HTTP API answers with, around the models of the other modules.

They name in the OpenAPI document (`GET /api/v1/openapi.json`) what the handlers write;
the fuzz tests check every answer against them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from schemas.incident import Incident
from schemas.organisation import Organisation
from schemas.report import StoredReport


class IncidentList(BaseModel):
    model_config = ConfigDict(frozen=True)

    incidents: list[Incident] = Field(description="The incidents the caller may see")


class ReportList(BaseModel):
    model_config = ConfigDict(frozen=True)

    reports: list[StoredReport] = Field(description="Newest first")


class OrganisationList(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisations: list[Organisation]


class Event(BaseModel):
    """One entry of an incident's log; `data` per kind is described in docs/events.md."""

    model_config = ConfigDict(frozen=True)

    seq: int
    kind: str
    at: datetime
    actor: str
    data: dict[str, Any]


class EventLog(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    events: list[Event] = Field(description="The events after `since`, in seq order")
    last_seq: int = Field(description="The incident's latest seq")
    more: bool = Field(description="Whether events after this page exist")


class TimelinePoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    sectors: dict[str, dict[str, int]] = Field(
        description="Per sector, participants per impact level after this event"
    )


class Timeline(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    seq: int
    points: list[TimelinePoint]


class Picture(RootModel[dict[str, Any]]):
    """The consolidated picture (docs/design.md, "The consolidated picture"): keyed by
    code everywhere, never holding null, so an RFC 7396 merge patch expresses each change."""


class JsonSchema(RootModel[dict[str, Any]]):
    """A JSON Schema (draft 2020-12) of one wire model."""


class SchemaList(BaseModel):
    model_config = ConfigDict(frozen=True)

    schemas: list[str] = Field(description="Names for `GET /api/v1/schemas/{name}`")


class ImportedReport(StoredReport):
    created: bool = Field(description="False when the report was stored before (a repeat)")


class NotImported(BaseModel):
    """A content object of an envelope that did not become a report, and why."""

    model_config = ConfigDict(frozen=True)

    content: int
    keyword: str | None = None
    description: str | None = None
    reason: str


class ImportedReports(BaseModel):
    model_config = ConfigDict(frozen=True)

    reports: list[ImportedReport]
    relayed_by: str | None = None  # the county board that relayed its municipalities' reports
    not_imported: list[NotImported] = []


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """`ready`, or `unavailable` with the reason in one of the other fields."""

    status: Literal["ready", "unavailable"]
    database: str | None = None
    migrations: str | None = None
    pending_migrations: list[str] | None = None
    stream: str | None = None


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""
