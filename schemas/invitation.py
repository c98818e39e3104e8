"""Invitation links on the wire: making one, and one as the console lists it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.round import Email


class InvitationCreate(BaseModel):
    """Invite a participating organisation (optionally at an e-mail address) to report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: str = Field(max_length=32, description="A participant's code, e.g. 1442")
    email: Email | None = Field(
        default=None, description="Where the link is sent by e-mail (none: it is only shown)"
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the link stops working (within 30 days); default "
        "LAGESBILD_INVITATION_DAYS from now",
    )


class InvitationOut(BaseModel):
    """An invitation as listed: never its secret."""

    model_config = ConfigDict(frozen=True)

    id: int
    incident_id: uuid.UUID
    organisation: str
    email: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    uses: int = Field(description="Reports sent with the link (repeats included)")
    status: Literal["live", "expired", "revoked"]


class InvitationMade(InvitationOut):
    link: str = Field(description="The link, shown this once: only its hash is kept")


class InvitationList(BaseModel):
    model_config = ConfigDict(frozen=True)

    invitations: list[InvitationOut]
