"""The duty officer's view of an incident's messages: who was reminded of what and when,
through which channel, delivered or not, and every dead letter of the incident."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from schemas.readout import Delivery, DeliveryList
from service.access.policy import can_see_deliveries
from service.access.principal import Principal
from service.clock import iso
from service.domain import lifecycle
from service.errors import Forbidden
from service.outbox import repo
from service.outbox.mail_text import clean_header
from service.repo import Conn, organisations

# How many of the incident's messages to people the view lists (dead letters: as many).
LIMIT = 500
# What a message without a subject was, by its kind, in Swedish (the view's `what`).
KIND_NAMES: Mapping[str, str] = {
    "reminder.before": "Påminnelse före rapporteringstid",
    "reminder.due": "Lägesrapport saknas",
    "reminder.escalation": "Två missade rapporteringstider",
    "summary.published": "Samlad lägesbild",
    "drill.started": "Rapporteringsövning",
}
COPY = "Kopia av händelse"
# What the recipient of a system destination is called.
_SYSTEMS = {"wis": "WIS-noden", "national": "Nationell nivå"}


def what(message: repo.IncidentMessage) -> str:
    """What the message was, in Swedish: its subject, or its kind's name."""
    if message.subject:
        return clean_header(message.subject)
    name = KIND_NAMES.get(message.kind)
    if name is None:
        return f"{COPY}: {message.kind}"
    if message.kind == "summary.published" and message.number is not None:
        return f"{name} nr {message.number}"
    return name


def recipient(message: repo.IncidentMessage) -> str:
    """Whom it went to: the e-mail addresses, the webhook and its organisation, a system."""
    channel = message.destination.partition(":")[0]
    if channel == "email":
        return ", ".join(message.to) or "–"
    if channel == "webhook":
        owner = f" ({message.webhook_organisation})" if message.webhook_organisation else ""
        return f"webhook {message.destination.partition(':')[2]}{owner}"
    return _SYSTEMS.get(channel, message.destination)


def delivery(message: repo.IncidentMessage, names: Mapping[str, str]) -> Delivery:
    organisation = message.organisation or message.webhook_organisation
    return Delivery(
        id=message.id,
        kind=message.kind,
        what=what(message),
        channel=message.destination.partition(":")[0],
        destination=message.destination,
        recipient=recipient(message),
        organisation=organisation,
        organisation_name=names.get(organisation) if organisation else None,
        due_at=message.due_at,
        created_at=iso(message.created_at),
        status=message.status,
        attempts=message.attempts,
        delivered_at=iso(message.delivered_at) if message.delivered_at else None,
        last_error=message.last_error,
    )


async def of_incident(
    conn: Conn, principal: Principal, incident_id: uuid.UUID, *, limit: int = LIMIT
) -> DeliveryList:
    """The view, for whoever may see it (404 for an incident the caller may not see)."""
    row = await lifecycle.visible(conn, principal, incident_id)
    if not can_see_deliveries(principal, row.access):
        raise Forbidden("the incident's deliveries are for its county board and admins")
    messages, counts = await repo.incident_messages(conn, row.id, limit=limit)
    codes = {m.organisation or m.webhook_organisation for m in messages} - {None}
    known = await organisations.get_many(conn, sorted(c for c in codes if c))
    names = {code: org.name for code, org in known.items()}
    views = [delivery(message, names) for message in messages]
    totals = {"pending": 0, "delivered": 0, "dead": 0}
    for count in counts:
        totals[count.status] += count.count
    return DeliveryList(
        incident_id=row.id,
        counts=totals,
        deliveries=[v for v in views if v.channel in ("email", "webhook")],
        dead=[v for v in views if v.status == "dead"],
    )
