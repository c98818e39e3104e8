"""The audit log as CSV (the admin page's download and nothing else): the project's
formula guard on every cell, so a spreadsheet runs nothing an attacker typed (a failed
log-in's "e-mail address" is anybody's text)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from service.audit.repo import AuditRow
from service.export.cells import formula_guard

CSV_COLUMNS = ("id", "at", "kind", "actor", "organisation", "source", "request_id", "details")


def as_csv(rows: Iterable[AuditRow]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read å, ä and ö as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            formula_guard(value)
            for value in (
                row.id,
                row.at.isoformat(),
                row.kind,
                row.actor,
                row.organisation or "",
                row.source or "",
                row.request_id or "",
                json.dumps(row.details, ensure_ascii=False, sort_keys=True),
            )
        )
    return out.getvalue()
