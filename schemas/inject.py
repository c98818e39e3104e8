"""Scripted injects of an exercise: what the script says, and what was delivered when.

An inject's time is given either relative to the start of the exercise (`offset_minutes`
after the incident's activation) or as an absolute time (`at`), never both. Its audience
is every participant (`audience` null) or those named."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from schemas.common import AwareDatetime, NoNul, OrgCode, ShortText, WireModel

InjectText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul
]
AttachmentText = Annotated[str, StringConstraints(max_length=20_000), NoNul]
# At most a year after the start: a script for one exercise, not a calendar.
OffsetMinutes = Annotated[int, Field(ge=0, le=366 * 24 * 60)]

InjectState = Literal["scheduled", "delivered", "withdrawn"]


class Attachment(WireModel):
    """A plain-text attachment: a name and its text."""

    name: ShortText
    text: AttachmentText


class InjectBody(WireModel):
    """The body of `POST /api/v1/incidents/{id}/injects` and of `PUT …/injects/{inject}`."""

    text: InjectText
    attachments: Annotated[list[Attachment], Field(max_length=10)] = []
    audience: Annotated[list[OrgCode], Field(min_length=1, max_length=500)] | None = None
    offset_minutes: OffsetMinutes | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_time(self) -> InjectBody:
        if (self.offset_minutes is None) == (self.at is None):
            raise ValueError("give either offset_minutes (after the start) or at, not both")
        return self


class Inject(BaseModel):
    """An inject as stored. `deliver_at` is when it is (or was to be) delivered;
    `delivered_seq` the seq of its `inject.delivered` event."""

    id: uuid.UUID
    incident_id: uuid.UUID
    number: int
    text: str
    attachments: list[Attachment]
    audience: list[str] | None
    offset_minutes: int | None
    deliver_at: datetime
    state: InjectState
    created_at: datetime
    created_by: str
    updated_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    delivered_at: datetime | None
    delivered_seq: int | None


class InjectList(BaseModel):
    incident_id: str
    injects: list[Inject]


class TemplateCreate(WireModel):
    """The body of `POST /api/v1/inject-templates`: save an incident's script (its injects
    not withdrawn, with times relative to the incident's start) under a name."""

    name: ShortText
    incident_id: uuid.UUID


class TemplateInject(BaseModel):
    text: str
    attachments: list[Attachment]
    audience: list[str] | None
    offset_minutes: int


class InjectTemplate(BaseModel):
    id: uuid.UUID
    organisation: str
    name: str
    injects: list[TemplateInject]
    created_at: datetime
    created_by: str


class TemplateList(BaseModel):
    templates: list[InjectTemplate]


class FromTemplate(WireModel):
    """The body of `POST /api/v1/incidents/{id}/injects/from-template`: copy a template's
    injects into the incident's script, each at its offset after `start` (the incident's
    activation when left out)."""

    template_id: uuid.UUID
    start: AwareDatetime | None = None
