"""Incidents, stored reports and their events built in memory, for tests of pure code."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.incident import DailySchedule, Incident
from schemas.report import ReportContent, StoredReport

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
INCIDENT_ID = uuid.UUID("9a4c6f0e-3b1d-4c2a-8e5f-1d2c3b4a5e6f")


def incident(codes: list[str], *, exercise: bool = False, title: str = "Storm") -> Incident:
    return Incident(
        id=INCIDENT_ID,
        title=title,
        description="",
        county="14",
        owner="LST-14",
        severity="high",
        exercise=exercise,
        status="active",
        participants=codes,
        schedule=DailySchedule(times=["08:00"]),
        due_at=None,
        activated_at=T0,
        activated_by="LST-14",
        seq=1,
    )


def stored_report(code: str, sectors: Mapping[str, str], **content: Any) -> StoredReport:
    """A stored version 1 of `code`, stating `sectors` (sector → level) and `content`."""
    body = ReportContent.model_validate(
        {
            **content,
            "sectors": [{"sector": sector, "status": level} for sector, level in sectors.items()],
        }
    )
    return StoredReport(
        **body.model_dump(),
        report_id=uuid.uuid4(),
        incident_id=INCIDENT_ID,
        organisation=code,
        version=1,
        as_of=T0,
        received_at=T0,
        submitted_by="ISK",
        supersedes=None,
        unchanged=False,
        late=False,
        due_at=None,
    )


def events(of: Incident, reports: list[StoredReport]) -> list[dict[str, Any]]:
    """The log of `of`: its activation, then each report as `report.submitted`."""
    activated = {
        "seq": 1,
        "kind": "incident.activated",
        "at": T0.isoformat(),
        "actor": of.owner,
        "data": {
            "incident": of.model_dump(mode="json"),
            "participants": [{"code": code, "name": code} for code in of.participants],
            "due_at": None,
        },
    }
    submitted = [
        {
            "seq": seq,
            "kind": "report.submitted",
            "at": T0.isoformat(),
            "actor": report.organisation,
            "data": {"report": report.model_dump(mode="json")},
        }
        for seq, report in enumerate(reports, start=2)
    ]
    return [activated, *submitted]
