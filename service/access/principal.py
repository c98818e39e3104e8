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
class Scope:
    """Whom an adapter speaks for: the organisations listed, every organisation of a
    county, or (`everyone`: the operator at the command line) all. Empty: its own
    organisation alone (the safe default of a token made without a scope)."""

    organisations: frozenset[str] = frozenset()
    county: str | None = None
    everyone: bool = False

    @property
    def empty(self) -> bool:
        return not (self.organisations or self.county or self.everyone)


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
    # Whom an adapter token speaks for (service.access.policy.may_report_for).
    scope: Scope = Scope()
    # The person's e-mail address (a session) or the token's id (an API token): who did
    # it, in the audit log; and which sockets close when the token is revoked.
    email: str | None = None
    token_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        return self.email or self.name

    @classmethod
    def from_token_row(cls, token: TokenRow) -> Principal:
        """The caller of an API token."""
        return cls(
            name=token.name,
            organisation=token.organisation,
            org_kind=token.org_kind,
            org_county=token.org_county,
            role=token.role,
            scope=Scope(
                organisations=frozenset(token.scope_organisations or ()),
                county=token.scope_county,
            ),
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
            email=session.email,
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
    def described(
        cls, organisation: str, org_kind: str, org_county: str | None, role: Role, *, person: bool
    ) -> Principal:
        """A caller described by its facts alone, with no token or session behind it:
        the access matrix's examples (service/access/matrix.py)."""
        return cls(
            name=f"{role} {organisation}",
            organisation=organisation,
            org_kind=org_kind,
            org_county=org_county,
            role=role,
            session_id=0 if person else None,
        )

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The operator at the command line: an adapter of no organisation that speaks for
        every organisation (whoever runs the command holds the database anyway)."""
        return cls(
            name=name,
            organisation="",
            org_kind="other",
            org_county=None,
            role="adapter",
            scope=Scope(everyone=True),
        )
