"""A drill's result from its notifications and first reports: pure."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from schemas.drill import DrillOrganisation, DrillResult
from service.drills.repo import DrillRow, FirstReport, Notification
from service.drills.result import figures, result, to_csv

T0 = datetime.fromisoformat("2026-12-10T09:00:00+01:00")
DRILL = DrillRow(
    id=uuid.UUID(int=1),
    incident_id=uuid.UUID(int=2),
    county="14",
    message="Kvartalsövning",
    respond_minutes=30,
    respond_by=T0 + timedelta(minutes=30),
    started_at=T0,
    started_by="LST-14",
    started_by_actor="tib@lst14.example.se",
    invitations=False,
    participants=["1440", "1442", "1443", "1480"],
)
ORGS = [
    DrillOrganisation(code="1440", name="Ale"),
    DrillOrganisation(code="1442", name="Vårgårda"),
    DrillOrganisation(code="1443", name="Bollebygd"),
    DrillOrganisation(code="1480", name="Göteborg"),
]


def _result() -> DrillResult:
    return result(
        DRILL,
        title="Kvartalsövning Q4",
        organisations=ORGS,
        notifications=[
            Notification("1440", "email", T0, T0 + timedelta(seconds=4)),
            Notification("1442", "email", T0, T0 + timedelta(seconds=3)),
            Notification("1442", "webhook:2", T0, None),
            Notification("1480", "sms", T0, T0 + timedelta(seconds=6)),
        ],
        first_reports=[
            FirstReport("1440", T0 + timedelta(minutes=7), None),
            FirstReport("1442", T0 + timedelta(minutes=18), "mail"),
            FirstReport("1480", T0 + timedelta(minutes=41), "sms"),
        ],
        now=T0 + timedelta(hours=1),
    )


def test_each_participant_has_its_channels_response_and_whether_in_time() -> None:
    found = result(
        DRILL,
        title="Q4",
        organisations=ORGS,
        notifications=[Notification("1442", "webhook:2", T0, None)],
        first_reports=[FirstReport("1442", T0 + timedelta(minutes=30), "link")],
        now=T0,
    )
    entries = {p.organisation.code: p for p in found.participants}
    assert [(c.channel, c.delivered_at) for c in entries["1442"].channels] == [("webhook", None)]
    assert entries["1442"].responded_by_channel == "link"
    assert entries["1442"].in_time is True  # at the deadline itself
    assert entries["1440"].notified_at is None
    assert found.not_responded == ["1440", "1443", "1480"]
    assert found.status == "running"


def test_the_share_counts_everyone_and_the_median_only_those_who_responded() -> None:
    found = _result()
    counted = figures(found.participants)
    assert counted.participants == 4
    assert counted.responded == 3
    assert counted.responded_in_time == 2
    assert counted.share_in_time == 0.5
    assert counted.median_response_seconds == 18 * 60
    assert figures([]).share_in_time is None


def test_the_csv_has_one_row_per_participant_with_its_deliveries_in_order() -> None:
    lines = to_csv(_result()).splitlines()
    assert lines[0] == (
        "exercise,organisation,name,notified_at,channels,delivered,responded_at,channel,"
        "response_seconds,in_time"
    )
    assert lines[2] == (
        "ÖVNING,1442,Vårgårda,2026-12-10T09:00:00+01:00,email webhook,2026-12-10T09:00:03+01:00 -,"
        "2026-12-10T09:18:00+01:00,mail,1080,yes"
    )
    assert lines[3] == "ÖVNING,1443,Bollebygd,,,,,,,no"
    assert lines[4].endswith(",sms,2460,no")
