"""Reminder texts, in Swedish. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from service.domain.labels import EXERCISE_MARK, local_time
from service.domain.plaintext import incident_code

ReminderKind = Literal["before", "due", "escalation"]


@dataclass(frozen=True, slots=True)
class Reminder:
    subject: str
    text: str


def report_path(incident_id: uuid.UUID) -> str:
    return f"/incidents/{incident_id}/report"


def reminder(
    kind: ReminderKind,
    *,
    incident_id: uuid.UUID,
    title: str,
    exercise: bool,
    due_at: datetime,
    organisation: str,
    previous_due_at: datetime | None = None,
) -> Reminder:
    """The message for one participant (`organisation` names who should report). The
    subject ends with the incident's short code in brackets, and the text names it."""
    prefix = f"{EXERCISE_MARK} " if exercise else ""
    code = incident_code(incident_id)
    when = local_time(due_at)
    link = report_path(incident_id)
    if kind == "before":
        subject = f"{prefix}Påminnelse: lägesrapport senast {when} – {title}"
        body = (
            f"{organisation} har ännu inte lämnat lägesrapport till händelsen «{title}» "
            f"för rapporteringstiden {when}.\n"
            f"Rapportera här: {link}"
        )
    elif kind == "due":
        subject = f"{prefix}Lägesrapport saknas ({when}) – {title}"
        body = (
            f"Rapporteringstiden {when} har passerat och {organisation} har inte lämnat "
            f"lägesrapport till händelsen «{title}».\n"
            f"Rapportera snarast här: {link}"
        )
    else:
        earlier = "" if previous_due_at is None else f"{local_time(previous_due_at)} och "
        subject = f"{prefix}{organisation} har missat två rapporteringstider – {title}"
        body = (
            f"{organisation} har inte lämnat lägesrapport till händelsen «{title}» "
            f"för rapporteringstiderna {earlier}{when}.\n"
            f"Rapportsidan: {link}"
        )
    body += f"\nHändelsens kod: {code}"
    if exercise:
        body = f"{EXERCISE_MARK} – {EXERCISE_MARK} – {EXERCISE_MARK}\n\n{body}"
    return Reminder(subject=f"{subject} [{code}]", text=body)


def answerable(message: Reminder, template: str) -> Reminder:
    """The e-mail reminder that can be answered to report: the reminder's lines as
    comments (`# …`), then the organisation's template (its latest report filled in).
    Sent back as it is, quoted or not, the whole mail reads as a valid report."""
    said = [f"# {line}" if line else "#" for line in message.text.split("\n")]
    text = (
        "\n".join(said) + "\n#\n"
        "# Svara på det här mejlet för att rapportera: ändra det som ändrats i mallen nedan\n"
        "# och skicka. Skriv bara Oförändrat om inget ändrats sedan förra rapporten.\n"
        "# Reply to this mail to report: change what has changed in the template below.\n\n"
        f"{template}"
    )
    return Reminder(subject=message.subject, text=text)
