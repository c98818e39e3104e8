"""The county board's summary (sammanställning): the shared draft and the published,
numbered document."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.common import (
    Impact,
    LongText,
    NeedStatus,
    Sector,
    ShortText,
    Urgency,
    WireModel,
)
from schemas.report import Development, MeasureList

RequestId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]


class SectorAssessment(WireModel):
    """The county's assessed impact in one sector. `level` null: the live picture's worst
    level (the prefill); a level set is an override and needs a `reason`."""

    sector: Sector
    level: Impact | None = None
    reason: LongText = ""
    comment: LongText = ""


class NationalRequest(WireModel):
    """A request to national level, kept by `id` from one summary to the next."""

    id: RequestId
    text: ShortText
    urgency: Urgency = "medium"
    status: NeedStatus = "open"


class SummaryContent(WireModel):
    """What the county board writes: the body of `PUT /summaries/draft`."""

    assessment: LongText = ""
    sectors: Annotated[list[SectorAssessment], Field(max_length=7)] = []
    development: Development = Development()
    measures_taken: MeasureList = []
    measures_planned: MeasureList = []
    requests: Annotated[list[NationalRequest], Field(max_length=100)] = []
    other: LongText = ""

    @model_validator(mode="after")
    def _unique(self) -> SummaryContent:
        sectors = [entry.sector for entry in self.sectors]
        if len(set(sectors)) != len(sectors):
            raise ValueError("each sector at most once")
        ids = [request.id for request in self.requests]
        if len(set(ids)) != len(ids):
            raise ValueError("each request id at most once")
        return self


class PublishBody(WireModel):
    """`POST /summaries`: publish the current draft; `corrects` names the number this
    summary corrects."""

    corrects: Annotated[int, Field(ge=1)] | None = None


class SectorView(BaseModel):
    """A sector as the draft and a published summary show it: the level that counts,
    the live picture's worst level beside it, and whether the county overrode it."""

    model_config = ConfigDict(frozen=True)

    sector: Sector
    level: Impact
    picture_level: Impact
    overridden: bool
    reason: str = ""
    comment: str = ""


class RequestView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    urgency: Urgency
    status: NeedStatus
    # The number of the first published summary that carried the request (None: not yet).
    since: int | None = None


class Draft(BaseModel):
    """`GET /summaries/draft`: the shared draft with the prefill resolved; `version` is
    its ETag (0: nobody has saved one yet)."""

    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    version: int
    updated_at: datetime | None
    updated_by: str | None
    picture_seq: int
    content: SummaryContent
    sectors: list[SectorView]
    blank: list[str]
    last_number: int | None


class SummaryIncident(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    title: str
    county: str
    owner: str
    owner_name: str
    exercise: bool
    activated_at: datetime


class Reporting(BaseModel):
    model_config = ConfigDict(frozen=True)

    expected: int
    received: int
    overdue: int


class JournalHighlight(BaseModel):
    """A significant journal entry as a published summary shows it."""

    model_config = ConfigDict(frozen=True)

    number: int
    at: datetime
    category: str
    text: str
    decided_by: str | None = None
    organisation: str = ""
    corrected_by: list[int] = []


class PublishedSummary(BaseModel):
    """A published summary, immutable: what `summary.published` carries in `summary`."""

    model_config = ConfigDict(frozen=True)

    incident: SummaryIncident
    number: int
    published_at: datetime
    published_by: str
    picture_seq: int
    corrects: int | None
    assessment: str
    sectors: list[SectorView]
    development: Development
    measures_taken: list[str]
    measures_planned: list[str]
    requests: list[RequestView]
    other: str
    reporting: Reporting
    # The journal's significant entries when it was published, newest first (the
    # picture's `journal.significant`); none in summaries published before the journal.
    journal: list[JournalHighlight] = []


DeliveryStatus = Literal["pending", "delivered", "dead"]


class Delivery(BaseModel):
    """One recipient of one published summary and how its delivery went."""

    model_config = ConfigDict(frozen=True)

    recipient: str
    channel: str
    status: DeliveryStatus
    attempts: int
    delivered_at: datetime | None
    last_error: str | None
