"""Who is calling: the one type every layer shares, with no imports of its own.

Kept apart from `service.access.tokens` (which needs the app's keys, and through them the
stream hub) so that domain, policy and stream modules can name it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an organisation acting in a role."""

    name: str
    organisation: str
    org_kind: str
    org_county: str | None
    role: Role
    # Set when the caller is a person logged in to the web app (not an API token).
    session_id: int | None = None
