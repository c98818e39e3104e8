"""Reporting rounds and reminder contacts, as the API returns and takes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import WireModel


class RoundSummary(BaseModel):
    """One closed round: its deadline and how many reported in time, late or not at all."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="1, 2, … from activation")
    due_at: datetime = Field(description="The deadline")
    closed_at: datetime = Field(description="When the round was recorded (at or after due_at)")
    seq: int = Field(description="The seq of its round.closed event")
    expected: int = Field(description="Participants at the deadline")
    on_time: int = Field(description="Reported for this deadline and received by it")
    late: int = Field(description="Reported for this deadline, received after it")
    overdue: int = Field(description="No report for this deadline (yet)")


class RoundList(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    rounds: list[RoundSummary]


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
]


class ContactCreate(WireModel):
    """`POST /organisations/{code}/contacts`: an address for the organisation's reminders."""

    email: Email


class ContactList(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisation: str
    emails: list[str]
