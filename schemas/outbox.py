"""The outbox as admins see it (`GET /api/v1/outbox`, `POST /api/v1/outbox/{id}/retry`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OutboxStatus = Literal["pending", "delivered", "dead"]


class OutboxMessageView(BaseModel):
    """One message without its payload (which may hold report content or addresses)."""

    model_config = ConfigDict(frozen=True)

    id: int
    message_id: str
    destination: str
    kind: str
    incident_id: uuid.UUID | None
    status: OutboxStatus
    attempts: int
    created_at: str
    next_attempt_at: str | None = Field(description="When it is due; none unless pending")
    last_error: str | None
    delivered_at: str | None


class DestinationCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    destination: str
    pending: int = 0
    delivered: int = 0
    dead: int = 0


class OpenBreaker(BaseModel):
    model_config = ConfigDict(frozen=True)

    destination: str
    state: Literal["open", "half_open"]
    opened_at: str


class OutboxOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    destinations: list[DestinationCounts]
    totals: DestinationCounts = Field(description="All destinations (destination '*')")
    oldest_pending_at: str | None
    oldest_pending_age_seconds: float | None
    open_breakers: list[OpenBreaker] = Field(description="This instance's breakers")
    messages: list[OutboxMessageView] = Field(description="Newest first, as the query selects")
