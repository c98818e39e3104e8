"""The Rakel read-out (`GET /api/v1/incidents/{id}/readout?format=json`) and the duty
officer's view of an incident's messages (`GET /api/v1/incidents/{id}/deliveries`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.outbox import OutboxStatus


class Readout(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    seq: int = Field(description="The picture's seq the script was made from")
    organisation: str | None = Field(
        description="The organisation whose latest report is read; null for the county"
    )
    exercise: bool
    text: str = Field(description="The script, one sentence a line")
    sentences: list[str]
    words: int
    left_out: int = Field(description="Sentences left out to keep the read-out under a minute")


class Delivery(BaseModel):
    """One message of the incident, as the duty officer sees it (no body, no secrets)."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str = Field(description="`reminder.before`, `reminder.due`, `summary.published`, …")
    what: str = Field(description="What it was, in Swedish: its subject, or its kind's name")
    channel: str = Field(description="`email`, `webhook`, `wis`, `national`, …")
    destination: str
    recipient: str = Field(description="Who it went to: addresses, a webhook or a system")
    organisation: str | None = Field(description="The organisation a reminder is about")
    organisation_name: str | None = Field(description="Its name, when it is known")
    due_at: str | None = Field(description="The deadline a reminder is about")
    created_at: str
    status: OutboxStatus
    attempts: int
    delivered_at: str | None
    last_error: str | None


class DeliveryList(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident_id: uuid.UUID
    counts: dict[Literal["pending", "delivered", "dead"], int]
    deliveries: list[Delivery] = Field(description="Newest first")
    dead: list[Delivery] = Field(description="Every dead letter of the incident, newest first")
