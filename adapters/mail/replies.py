"""The answers to reports by e-mail, Swedish first and English below. Pure.

Each answer is plain text and threads under the mail it answers (`In-Reply-To`,
`References`). An answer says what was stored (organisation, incident, version), or
why nothing was: every line that cannot be read with its number and the line as
written, or what is wrong with the mail as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.mail.reading import ReadMail
from schemas.report import StoredReport
from service.domain.labels import EXERCISE_MARK, local_time
from service.domain.plaintext import ParseErrors
from service.repo.incidents import IncidentRow

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RE = re.compile(r"^\s*(re|sv|svar|aw)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Answer:
    subject: str
    text: str


# A Message-ID the `email` channel puts in a header as it is; others are left out.
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")
_REFERENCES_KEPT = 20  # the thread's latest ones: enough to thread, never an endless header


def payload(answer: Answer, mail: ReadMail, to: str) -> dict[str, Any]:
    """The `email` outbox payload of an answer to `mail`."""
    thread = [m for m in [*mail.references, mail.message_id] if _MESSAGE_ID.fullmatch(m)]
    thread = list(dict.fromkeys(thread))[-_REFERENCES_KEPT:]
    body: dict[str, Any] = {
        "to": [to],
        "subject": answer.subject,
        "text": answer.text,
        "references": thread,
        "auto_submitted": "auto-replied",
    }
    if _MESSAGE_ID.fullmatch(mail.message_id):
        body["in_reply_to"] = mail.message_id
    return body


def _subject(mail: ReadMail, what: str) -> str:
    original = mail.subject or what
    subject = original if _RE.match(original) else f"Re: {original}"
    return subject[:400]


def _both(sv: str, en: str) -> str:
    return f"{sv}\n\n-- In English --\n\n{en}\n"


def _incident_line(incident: IncidentRow, code: str) -> str:
    marked = incident.exercise and not incident.title.startswith(EXERCISE_MARK)
    return f"{EXERCISE_MARK + ' ' if marked else ''}{incident.title} [{code}]"


def stored(
    mail: ReadMail, report: StoredReport, incident: IncidentRow, code: str, *, repeat: bool
) -> Answer:
    """The report is stored (or was already, for a repeat of the same mail)."""
    when = local_time(report.received_at)
    what = _incident_line(incident, code)
    mark = f"{EXERCISE_MARK} – " if incident.exercise else ""
    if repeat:
        sv = (
            f"{mark}Lägesrapporten finns redan: samma meddelande kom tidigare och lagrades "
            f"som version {report.version} ({when}).\n"
            f"Organisation: {report.organisation}\nHändelse: {what}\n"
            "Inget nytt lagrades."
        )
        en = (
            f"{mark}The situation report is already stored: the same message came earlier "
            f"and was stored as version {report.version} ({when}).\n"
            f"Organisation: {report.organisation}\nIncident: {what}\n"
            "Nothing new was stored."
        )
    else:
        late = " Rapporten kom efter rapporteringstiden." if report.late else ""
        late_en = " The report came after the deadline." if report.late else ""
        sv = (
            f"{mark}Tack! Lägesrapporten är mottagen och lagrad som version "
            f"{report.version} ({when}).{late}\n"
            f"Organisation: {report.organisation}\nHändelse: {what}\n"
            "Svara på det här mejlet med en ny rapport för att rätta eller uppdatera den."
        )
        en = (
            f"{mark}Thank you. The situation report is received and stored as version "
            f"{report.version} ({when}).{late_en}\n"
            f"Organisation: {report.organisation}\nIncident: {what}\n"
            "Answer this mail with a new report to correct or update it."
        )
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))


def unreadable(mail: ReadMail, found: ParseErrors) -> Answer:
    """Lines that cannot be read: each with its number and the line as written."""
    lines = _LINE_BREAK.split(mail.text)

    def listed(lang: str) -> str:
        out: list[str] = []
        for error in found.errors:
            out.append(error.text("sv" if lang == "sv" else "en"))
            if 1 <= error.line <= len(lines) and lines[error.line - 1].strip():
                out.append(f"    > {lines[error.line - 1].strip()[:200]}")
        return "\n".join(out)

    sv = (
        "Lägesrapporten kunde inte läsas, så inget lagrades. Rätta raderna nedan och "
        f"skicka igen:\n\n{listed('sv')}"
    )
    en = (
        "The situation report could not be read, so nothing was stored. Correct the lines "
        f"below and send it again:\n\n{listed('en')}"
    )
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))


def unknown_sender(mail: ReadMail, address: str) -> Answer:
    sv = (
        f"Inget lagrades: avsändaren {address} är inte registrerad som kontakt eller "
        "rapportör för någon organisation i Lägesbild. Skicka från en registrerad adress, "
        "eller be länsstyrelsens administratör lägga till adressen."
    )
    en = (
        f"Nothing was stored: the sender {address} is not registered as a contact or "
        "reporter of any organisation in Lägesbild. Send from a registered address, or ask "
        "the county board's administrator to add this one."
    )
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))


def no_incident(mail: ReadMail, codes: Sequence[str]) -> Answer:
    if codes:
        named = ", ".join(codes)
        sv = (
            f"Inget lagrades: det finns ingen pågående händelse med koden {named} som din "
            "organisation deltar i. Kontrollera koden i påminnelsen eller på lägesbilden."
        )
        en = (
            f"Nothing was stored: there is no ongoing incident with the code {named} in which "
            "your organisation takes part. Check the code in the reminder or on the dashboard."
        )
    else:
        sv = (
            "Inget lagrades: mejlet säger inte vilken händelse rapporten gäller. Skriv "
            "händelsens kod i ämnesraden, t.ex. [K7Q-4M2], eller en rad "
            "”Händelse: K7Q-4M2” först i rapporten (koden står i påminnelsen och på "
            "lägesbilden)."
        )
        en = (
            "Nothing was stored: the mail does not say which incident the report is for. "
            "Write the incident's code in the subject, e.g. [K7Q-4M2], or a line "
            "“Händelse: K7Q-4M2” first in the report (the code is in the reminder and on "
            "the dashboard)."
        )
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))


def several_organisations(mail: ReadMail, address: str, codes: Sequence[str]) -> Answer:
    named = ", ".join(codes)
    sv = (
        f"Inget lagrades: adressen {address} är registrerad för flera organisationer som "
        f"deltar i händelsen ({named}), så det går inte att veta vilken rapporten gäller. "
        "Skicka från en adress som hör till en av dem."
    )
    en = (
        f"Nothing was stored: the address {address} is registered for several organisations "
        f"taking part in the incident ({named}), so which one the report is for is unknown. "
        "Send from an address of one of them."
    )
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))


# Refusals of the report itself (the problems of `POST /reports`), by slug.
_REFUSED: dict[str, tuple[str, str]] = {
    "incident-closed": (
        "händelsen är avslutad och tar inte emot fler rapporter",
        "the incident is closed and takes no more reports",
    ),
    "no-earlier-report": (
        "Oförändrat kräver en tidigare rapport; skicka en hel rapport först",
        "Unchanged needs an earlier report; send a full report first",
    ),
    "report-conflict": (
        "samma meddelande kom tidigare med annat innehåll; skicka rapporten som ett nytt mejl",
        "the same message came earlier with other content; send the report as a new mail",
    ),
    "not-participant": (
        "din organisation deltar inte längre i händelsen",
        "your organisation no longer takes part in the incident",
    ),
}


def refused(mail: ReadMail, slug: str, detail: str) -> Answer:
    sv_why, en_why = _REFUSED.get(slug, (f"rapporten godtogs inte ({detail})", detail))
    sv = f"Inget lagrades: {sv_why}."
    en = f"Nothing was stored: {en_why}."
    return Answer(_subject(mail, "Lägesrapport"), _both(sv, en))
