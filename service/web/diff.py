"""What changed between two consecutive reports of one organisation: fields, not JSON text.

Pure: the history page renders these; the report form does the same in the browser
before sending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.common import SECTORS
from schemas.report import ReportContent
from service.domain.labels import local_time


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    before: str
    after: str


def changes(
    before: ReportContent | None, after: ReportContent, t: Callable[[str], str]
) -> list[Change]:
    """Each field whose meaning differs, with both values as a reader would write them."""
    old = _fields(before, t) if before is not None else {}
    new = _fields(after, t)
    found = []
    for key in dict.fromkeys([*new, *old]):
        was, now = old.get(key, ("", ""))[1], new.get(key, ("", ""))[1]
        if was != now:
            label = (new.get(key) or old[key])[0]
            found.append(Change(label, was or "–", now or "–"))
    return found


def _fields(report: ReportContent, t: Callable[[str], str]) -> dict[str, tuple[str, str]]:
    """key → (label, display value) for every field of a report, in form order."""
    fields: dict[str, tuple[str, str]] = {
        "situation": (t("field.situation"), report.situation),
        "trend": (t("field.trend"), t(f"trend.{report.development.trend}")),
        "development": (t("field.development"), report.development.text),
    }
    by_sector = {entry.sector: entry for entry in report.sectors}
    for sector in SECTORS:
        entry = by_sector.get(sector)
        status = t(f"impact.{entry.status}") if entry else ""
        text = f"{status}: {entry.text}" if entry and entry.text else status
        fields[f"sector.{sector}"] = (t(f"sector.{sector}"), text)
    fields["measures_taken"] = (t("field.measures_taken"), "\n".join(report.measures_taken))
    fields["measures_planned"] = (t("field.measures_planned"), "\n".join(report.measures_planned))
    for need in report.needs:
        value = f"{need.text} ({t(f'urgency.{need.urgency}')}, {t(f'need.{need.status}')})"
        fields[f"need.{need.need_id}"] = (f"{t('field.need')} {need.need_id}", value)
    management = report.management
    fields["management"] = (
        t("field.management"),
        _joined(t(f"management.{management.level}"), management.text) if management else "",
    )
    fields["public_information"] = (t("field.public_information"), report.public_information)
    contact = report.contact
    fields["contact"] = (
        t("field.contact"),
        ", ".join(part for part in (contact.name, contact.phone, contact.email) if part)
        if contact
        else "",
    )
    fields["next_report_at"] = (
        t("field.next_report_at"),
        local_time(report.next_report_at) if report.next_report_at else "",
    )
    return fields


def _joined(*parts: Any) -> str:
    return " – ".join(str(part) for part in parts if part)
