"""The `incidents` topic: who watches activations, changes and closures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.access.policy import IncidentAccess, can_see
from service.repo.incidents import IncidentRow
from service.stream import frames
from service.stream.connection import Connection

INCIDENTS_TOPIC = "incidents"


class IncidentWatchers:
    """Sockets subscribed to `incidents`.

    A watcher is registered before its snapshot is read; what is announced meanwhile
    is held and sent right after the snapshot, so nothing falls between the two.
    """

    def __init__(self) -> None:
        self._watchers: dict[Connection, list[frames.Frame] | None] = {}

    def __len__(self) -> int:
        return len(self._watchers)

    def begin(self, conn: Connection) -> list[frames.Frame]:
        held: list[frames.Frame] = []
        self._watchers[conn] = held
        return held

    def ready(
        self, conn: Connection, held: list[frames.Frame], rows: Iterable[IncidentRow]
    ) -> None:
        """Send the snapshot, then what was held; from now on frames go straight out."""
        listing = [_summary(row) for row in rows]
        conn.send(
            frames.dumps({"type": "snapshot", "topic": INCIDENTS_TOPIC, "incidents": listing})
        )
        if self._watchers.get(conn) is held:  # not unsubscribed meanwhile
            for frame in held:
                conn.send(frame)
            self._watchers[conn] = None

    def remove(self, conn: Connection) -> None:
        self._watchers.pop(conn, None)

    def announce(self, frame: frames.Frame, access: IncidentAccess) -> None:
        for conn, held in list(self._watchers.items()):
            if not can_see(conn.principal, access):
                continue
            if held is None:
                conn.send(frame)
            else:
                held.append(frame)


def announcement(incident_id: str, event: dict[str, Any], incident: dict[str, Any]) -> frames.Frame:
    return frames.dumps(
        {
            "type": "event",
            "topic": INCIDENTS_TOPIC,
            "incident_id": incident_id,
            "seq": event["seq"],
            "event": {key: event[key] for key in ("kind", "at", "actor", "data")},
            "incident": incident,
        }
    )


def _summary(row: IncidentRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "county": row.county,
        "severity": row.severity,
        "exercise": row.exercise,
        "status": row.status,
        "seq": row.last_seq,
    }
