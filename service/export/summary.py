"""A published summary as people read it: the printable A4 page (Swedish), the plain
text of its e-mail and the e-mail's subject (ÖVNING first for exercises)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schemas.summary import PublishedSummary
from service.domain.labels import EXERCISE_MARK, label, local_time
from service.export.formats import templates


def as_html(summary: PublishedSummary) -> str:
    return templates().get_template("summary.html").render(s=summary)


# The journal's categories as a summary's e-mail names them (Swedish, as the rest of it).
_JOURNAL_KINDS = {"event": "Händelse", "decision": "Beslut", "contact": "Kontakt"}


def subject(summary: PublishedSummary) -> str:
    """`ÖVNING: Samlad lägesbild nr 2 – Storm i Sjuhärad (Länsstyrelsen …)`, on one line."""
    text = (
        f"Samlad lägesbild nr {summary.number} – {summary.incident.title} "
        f"({summary.incident.owner_name})"
    )
    if summary.corrects is not None:
        text += f", rättar nr {summary.corrects}"
    text = " ".join(text.split())
    return f"{EXERCISE_MARK}: {text}" if summary.incident.exercise else text


def as_text(summary: PublishedSummary) -> str:
    lines: list[str] = []
    if summary.incident.exercise:
        lines += [label("exercise_banner"), ""]
    lines += [
        f"Samlad lägesbild nr {summary.number}: {summary.incident.title}",
        f"{summary.incident.owner_name}, län {summary.incident.county}",
        f"Publicerad {local_time(summary.published_at)} av {summary.published_by}"
        + (f", rättar nr {summary.corrects}" if summary.corrects else ""),
        f"Rapportering: {summary.reporting.received} av {summary.reporting.expected}",
        "",
        "SAMLAD BEDÖMNING",
        summary.assessment or "–",
        "",
        "PÅVERKAN PER SAMHÄLLSVIKTIG VERKSAMHET",
    ]
    for sector in summary.sectors:
        line = f"- {label('sector.' + sector.sector)}: {label('impact.' + sector.level)}"
        if sector.overridden:
            line += f" (lägesbilden: {label('impact.' + sector.picture_level)}; {sector.reason})"
        if sector.comment:
            line += f". {sector.comment}"
        lines.append(line)
    development = label("trend." + summary.development.trend)
    if summary.development.text:
        development += f": {summary.development.text}"
    lines += ["", "FÖRVÄNTAD UTVECKLING", development, "", "VIDTAGNA ÅTGÄRDER"]
    lines += [f"- {m}" for m in summary.measures_taken] or ["–"]
    lines += ["", "PLANERADE ÅTGÄRDER"]
    lines += [f"- {m}" for m in summary.measures_planned] or ["–"]
    lines += ["", "BEGÄRAN TILL NATIONELL NIVÅ"]
    lines += [
        f"- [{r.id}] {r.text} ({label('urgency.' + r.urgency)}, {label('need.' + r.status)})"
        for r in summary.requests
    ] or ["–"]
    if summary.journal:
        lines += ["", "VÄSENTLIGT I DAGBOKEN"]
        for entry in summary.journal:
            line = f"- {entry.number}. {local_time(entry.at)} {_JOURNAL_KINDS[entry.category]}"
            line += f": {entry.text}"
            if entry.decided_by:
                line += f" (beslut av {entry.decided_by})"
            if entry.corrected_by:
                line += f" (rättad av nr {', '.join(map(str, entry.corrected_by))})"
            lines.append(line)
    lines += ["", "ÖVRIG INFORMATION", summary.other or "–", ""]
    if summary.incident.exercise:
        lines += [EXERCISE_MARK, ""]
    return "\n".join(lines)


def for_recipients(summary: PublishedSummary) -> tuple[str, str, str]:
    """(subject, text, html) of the e-mail every recipient gets."""
    return subject(summary), as_text(summary), as_html(summary)


@dataclass(frozen=True)
class SummaryFormat:
    """A published summary as a document (`?format=NAME` on `/summaries/{n}`)."""

    name: str
    media_type: str
    render: Callable[[PublishedSummary], bytes]
    charset: str | None = "utf-8"


def _json(summary: PublishedSummary) -> bytes:
    return summary.model_dump_json().encode()


def _html(summary: PublishedSummary) -> bytes:
    return as_html(summary).encode()


def core_summary_formats() -> list[SummaryFormat]:
    return [
        SummaryFormat("json", "application/json", _json),
        SummaryFormat("html", "text/html", _html),
    ]
