"""Where an organisation's reminders go: one outbox destination and address each.

E-mail addresses come from `organisation_contacts` (destination `email`); each enabled
webhook of the organisation is one more recipient (destination `webhook:<id>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.outbox import repo as outbox_repo
from service.repo import Conn
from service.rounds import repo
from service.rounds.messages import Reminder


@dataclass(frozen=True, slots=True)
class Recipient:
    destination: str  # the outbox destination: "email" or "webhook:<id>"
    address: str  # what the message id names (an e-mail address, a webhook's id)

    def payload(
        self, message: Reminder, facts: dict[str, Any], *, reply_to: str | None = None
    ) -> dict[str, Any]:
        """What the channel delivers: an e-mail (answers to `reply_to`, if given), or a
        JSON body for a webhook."""
        if self.destination == "email":
            about = {"organisation": facts.get("organisation"), "due_at": facts.get("due_at")}
            mail: dict[str, Any] = {
                "to": [self.address],
                "subject": message.subject,
                "text": message.text,
                **about,
            }
            return mail if reply_to is None else {**mail, "reply_to": reply_to}
        return {**facts, "subject": message.subject, "text": message.text}


async def recipients(conn: Conn, codes: list[str]) -> dict[str, list[Recipient]]:
    """The recipients of each organisation in `codes` (none for one without any)."""
    found: dict[str, list[Recipient]] = {}
    for code, emails in (await repo.contacts_of(conn, codes)).items():
        found[code] = [Recipient(destination="email", address=email) for email in emails]
    for code in codes:
        for hook in await outbox_repo.webhooks_of(conn, code):
            found.setdefault(code, []).append(
                Recipient(destination=hook.destination, address=str(hook.id))
            )
    return found
