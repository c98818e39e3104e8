"""The whole incident for evaluation afterwards: JSON, CSV (one row per report), and the
after-action document in HTML (printable on A4).

Every export of an exercise says ÖVNING: in the JSON (`exercise` and the title
marker), on every CSV row, and on every printed page of the HTML document (a Jinja
template in `templates/`, labels from service.domain.labels).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import jinja2

from schemas.common import SECTORS, worst_impact
from schemas.incident import Incident
from schemas.inject import Inject
from schemas.report import StoredReport
from service.domain.labels import EXERCISE_MARK, label, local_time
from service.export import afteraction
from service.export.afteraction import AfterAction, Document
from service.export.cells import formula_guard

CSV_COLUMNS = [
    "exercise",
    "incident",
    "organisation",
    "organisation_name",
    "version",
    "report_id",
    "as_of",
    "received_at",
    "due_at",
    "late",
    "unchanged",
    "impact",
    *(f"sector_{sector}" for sector in SECTORS),
    "trend",
    "management",
    "open_needs",
    "situation",
    "development",
    "measures_taken",
    "measures_planned",
    "needs",
    "public_information",
]


def as_json(
    incident: Incident,
    reports: list[StoredReport],
    events: list[dict[str, Any]],
    picture: dict[str, Any],
    exported_at: str,
) -> dict[str, Any]:
    return {
        "exercise": incident.exercise,
        "marking": EXERCISE_MARK if incident.exercise else None,
        "exported_at": exported_at,
        "incident": incident.model_dump(mode="json"),
        "picture": picture,
        "reports": [report.model_dump(mode="json") for report in reports],
        "events": events,
    }


def csv_row(incident: Incident, report: StoredReport, names: dict[str, str]) -> list[object]:
    """One report as a CSV row (`CSV_COLUMNS`), every cell through the formula guard."""
    sectors = {entry.sector: entry.status for entry in report.sectors}
    return [
        formula_guard(value)
        for value in [
            EXERCISE_MARK if incident.exercise else "",
            incident.title,
            report.organisation,
            names.get(report.organisation, ""),
            report.version,
            str(report.report_id),
            report.as_of.isoformat(),
            report.received_at.isoformat(),
            report.due_at.isoformat() if report.due_at else "",
            "yes" if report.late else "no",
            "yes" if report.unchanged else "no",
            worst_impact(entry.status for entry in report.sectors),
            *(sectors.get(sector, "") for sector in SECTORS),
            report.development.trend,
            report.management.level if report.management else "",
            sum(1 for need in report.needs if need.status == "open"),
            report.situation,
            report.development.text,
            " | ".join(report.measures_taken),
            " | ".join(report.measures_planned),
            " | ".join(f"{n.need_id}: {n.text} ({n.urgency}, {n.status})" for n in report.needs),
            report.public_information,
        ]
    ]


def as_csv(incident: Incident, reports: Iterable[StoredReport], names: dict[str, str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read å, ä and ö as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        writer.writerow(csv_row(incident, report, names))
    return out.getvalue()


# --- an exercise's injects as CSV ---------------------------------------------------------

INJECT_CSV_COLUMNS = (
    "marking",
    "incident",
    "number",
    "state",
    "scheduled_at",
    "delivered_at",
    "withdrawn_at",
    "audience",
    "text",
    "attachments",
)


def injects_csv(incident: Incident, injects: Iterable[Inject]) -> str:
    """The injects one caller sees, one row each, in script order (every cell through
    the formula guard); `audience` empty for every participant."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INJECT_CSV_COLUMNS)
    for inject in injects:
        writer.writerow(
            [
                formula_guard(value)
                for value in [
                    EXERCISE_MARK if incident.exercise else "",
                    incident.title,
                    inject.number,
                    inject.state,
                    inject.deliver_at.isoformat(),
                    inject.delivered_at.isoformat() if inject.delivered_at else "",
                    inject.withdrawn_at.isoformat() if inject.withdrawn_at else "",
                    " ".join(inject.audience or []),
                    inject.text,
                    " | ".join(a.name for a in inject.attachments),
                ]
            ]
        )
    return out.getvalue()


@functools.cache
def templates() -> jinja2.Environment:
    """The export's own templates (no web app needed), escaping everything they insert."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("service.export", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(label=label, local_time=local_time)
    return environment


JOURNAL_CATEGORIES = {"event": "Händelse", "decision": "Beslut", "contact": "Kontakt"}


def as_html(
    incident: Incident,
    events: Iterable[dict[str, Any]],
    names: dict[str, str],
    exported_at: datetime,
    *,
    drill_results: bool = True,
) -> str:
    """The after-action document: the log folded (`afteraction.AfterAction`), rendered."""
    builder = AfterAction(names=dict(names), drill_results=drill_results)
    for event in events:
        builder.observe(event)
    return render_after_action(incident, builder.document(), exported_at)


def render_after_action(incident: Incident, document: Document, exported_at: datetime) -> str:
    """One Swedish page, printable on A4: see templates/incident.html."""
    ended_at = document.ended_at or exported_at
    return (
        templates()
        .get_template("incident.html")
        .render(
            incident=incident,
            d=document,
            picture=document.picture,
            organisations=sorted(document.picture.get("organisations", {}).items()),
            sectors=SECTORS,
            exported_at=exported_at,
            ended_at=ended_at,
            panels=afteraction.chart(
                document.points, document.participants, incident.activated_at, ended_at
            ),
            ticks=afteraction.ticks(
                [line.due_at for line in document.rounds], incident.activated_at, ended_at
            ),
            width=afteraction.WIDTH,
            height=afteraction.HEIGHT,
            journal_category=lambda code: JOURNAL_CATEGORIES.get(code, str(code)),
        )
    )
