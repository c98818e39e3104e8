"""Where an organisation's reminders go: one outbox destination and address each.

Today every recipient is an e-mail address from `organisation_contacts` (destination
`email`). Webhooks are one more source here: an organisation's enabled rows of
`webhooks` become `Recipient(destination=f"webhook:{id}", address=url)`; nothing else
changes for the callers.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.repo import Conn
from service.rounds import repo


@dataclass(frozen=True, slots=True)
class Recipient:
    destination: str  # the outbox destination: "email", later "webhook:<id>"
    address: str  # what the message id names (an e-mail address, a webhook's id)

    def payload_to(self) -> list[str]:
        return [self.address]


async def recipients(conn: Conn, codes: list[str]) -> dict[str, list[Recipient]]:
    """The recipients of each organisation in `codes` (none for one without contacts)."""
    found: dict[str, list[Recipient]] = {}
    for code, emails in (await repo.contacts_of(conn, codes)).items():
        found[code] = [Recipient(destination="email", address=email) for email in emails]
    return found
