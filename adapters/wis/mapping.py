"""Lägesbild ↔ WIS-style node, field by field (the tables in docs/exchange.md).

Pure functions: outbox payloads (events) become node bodies, node answers become
`ReportSubmission`s.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schemas.common import SECTORS
from service.clock import iso
from service.domain.labels import EXERCISE_MARK, local_time

AREA_KIND_INCIDENT = "Samhällsstörning"
AREA_KIND_EXERCISE = "Övning"

# The node's vocabulary (docs/exchange.md): the words a WIS node sends and reads back.
# They are a wire contract, not labels: today most equal service.domain.labels' Swedish
# labels, but a reworded label must not change what the node is sent or understands
# (the trend words already differ: "Oförändrad", "Okänd"). Pinned by tests/adapters.
SECTOR_SV: dict[str, str] = {
    "water": "Vatten och avlopp",
    "energy": "El och värme",
    "food": "Mat och livsmedel",
    "care": "Vård, omsorg och vardagsstöd",
    "communication": "Information, elektronisk kommunikation och samverkan",
    "transport": "Transporter",
    "other": "Övrigt",
}
SECTOR_FROM_SV = {name: code for code, name in SECTOR_SV.items()}

IMPACT_SV: dict[str, str] = {
    "none": "Ingen",
    "moderate": "Måttlig",
    "significant": "Betydande",
    "serious": "Allvarlig",
    "critical": "Kritisk",
}
IMPACT_FROM_SV = {name: code for code, name in IMPACT_SV.items()}

TREND_SV: dict[str, str] = {
    "improving": "Förbättras",
    "stable": "Oförändrad",
    "worsening": "Försämras",
    "unknown": "Okänd",
}
TREND_FROM_SV = {name.casefold(): code for code, name in TREND_SV.items()}

# The preset questions of a lägesbild request (begäran), as WIS asks them.
PRESET_QUESTIONS: tuple[str, ...] = (
    f"Påverkan per sektor ({', '.join(IMPACT_SV.values())})",
    "Händelseutveckling",
    "Tillstånd",
    "Förväntad utveckling",
    "Vidtagna åtgärder",
    "Planerade åtgärder",
)

_IDS = uuid.UUID("0b7c6a52-32c4-4a8e-b1f5-2f3f1f0e9a11")
ANSWER_IMPORTS = uuid.UUID("d2a7e3c1-8f4b-4f1e-9c7d-5b6a4e3f2d10")
LONG, SHORT, MAX_MEASURES = 10_000, 500, 100


def request_id(incident_id: str, deadline: datetime) -> str:
    """One request per incident and deadline, whichever event names the deadline first."""
    return str(uuid.uuid5(_IDS, f"request\x1f{incident_id}\x1f{iso(deadline)}"))


def report_id_for_answer(answer_id: str) -> uuid.UUID:
    """The report an answer from the node becomes: stable, so a repeat is a repeat."""
    return uuid.uuid5(ANSWER_IMPORTS, f"wis\x1f{answer_id}")


def marked(exercise: bool, text: str) -> str:
    """`text` marked as an exercise (`ÖVNING: …`), unless it says so already."""
    if not exercise or text.upper().startswith(EXERCISE_MARK):
        return text
    return f"{EXERCISE_MARK}: {text}"


def area(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`incident.activated` → an area (yta)."""
    incident = payload["data"]["incident"]
    exercise = bool(payload.get("exercise", incident.get("exercise", False)))
    return {
        "id": str(payload["incident_id"]),
        "namn": marked(exercise, incident["title"]),
        "typ": AREA_KIND_EXERCISE if exercise else AREA_KIND_INCIDENT,
        "beskrivning": incident.get("description", ""),
        "län": incident.get("county", ""),
        "ägare": incident.get("owner", ""),
        "deltagare": [
            {"kod": entry["code"], "namn": entry.get("name", "")}
            for entry in payload["data"].get("participants", [])
        ],
        "skapad": incident.get("activated_at", payload["at"]),
    }


def area_change(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`incident.updated` → a change of the area: name, description, participants."""
    data = payload["data"]
    changes = data.get("changes", {})
    body: dict[str, Any] = {
        "lägg_till_deltagare": [
            {"kod": entry["code"], "namn": entry.get("name", "")}
            for entry in data.get("participants_added", [])
        ],
        "ta_bort_deltagare": list(data.get("participants_removed", [])),
    }
    if "title" in changes:
        body["namn"] = marked(bool(payload.get("exercise")), changes["title"])
    if "description" in changes:
        body["beskrivning"] = changes["description"]
    return body


def request(incident_id: str, deadline: datetime, *, exercise: bool) -> dict[str, Any]:
    """A deadline → a request (begäran) with the preset questions and the answer deadline."""
    return {
        "id": request_id(incident_id, deadline),
        "titel": marked(exercise, f"Lägesrapport till {local_time(deadline)}"),
        "frågor": list(PRESET_QUESTIONS),
        "svarstid": iso(deadline),
    }


def answer(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`report.submitted` → an answer of the report's organisation."""
    report = payload["data"]["report"]
    due_at = report.get("due_at")
    development = report.get("development") or {}
    return {
        "id": str(report["report_id"]),
        "begäran": (
            request_id(str(payload["incident_id"]), datetime.fromisoformat(due_at))
            if due_at
            else None
        ),
        "aktör": report["organisation"],
        "lägestidpunkt": report["as_of"],
        "påverkan": [
            {
                "sektor": SECTOR_SV[entry["sector"]],
                "nivå": IMPACT_SV[entry["status"]],
                "kommentar": entry.get("text", ""),
            }
            for entry in report.get("sectors", [])
            if entry["status"] in IMPACT_SV  # WIS has no "unknown": the sector is left out
        ],
        "tillstånd": report.get("situation", ""),
        "händelseutveckling": development.get("text", ""),
        "förväntad_utveckling": TREND_SV.get(development.get("trend", "unknown"), "Okänd"),
        "vidtagna_åtgärder": "\n".join(report.get("measures_taken", [])),
        "planerade_åtgärder": "\n".join(report.get("measures_planned", [])),
        "ersätter": report.get("supersedes"),
    }


def summary_post(
    incident_id: str,
    seq: int,
    picture: Mapping[str, Any],
    *,
    exercise: bool,
    due_at: str | None,
    overdue: list[str] | None = None,
    reported: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """A closed round's consolidated picture → a summary post (anteckning).

    `overdue` is the closed round's own list when its event names one, else the picture's.
    `reported` is (received, expected) of the closed round when its event names them: the
    picture after the event already counts for the next deadline.
    """
    reporting = picture.get("reporting", {})
    received, expected = reported or (reporting.get("received", 0), reporting.get("expected", 0))
    lines = [
        f"Samlad lägesbild{f' vid {due_at}' if due_at else ''}: "
        f"{received} av {expected} aktörer har rapporterat.",
    ]
    overdue = overdue or reporting.get("overdue") or []
    if overdue:
        lines.append("Ej rapporterat i tid: " + ", ".join(map(str, overdue)) + ".")
    sectors = picture.get("sectors", {})
    for sector in SECTORS:
        worst = sectors.get(sector, {}).get("worst", "unknown")
        lines.append(f"{SECTOR_SV[sector]}: {IMPACT_SV.get(worst, 'Okänd')}")
    for code, org in sorted(picture.get("organisations", {}).items()):
        lines.append(
            f"{org.get('name', code)} ({code}): påverkan "
            f"{IMPACT_SV.get(org.get('impact', 'unknown'), 'Okänd')}, "
            f"utveckling {TREND_SV.get(org.get('trend', 'unknown'), 'Okänd')}, "
            f"öppna behov {org.get('open_needs', 0)}"
        )
    return {
        "id": str(uuid.uuid5(_IDS, f"summary\x1f{incident_id}\x1f{seq}")),
        "typ": "Sammanställning",
        "titel": marked(exercise, "Samlad lägesbild"),
        "text": "\n".join(lines),
        "lägesbild_seq": seq,
    }


def published_summary_post(summary: Mapping[str, Any], *, exercise: bool) -> dict[str, Any]:
    """A county board's published summary (`summary.published`) → the area's summary
    post (anteckning of type Sammanställning), numbered as the county board numbered it."""
    number = int(summary["number"])
    lines = [
        f"Samlad lägesbild nr {number} från {summary['incident']['owner_name']}"
        + (f", rättar nr {summary['corrects']}" if summary.get("corrects") else "")
        + ".",
        f"Bedömning: {summary.get('assessment') or '–'}",
    ]
    lines.extend(
        f"{SECTOR_SV.get(sector['sector'], sector['sector'])}: "
        f"{IMPACT_SV.get(sector['level'], 'Okänd')}"
        + (f" ({sector['reason']})" if sector.get("overridden") else "")
        for sector in summary.get("sectors") or []
    )
    development = summary.get("development") or {}
    lines.append(
        f"Förväntad utveckling: {TREND_SV.get(development.get('trend', 'unknown'), 'Okänd')}"
        + (f", {development['text']}" if development.get("text") else "")
    )
    lines.extend(f"Vidtagen åtgärd: {m}" for m in summary.get("measures_taken") or [])
    lines.extend(f"Planerad åtgärd: {m}" for m in summary.get("measures_planned") or [])
    lines.extend(
        f"Begäran till nationell nivå [{request['id']}]: {request['text']} "
        f"({request['urgency']}, {'öppen' if request['status'] == 'open' else 'löst'})"
        for request in summary.get("requests") or []
    )
    if summary.get("other"):
        lines.append(f"Övrigt: {summary['other']}")
    incident_id = str(summary["incident"]["id"])
    return {
        "id": str(uuid.uuid5(_IDS, f"published-summary\x1f{incident_id}\x1f{number}")),
        "typ": "Sammanställning",
        "titel": marked(exercise, f"Samlad lägesbild nr {number}"),
        "text": "\n".join(lines),
        "lägesbild_seq": int(summary["picture_seq"]),
        "nummer": number,
    }


def area_end(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`incident.closed` → the area ended, with the closing summary."""
    data = payload["data"]
    return {"avslutad": data.get("closed_at", payload["at"]), "sammanfattning": data["summary"]}


def submission(answer_body: Mapping[str, Any], *, received: str) -> dict[str, Any]:
    """A node answer → the body of a `ReportSubmission` (validated by the caller).

    Text longer than Lägesbild keeps is cut; a sector or level the node does not
    name in Lägesbild's vocabulary is left out; `förväntad utveckling` becomes the
    trend when it is one of the trend words, else it is kept as text.
    """
    sectors = []
    seen: set[str] = set()
    for entry in answer_body.get("påverkan") or []:
        sector = SECTOR_FROM_SV.get(str(entry.get("sektor", "")))
        level = IMPACT_FROM_SV.get(str(entry.get("nivå", "")))
        if sector is None or level is None or sector in seen:
            continue
        seen.add(sector)
        sectors.append(
            {"sector": sector, "status": level, "text": str(entry.get("kommentar", ""))[:LONG]}
        )
    expected = str(answer_body.get("förväntad_utveckling") or "").strip()
    trend = TREND_FROM_SV.get(expected.casefold())
    development_text = str(answer_body.get("händelseutveckling") or "")
    if trend is None and expected:
        development_text = f"{development_text}\nFörväntad utveckling: {expected}".strip()
    return {
        "report_id": str(report_id_for_answer(str(answer_body["id"]))),
        "organisation": str(answer_body["aktör"]),
        "as_of": answer_body.get("lägestidpunkt") or received,
        "situation": str(answer_body.get("tillstånd") or "")[:LONG],
        "development": {"trend": trend or "unknown", "text": development_text[:LONG]},
        "sectors": sectors,
        "measures_taken": _lines(answer_body.get("vidtagna_åtgärder")),
        "measures_planned": _lines(answer_body.get("planerade_åtgärder")),
    }


def _lines(value: object) -> list[str]:
    text = str(value or "")
    return [line.strip()[:SHORT] for line in text.splitlines() if line.strip()][:MAX_MEASURES]
