"""Reports that arrive as text (e-mail, SMS, invitation links) and the template they fill in.

Every text channel calls `submit_text` with who sends (a principal the channel has
established), the incident, the text and a stable key of its own for the message
(`email:<Message-ID>`, `sms:<provider message id>`, …). The text is read by
`service.domain.plaintext.parse` and submitted through `reporting.submit`, the same
function as `POST /api/v1/incidents/{id}/reports`: the same validation, idempotency,
versions, deadlines and `report.submitted` event.

The report id is `uuid5(TEXT_REPORTS, "text␟<organisation>␟<key>")`: the same
message delivered twice is one report (the repeat stores nothing), two organisations'
messages with the same key are two reports.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from schemas.report import Contact, Provenance, ReportContent, ReportSubmission, StoredReport
from service.access.policy import can_see
from service.access.principal import Principal
from service.domain import reporting
from service.domain.plaintext import (
    Header,
    LineError,
    ParseErrors,
    incident_code,
    normalise_code,
    parse,
    render,
)
from service.domain.reporting import Submitted
from service.errors import NotFound, ValidationFailed
from service.repo import Conn, incidents
from service.repo.incidents import IncidentRow

TEXT_REPORTS = uuid.UUID("3b0c6f55-2f7e-4a51-9d0e-6c1b8e5a7d42")


def text_report_id(organisation: str, key: str) -> uuid.UUID:
    """The report id of a text message: stable per organisation and the channel's key."""
    return uuid.uuid5(TEXT_REPORTS, f"text\x1f{organisation}\x1f{key}")


class TextReportInvalid(ValidationFailed):
    """A text that cannot be read as a report: one error per line, Swedish and English."""

    default_slug = "text-report-invalid"
    title = "The text cannot be read as a report"

    def __init__(self, found: ParseErrors) -> None:
        super().__init__(
            f"{len(found.errors)} line(s) cannot be read",
            errors=[(("text", error.line), error.text("sv")) for error in found.errors],
        )
        self.parse_errors = found


def submission_from_text(
    text: str, *, incident_id: uuid.UUID, organisation: str, key: str
) -> ReportSubmission:
    """The submission a text makes, or TextReportInvalid. Pure."""
    result = parse(text)
    if isinstance(result, ParseErrors):
        raise TextReportInvalid(result)
    expected = incident_code(incident_id)
    if result.incident_code is not None and result.incident_code != expected:
        line = result.incident_line or 1
        raise TextReportInvalid(
            ParseErrors(
                (
                    LineError(
                        line,
                        f"rapporten gäller händelse {result.incident_code}, "
                        f"men skickades för {expected}",
                        f"the report is for incident {result.incident_code}, "
                        f"but was sent for {expected}",
                    ),
                )
            )
        )
    body: dict[str, Any] = {
        "report_id": text_report_id(organisation, key),
        "organisation": organisation,
    }
    if result.unchanged:
        body["unchanged"] = True
    else:
        body.update(result.content.model_dump())
    return ReportSubmission.model_validate(body)


async def submit_text(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    text: str,
    key: str,
    now: datetime,
    *,
    provenance: Provenance | None = None,
) -> Submitted:
    """Submit a report written as text, for the principal's organisation (`provenance`
    names the channel it came by).

    An incident the sender may not see is 404, as for a missing one and as
    `POST /reports` answers (docs/access.md); a participant removed later is told so."""
    submission = submission_from_text(
        text, incident_id=incident_id, organisation=principal.organisation, key=key
    )
    async with pool.acquire() as conn:
        row = await incidents.get(conn, incident_id)
        hidden = row is None or (
            not can_see(principal, row.access)
            and not await incidents.was_removed(conn, incident_id, principal.organisation)
        )
    if hidden:
        raise NotFound(f"no incident {incident_id} that you may see")
    return await reporting.submit(
        pool, principal, incident_id, submission, now, provenance=provenance
    )


def template(incident: IncidentRow, previous: StoredReport | None, *, lang: str = "sv") -> str:
    """The text to fill in: the previous report's content (or an empty report), with a
    first line naming the incident and short hints as comments."""
    content = previous.content() if previous is not None else ReportContent(contact=Contact())
    header = Header(incident_code(incident.id), incident.title, incident.exercise)
    return render(content, header=header, lang="en" if lang == "en" else "sv", hints=True)


async def find_incident(conn: Conn, written: str) -> IncidentRow | None:
    """An incident by its id, or by its short code among the active incidents.

    A code two active incidents share (one in a billion per pair) finds neither.
    """
    try:
        incident_id = uuid.UUID(written)
    except ValueError:
        incident_id = None
    if incident_id is not None:
        return await incidents.get(conn, incident_id)
    code = normalise_code(written)
    if code is None:
        return None
    found = [i for i in await incidents.list_active_ids(conn) if incident_code(i) == code]
    return await incidents.get(conn, found[0]) if len(found) == 1 else None
