"""Making, listing, revoking and using invitation links.

A duty officer who manages the incident (`policy.can_invite`) invites one of its
participating organisations, optionally at an e-mail address (the link then goes there
through the outbox, channel `email`). Whoever holds the link reports for that
organisation in that incident only, through `reporting.submit` as a reporter of the
organisation would (`Principal.acting_for`): the same validation, idempotency and
events. Making, revoking and every report by a link are audit rows, written in the
change's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import asyncpg

from schemas.organisation import Organisation
from schemas.report import Provenance, ReportSubmission
from service.access.policy import can_invite
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.domain import reporting
from service.domain.labels import EXERCISE_MARK, local_time
from service.domain.lifecycle import visible_row
from service.domain.reporting import Submitted
from service.errors import Forbidden, NotFound, ValidationFailed
from service.invitations import capability, repo
from service.invitations.capability import Invitation
from service.outbox import repo as outbox
from service.repo import Conn, incidents, organisations
from service.repo.incidents import IncidentRow

MAX_LIFETIME = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Made:
    invitation: Invitation
    link: str  # shown once: only its hash is kept


@dataclass(frozen=True, slots=True)
class Holder:
    """What a live link opens: its invitation, incident and organisation."""

    invitation: Invitation
    incident: IncidentRow
    organisation: Organisation

    def principal(self) -> Principal:
        return Principal.acting_for(self.organisation, "reporter", name=self.invitation.holder)


async def _managed(conn: Conn, principal: Principal, incident_id: uuid.UUID) -> IncidentRow:
    row = visible_row(principal, await incidents.get(conn, incident_id), incident_id)
    if not can_invite(principal, row.access):
        raise Forbidden("only a duty officer of the owner or the county board invites")
    return row


async def create(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    organisation: str,
    email: str | None,
    expires_at: datetime | None,
    now: datetime,
    base_url: str,
    default_days: float,
    by: Origin,
) -> Made:
    """A new link for `organisation` (a participant of the active incident)."""
    expires = expires_at or now + timedelta(days=default_days)
    if not now < expires <= now + MAX_LIFETIME:
        raise ValidationFailed(
            "the link must expire after now and within 30 days",
            errors=[(("expires_at",), "must be after now and within 30 days")],
        )
    async with pool.acquire() as conn, conn.transaction():
        row = await _managed(conn, principal, incident_id)
        if row.status != "active":
            raise ValidationFailed(
                "the incident is closed; it takes no more reports",
                errors=[(("organisation",), "the incident is closed")],
            )
        if organisation not in row.participants:
            raise ValidationFailed(
                "only a participating organisation is invited: add it to the participants first",
                errors=[(("organisation",), f"{organisation!r} does not take part")],
            )
        made, link = await issue(
            conn,
            incident_id=incident_id,
            organisation=organisation,
            email=email,
            expires=expires,
            now=now,
            actor=principal.actor,
            by=by,
            base_url=base_url,
        )
        if email is not None:
            org = await organisations.get(conn, organisation)
            await outbox.enqueue(
                conn,
                destination="email",
                kind="invitation",
                message_id=f"invitation:{made.id}",
                payload=invitation_mail(
                    row, org.name if org else organisation, email, link, expires
                ),
                at=now,
                incident_id=incident_id,
            )
    return Made(made, link)


async def issue(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    organisation: str,
    email: str | None,
    expires: datetime,
    now: datetime,
    actor: str,
    by: Origin,
    base_url: str,
) -> tuple[Invitation, str]:
    """A new link's row and its audit record, in the caller's transaction (the caller
    has checked who may invite whom): the invitation and the link. The secret is in the
    link only; the database keeps its digest."""
    secret = capability.new_secret()
    made = await repo.insert(
        conn,
        incident_id=incident_id,
        organisation=organisation,
        email=email,
        secret_digest=capability.digest(secret),
        at=now,
        by=actor,
        expires_at=expires,
    )
    await record(
        conn,
        "invitation.created",
        by,
        at=now,
        invitation_id=made.id,
        incident_id=str(incident_id),
        invited=organisation,
        email=email,
        expires_at=expires.isoformat(),
    )
    return made, base_url.rstrip("/") + capability.LINK_PATH + secret


def invitation_mail(
    incident: IncidentRow, organisation: str, email: str, link: str, expires: datetime
) -> dict[str, object]:
    """The e-mail that carries a link (Swedish first, English second)."""
    exercise = f"{EXERCISE_MARK} – " if incident.exercise else ""
    return {
        "to": [email],
        "subject": f"{exercise}Inbjudan att lämna lägesrapport: {incident.title}",
        "text": (
            f"{exercise}Länsstyrelsen ber {organisation} lämna lägesrapport i händelsen "
            f"”{incident.title}”.\n\n"
            f"Öppna länken för att fylla i rapporten (inget konto behövs):\n{link}\n\n"
            f"Länken gäller till {local_time(expires)} och bara för {organisation} i den här "
            "händelsen. Dela den inte.\n\n"
            f"English: {organisation} is asked to report in “{incident.title}”. Open the "
            f"link above (no account needed); it is valid until {local_time(expires)}.\n"
        ),
    }


async def listed(
    pool: asyncpg.Pool, principal: Principal, incident_id: uuid.UUID
) -> list[Invitation]:
    async with pool.acquire() as conn:
        await _managed(conn, principal, incident_id)
        return await repo.of_incident(conn, incident_id)


async def revoke(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    invitation_id: int,
    *,
    now: datetime,
    by: Origin,
) -> Invitation:
    """Revoke a link: from now on it opens nothing. 404 for no such live link."""
    async with pool.acquire() as conn, conn.transaction():
        await _managed(conn, principal, incident_id)
        revoked = await repo.revoke(conn, incident_id, invitation_id, at=now, by=principal.actor)
        if revoked is None:
            raise NotFound(f"no invitation {invitation_id} to revoke in this incident")
        await record(
            conn,
            "invitation.revoked",
            by,
            at=now,
            invitation_id=invitation_id,
            incident_id=str(incident_id),
            invited=revoked.organisation,
        )
    return revoked


async def holder(conn: Conn, secret: str, now: datetime) -> Holder:
    """What a link opens, if it is live: 404 for an unknown, expired or revoked one and
    once its incident is closed (the same answer for each: nothing is revealed)."""
    found = (
        await repo.by_secret(conn, capability.digest(secret))
        if capability.plausible(secret)
        else None
    )
    if found is None or found.status(now) != "live":
        raise NotFound("this invitation link is unknown, expired or revoked")
    incident = await incidents.get(conn, found.incident_id)
    org = await organisations.get(conn, found.organisation)
    if incident is None or org is None or incident.status != "active":
        raise NotFound("this invitation link is unknown, expired or revoked")
    return Holder(found, incident, org)


async def open_link(pool: asyncpg.Pool, secret: str, now: datetime) -> Holder:
    async with pool.acquire() as conn:
        return await holder(conn, secret, now)


async def submit(
    pool: asyncpg.Pool,
    held: Holder,
    submission: ReportSubmission,
    now: datetime,
    *,
    by: Origin,
    follower: reporting.Follower | None = None,
) -> Submitted:
    """A report by a link (`open_link`): for its organisation in its incident only (403
    `wrong-organisation` for another, as for a reporter). The audit row names the link
    (`invitation 12 (isk@ale.se)`) and its organisation. `follower` hears of the batch's
    events once they are committed, as for a report sent with a token."""
    submitted = await reporting.submit(
        pool,
        held.principal(),
        held.incident.id,
        submission,
        now,
        provenance=Provenance(via="link"),
        follower=follower,
    )
    async with pool.acquire() as conn, conn.transaction():
        await repo.mark_used(conn, held.invitation.id, at=now)
        await record(
            conn,
            "invitation.used",
            replace(by, actor=held.invitation.holder, organisation=held.organisation.code),
            at=now,
            invitation_id=held.invitation.id,
            incident_id=str(held.incident.id),
            report_id=str(submitted.report.report_id),
            version=submitted.report.version,
            stored=submitted.created,
        )
    return submitted
