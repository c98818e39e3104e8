"""The whole incident for evaluation afterwards: JSON, CSV (one row per report), HTML.

Every export of an exercise says ÖVNING: in the JSON (`exercise` and the title
marker), on every CSV row, and as a banner on the HTML page.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from typing import Any

from schemas.common import SECTORS, worst_impact
from schemas.incident import Incident
from schemas.report import StoredReport
from service.domain.labels import EXERCISE_MARK, label

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


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(incident: Incident, reports: Iterable[StoredReport], names: dict[str, str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read å, ä and ö as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        sectors = {entry.sector: entry.status for entry in report.sectors}
        writer.writerow(
            _cell(value)
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
                " | ".join(
                    f"{n.need_id}: {n.text} ({n.urgency}, {n.status})" for n in report.needs
                ),
                report.public_information,
            ]
        )
    return out.getvalue()


def _impact(level: str) -> str:
    return label(f"impact.{level}")


def as_html(
    incident: Incident, reports: list[StoredReport], picture: dict[str, Any], names: dict[str, str]
) -> str:
    e = html.escape
    banner = (
        f'<p class="exercise" role="note"><strong>{e(label("exercise_banner"))}</strong></p>'
        if incident.exercise
        else ""
    )
    title = f"{EXERCISE_MARK}: {incident.title}" if incident.exercise else incident.title
    head_cells = "".join(f"<th scope='col'>{e(label(f'sector.{s}'))}</th>" for s in SECTORS)
    rows = []
    for code, org in sorted(picture.get("organisations", {}).items()):
        cells = "".join(
            f"<td>{e(_impact(org.get('sectors', {}).get(s, 'unknown')))}</td>" for s in SECTORS
        )
        rows.append(
            f"<tr><th scope='row'>{e(org.get('name', code))} ({e(code)})</th>"
            f"<td>{e(_impact(org.get('impact', 'unknown')))}</td>{cells}</tr>"
        )
    history = "".join(
        f"<li><strong>{e(names.get(r.organisation, r.organisation))}</strong>, version {r.version},"
        f" {e(r.as_of.isoformat())}{' (oförändrat)' if r.unchanged else ''}"
        f"{' (sen)' if r.late else ''}: {e(r.situation)}</li>"
        for r in reports
    )
    summary = f"<h2>Sammanfattning</h2><p>{e(incident.summary)}</p>" if incident.summary else ""
    return f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} – Lägesbild</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}}
.exercise{{background:#ffd400;color:#000;padding:.75rem 1rem;font-size:1.25rem;
border:3px solid #000}}
table{{border-collapse:collapse}}th,td{{border:1px solid #666;padding:.25rem .5rem;text-align:left}}
</style></head>
<body><main>
{banner}
<h1>{e(title)}</h1>
<p>Län {e(incident.county)} · allvarlighet {e(incident.severity)} · status {e(incident.status)}
· aktiverad {e(incident.activated_at.isoformat())} av {e(incident.activated_by)}</p>
<p>{e(incident.description)}</p>
{summary}
<h2>Samlad lägesbild (seq {int(picture.get("seq", 0))})</h2>
<table><thead><tr><th scope="col">Organisation</th><th scope="col">Påverkan</th>{head_cells}
</tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>Rapporter</h2><ol>{history}</ol>
</main></body></html>
"""
