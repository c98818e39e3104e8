"""A drill's result as the incident's log tells it, for the exports (which read the log
alone): `drill.started` names the participants, the deadline and the channels each was
notified by; each participant's first `report.submitted` is its response. Deliveries
are not in the log: the drill's own result (`GET /api/v1/drills/{id}`) reads them from
the outbox. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from schemas.drill import DrillOrganisation, DrillParticipant
from service.drills.repo import DrillRow, FirstReport, Notification
from service.drills.result import figures, participant


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


class DrillLog:
    """`"drill"` in the JSON export, and the after-action document's drill section."""

    key = "drill"

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._started: dict[str, Any] | None = None
        self._at: datetime | None = None
        self._actor = ""
        self._first: dict[str, FirstReport] = {}

    def observe(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        data = event.get("data") or {}
        try:
            if kind == "incident.activated":
                for entry in data.get("participants") or []:
                    self._names[str(entry["code"])] = str(entry.get("name") or entry["code"])
            elif kind == "drill.started" and self._started is None:
                self._started, self._at = data, _moment(event["at"])
                self._actor = str(event.get("actor", ""))
            elif kind == "report.submitted" and self._started is not None:
                report = data["report"]
                code = str(report["organisation"])
                if code not in self._first:
                    via = (report.get("provenance") or {}).get("via")
                    self._first[code] = FirstReport(code, _moment(report["received_at"]), via)
        except (KeyError, TypeError, ValueError):
            return  # as the fold: an event that cannot be read adds nothing

    def respond_by(self) -> datetime | None:
        return None if self._started is None else _moment(self._started["respond_by"])

    def participants(self) -> list[DrillParticipant] | None:
        if self._started is None or self._at is None:
            return None
        data = self._started
        drill = DrillRow(
            id=uuid.UUID(str(data["drill_id"])),
            incident_id=uuid.UUID(int=0),
            county="",
            message=str(data.get("message", "")),
            respond_minutes=int(data["respond_minutes"]),
            respond_by=_moment(data["respond_by"]),
            started_at=self._at,
            started_by=self._actor,
            started_by_actor=self._actor,
            invitations=False,
            participants=[str(code) for code in data.get("participants") or []],
        )
        notified = data.get("notified") or {}
        return [
            participant(
                drill,
                DrillOrganisation(code=code, name=self._names.get(code, code)),
                [Notification(code, channel, self._at, None) for channel in notified.get(code, [])],
                self._first.get(code),
            )
            for code in drill.participants
        ]

    def value(self) -> dict[str, Any] | None:
        found = self.participants()
        if found is None or self._started is None:
            return None
        return {
            "drill_id": self._started["drill_id"],
            "started_at": self._at.isoformat() if self._at else None,
            "respond_by": self._started["respond_by"],
            "respond_minutes": self._started["respond_minutes"],
            "message": self._started.get("message", ""),
            "participants": [
                {
                    **p.model_dump(mode="json", exclude={"channels"}),
                    "notified_by": [c.channel for c in p.channels],
                }
                for p in found
            ],
            "not_responded": [p.organisation.code for p in found if p.responded_at is None],
            "figures": figures(found).model_dump(mode="json"),
        }
