"""Who is calling: the one type every layer shares.

A module of its own, so that every layer (domain, policy, stream, HTTP) can name it
without importing the others; the row types it is made from are named for type checking
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemas.common import Role

if TYPE_CHECKING:
    from schemas.organisation import Organisation
    from service.repo.tokens import TokenRow
    from service.repo.users import SessionRow


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an organisation acting in a role. Made by the named constructors
    below, one for each way a caller comes in."""

    name: str
    organisation: str
    org_kind: str
    org_county: str | None
    role: Role
    # Set when the caller is a person logged in to the web app (not an API token).
    session_id: int | None = None
    # Set when the caller presented an API token: the token's id (reports it brings say so).
    token_id: int | None = None

    @classmethod
    def from_token_row(cls, token: TokenRow) -> Principal:
        """The caller of an API token."""
        return cls(
            name=token.name,
            organisation=token.organisation,
            org_kind=token.org_kind,
            org_county=token.org_county,
            role=token.role,
            token_id=token.id,
        )

    @classmethod
    def for_session(cls, session: SessionRow) -> Principal:
        """A person logged in to the web app."""
        return cls(
            name=session.name,
            organisation=session.organisation,
            org_kind=session.org_kind,
            org_county=session.org_county,
            role=session.role,
            session_id=session.id,
        )

    @classmethod
    def acting_for(cls, organisation: Organisation, role: Role, *, name: str) -> Principal:
        """Somebody acting for a known organisation without a token of its own: the
        sender of an imported report, an answer from a WIS node, the demo's reporters."""
        return cls(
            name=name,
            organisation=organisation.code,
            org_kind=organisation.kind,
            org_county=organisation.county,
            role=role,
        )

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The operator at the command line: an adapter of no organisation, so it may do
        only what an adapter may do on behalf of the organisations the input names."""
        return cls(name=name, organisation="", org_kind="other", org_county=None, role="adapter")
