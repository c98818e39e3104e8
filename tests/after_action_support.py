"""A storm day in memory, for tests of the after-action document: an incident's whole
log (activation, reports with needs and measures, closed rounds with someone late and
someone missing, journal entries, summaries, the closing and an evaluation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.incident import DailySchedule, Incident
from schemas.report import ReportContent, StoredReport
from service.clock import iso

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 13:00 in Stockholm
INCIDENT_ID = uuid.UUID("5b0c7e0a-1d2e-4f3a-9b8c-7d6e5f4a3b2c")
NAMES = {
    "1440": "Ale",
    "1441": "Lerum",
    "1442": "Vårgårda",
    "1443": "Bollebygd",
    "1444": "Grästorp",
    "1445": "Essunga",
    "1446": "Karlsborg",
    "1447": "Gullspång",
    "1452": "Tranemo",
    "1460": "Bengtsfors",
    "1461": "Mellerud",
    "1462": "Lilla Edet",
}


@dataclass
class Log:
    """Events appended in order with the next seq."""

    events: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, at: datetime, data: dict[str, Any], actor: str = "LST-14") -> None:
        seq = len(self.events) + 1
        self.events.append({"seq": seq, "kind": kind, "at": iso(at), "actor": actor, "data": data})

    def report(self, code: str, at: datetime, **content: Any) -> None:
        version = self.versions.get(code, 0) + 1
        self.versions[code] = version
        body = ReportContent.model_validate(content)
        stored = StoredReport(
            **body.model_dump(),
            report_id=uuid.uuid4(),
            incident_id=INCIDENT_ID,
            organisation=code,
            version=version,
            as_of=at,
            received_at=at,
            submitted_by=f"ISK {NAMES[code]}",
            supersedes=None,
            unchanged=False,
            late=False,
            due_at=None,
        )
        self.add("report.submitted", at, {"report": stored.model_dump(mode="json")}, code)


def incident(*, exercise: bool, closed_at: datetime | None) -> Incident:
    return Incident(
        id=INCIDENT_ID,
        title="Storm i Sjuhärad",
        description="Stormen Gorm fäller träd över ledningar i hela länet.",
        county="14",
        owner="LST-14",
        severity="high",
        exercise=exercise,
        status="closed" if closed_at else "active",
        participants=list(NAMES),
        schedule=DailySchedule(times=["08:00", "14:00", "20:00"]),
        due_at=None,
        activated_at=START,
        activated_by="LST-14",
        closed_at=closed_at,
        closed_by="LST-14" if closed_at else None,
        summary="Stormen är över; elen är tillbaka i alla kommuner." if closed_at else None,
        seq=1,
    )


def _sectors(level: str, energy: str) -> list[dict[str, str]]:
    return [
        {"sector": "energy", "status": energy},
        {"sector": "water", "status": level},
        {"sector": "transport", "status": "significant" if energy != "none" else "none"},
        {"sector": "communication", "status": level},
    ]


def storm_day(*, exercise: bool, rounds: int = 6, journal: int = 14) -> tuple[Incident, Log]:
    """Twelve municipalities through `rounds` deadlines (14:00, 20:00, 08:00, …): most on
    time, Mellerud late in every round, Lilla Edet never; needs opened and resolved;
    journal entries (every third significant, one corrected); two summaries."""
    log = Log()
    codes = list(NAMES)
    log.add(
        "incident.activated",
        START,
        {
            "incident": {
                "id": str(INCIDENT_ID),
                "title": "Storm i Sjuhärad",
                "county": "14",
                "owner": "LST-14",
                "severity": "high",
                "exercise": exercise,
                "status": "active",
                "activated_at": iso(START),
            },
            "participants": [{"code": code, "name": NAMES[code]} for code in codes],
            "due_at": iso(START + timedelta(hours=1)),
        },
    )
    deadlines = [START + timedelta(hours=1)]
    while len(deadlines) < rounds:
        last = deadlines[-1]
        deadlines.append(last + timedelta(hours=12 if last.hour == 19 else 6))  # 08, 14, 20
    previous = START
    levels = ["moderate", "significant", "serious", "critical", "serious", "moderate", "none"]
    for n, due in enumerate(deadlines, start=1):
        level = levels[min(n - 1, len(levels) - 1)]
        on_time = []
        for index, code in enumerate(codes[:10]):
            at = previous + timedelta(minutes=20 + 3 * index)
            energy = level if index % 2 == 0 else "moderate"
            needs = []
            if index % 3 == 0 and n < rounds - 1:
                needs.append(
                    {
                        "need_id": f"el-{code}",
                        "text": "Reservelverk till vattenverket",
                        "urgency": "high" if n > 2 else "medium",
                    }
                )
            if index == 4 and n == 2:
                needs.append(
                    {
                        "need_id": "sand",
                        "text": "Sandsäckar",
                        "urgency": "low",
                        "status": "resolved",
                    }
                )
            log.report(
                code,
                at,
                situation=f"Läget efter omgång {n - 1}: ledningar nere.",
                sectors=_sectors(level, energy),
                needs=needs,
                measures_taken=[f"Krisledningsstab aktiverad i {NAMES[code]}"]
                + ([f"Värmestuga öppnad omgång {n}"] if index % 4 == 0 else []),
                measures_planned=["Informationsmöte för allmänheten"] if index % 5 == 0 else [],
            )
            on_time.append(code)
        late_at = due + timedelta(minutes=40)
        log.add(
            "round.closed",
            due,
            {
                "n": n,
                "due_at": iso(due),
                "expected": codes,
                "on_time": sorted(on_time),
                "late": [],
                "overdue": ["1461", "1462"],
                "next_due_at": iso(deadlines[n]) if n < len(deadlines) else None,
            },
            "system",
        )
        log.report(
            "1461",
            due - timedelta(minutes=5),
            situation="Sent men på väg.",
            sectors=_sectors(level, level),
        )
        # Mellerud's report describes the time before the deadline but arrives after it
        log.events[-1]["data"]["report"]["received_at"] = iso(late_at)
        log.events[-1]["at"] = iso(late_at)
        if n in (2, 4):
            number = 1 if n == 2 else 2
            log.add(
                "summary.published",
                due + timedelta(minutes=50),
                {
                    "number": number,
                    "published_at": iso(due + timedelta(minutes=50)),
                    "published_by": "TiB Länsstyrelsen",
                    "picture_seq": len(log.events),
                    "corrects": None,
                    "summary": {
                        "assessment": f"Samlad bedömning nr {number}: elförsörjningen är "
                        "allvarligt störd i Sjuhärad.",
                        "requests": [
                            {
                                "id": "r-1",
                                "text": "Reservkraft till vattenverk",
                                "urgency": "high",
                                "status": "open",
                            }
                        ],
                    },
                },
            )
        previous = due
    for number in range(1, journal + 1):
        at = START + timedelta(minutes=37 * number)
        log.add(
            "journal.entry",
            at,
            {
                "number": number,
                "at": iso(at),
                "author": "Anna Andersson",
                "organisation": "LST-14",
                "category": ("event", "decision", "contact")[number % 3],
                "text": f"Anteckning {number}: samverkanskonferens med kommunerna.",
                "decided_by": "Länsråd" if number % 3 == 1 else None,
                "significant": number % 3 == 0,
                "corrects": None,
            },
        )
    at = START + timedelta(minutes=37 * (journal + 1))
    log.add(
        "journal.entry",
        at,
        {
            "number": journal + 1,
            "at": iso(at),
            "author": "Anna Andersson",
            "organisation": "LST-14",
            "category": "decision",
            "text": "Rättelse: värmestugan öppnar 18:00, inte 17:00.",
            "decided_by": "Länsråd",
            "significant": True,
            "corrects": 3,
        },
    )
    closed_at = deadlines[-1] + timedelta(hours=2)
    log.add(
        "incident.closed",
        closed_at,
        {
            "summary": "Stormen är över; elen är tillbaka i alla kommuner.",
            "closed_at": iso(closed_at),
            "closed_by": "LST-14",
        },
    )
    evaluated = closed_at + timedelta(days=3)
    log.add(
        "incident.evaluated",
        evaluated,
        {
            "by": "TiB Länsstyrelsen",
            "at": iso(evaluated),
            "worked": "Rapporteringen via e-post när webben låg nere.\nKommunerna svarade i tid.",
            "did_not_work": "Lilla Edet rapporterade aldrig; kontaktvägen saknades.",
            "actions": [
                {
                    "text": "Uppdatera kontaktlistan för Lilla Edet",
                    "owner": "Lilla Edet",
                    "due": "2027-01-15",
                },
                {
                    "text": "Öva Rakel-rapportering med alla kommuner",
                    "owner": "LST-14",
                    "due": None,
                },
            ],
        },
    )
    return incident(exercise=exercise, closed_at=closed_at), log
