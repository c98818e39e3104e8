"""The drill's notification, in Swedish, ÖVNING first. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime

from service.domain.labels import EXERCISE_MARK, local_time
from service.domain.plaintext import incident_code
from service.rounds.messages import Reminder, report_path


def notification(
    *,
    incident_id: uuid.UUID,
    title: str,
    message: str,
    respond_by: datetime,
    organisation: str,
    base_url: str,
    invitation_link: str | None = None,
) -> Reminder:
    """The mail (and webhook) text: the county board's message, the deadline, the report
    link, and the invitation link when there is one."""
    code = incident_code(incident_id)
    when = local_time(respond_by)
    link = base_url.rstrip("/") + report_path(incident_id)
    lines = [
        f"{EXERCISE_MARK} – {EXERCISE_MARK} – {EXERCISE_MARK}",
        "",
        f"Rapporteringsövning: {organisation} ombeds lämna lägesrapport i övningen «{title}» "
        f"senast {when}.",
        "",
        message,
        "",
        f"Rapportera här: {link}",
    ]
    if invitation_link is not None:
        lines.append(f"Eller utan konto, med länken: {invitation_link}")
    lines += [f"Händelsens kod: {code}", "", f"{EXERCISE_MARK} – detta är en övning."]
    return Reminder(
        subject=(
            f"{EXERCISE_MARK} Rapporteringsövning: lägesrapport senast {when} – {title} [{code}]"
        ),
        text="\n".join(lines),
    )


def sms_text(*, incident_id: uuid.UUID, title: str, respond_by: datetime) -> str:
    """One short SMS: an answer with the plain-text report names the incident by code."""
    code = incident_code(incident_id)
    return (
        f"{EXERCISE_MARK}: rapporteringsövning «{title[:60]}». Svara med lägesrapport senast "
        f"{local_time(respond_by)}. Händelse: {code}"
    )
