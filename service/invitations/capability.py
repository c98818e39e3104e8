"""The secret an invitation link carries, and what a row of one says. Pure.

The link is `/invite/<secret>`: 256 random bits (`secrets.token_urlsafe(32)`), shown
once when it is made and stored only as its SHA-256, as API tokens are.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["live", "expired", "revoked"]
LINK_PATH = "/invite/"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def plausible(secret: str) -> bool:
    """Whether the text can be a link's secret at all (ASCII, URL-safe, its length)."""
    return (
        40 <= len(secret) <= 64
        and secret.isascii()
        and secret.replace("-", "").replace("_", "").isalnum()
    )


@dataclass(frozen=True, slots=True)
class Invitation:
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
    uses: int

    def status(self, now: datetime) -> Status:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "live"

    @property
    def holder(self) -> str:
        """How the report's `submitted_by` and the audit log name whoever uses the link."""
        return f"invitation {self.id}" + (f" ({self.email})" if self.email else "")
