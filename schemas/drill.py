"""Reporting drills: starting one, and its result per participant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from schemas.common import NoNul, OrgCode, WireModel
from schemas.incident import CountyCode

# How a notification went out: the outbox's channel of each message.
NotifyChannel = Literal["email", "webhook", "sms"]
# How a report came in: `web` is direct (the web app or the API); the others are a
# report's `provenance.via`.
ResponseChannel = Literal["web", "mail", "sms", "link", "edxl", "wis"]

DrillMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul
]


class DrillStart(WireModel):
    """`POST /api/v1/drills`: a county board's duty officer starts a reporting drill."""

    county: CountyCode
    participants: Annotated[list[OrgCode], Field(max_length=1000)] | None = Field(
        default=None,
        description="The organisations asked to report; null or absent: every "
        "municipality of the county",
    )
    message: DrillMessage
    respond_minutes: int = Field(
        ge=5, le=7 * 24 * 60, description="The time to respond, from the start, in minutes"
    )
    title: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
        ]
        | None
    ) = Field(default=None, description="The exercise incident's title; a default otherwise")
    invitations: bool = Field(
        default=False,
        description="Also put an invitation link (no account needed) for each participant "
        "in its e-mail",
    )

    @field_validator("participants")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each participant may appear only once")
        if value is not None and not value:
            raise ValueError("give at least one participant, or leave it out for all")
        return value


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DrillOrganisation(_Out):
    code: str
    name: str


class DrillChannel(_Out):
    """One notification: its channel, and when it was delivered (null: not yet, or never)."""

    channel: NotifyChannel
    delivered_at: datetime | None


class DrillParticipant(_Out):
    organisation: DrillOrganisation
    notified_at: datetime | None = Field(description="When the notifications were sent")
    channels: list[DrillChannel]
    responded_at: datetime | None = Field(description="When its first report arrived")
    responded_by_channel: ResponseChannel | None
    response_seconds: int | None = Field(description="From notified (or start) to the report")
    in_time: bool = Field(description="Whether it responded by the drill's deadline")


class DrillFigures(_Out):
    """The county's readiness in one drill."""

    participants: int
    responded: int
    responded_in_time: int
    share_in_time: float | None = Field(description="responded_in_time / participants")
    median_response_seconds: int | None = Field(description="Of those who responded")


class Drill(_Out):
    id: uuid.UUID
    incident_id: uuid.UUID
    exercise: Literal[True] = True
    county: str
    title: str
    message: str
    respond_minutes: int
    started_at: datetime
    started_by: str
    respond_by: datetime
    status: Literal["running", "ended"]
    figures: DrillFigures


class DrillResult(Drill):
    participants: list[DrillParticipant]
    not_responded: list[str] = Field(description="Codes of the participants without a report")


class DrillList(_Out):
    drills: list[Drill]
