"""One incident's live state in an instance: its picture, who may see it, recent frames."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.access.policy import IncidentAccess
from service.picture.fold import Picture, advance, apply, empty_picture
from service.stream import frames
from service.stream.connection import Connection

LIFECYCLE = frozenset(
    {
        "incident.activated",
        "incident.updated",
        "incident.closed",
        "incident.shared",
        "incident.unshared",
    }
)
# The kinds that change who may see the incident.
ACCESS = frozenset({"incident.updated", "incident.shared", "incident.unshared"})


def incident_topic(incident_id: uuid.UUID) -> str:
    return f"incident:{incident_id}"


@dataclass
class Feed:
    """One incident as this instance knows it, advanced one event at a time."""

    incident_id: uuid.UUID
    picture: Picture
    ring: deque[tuple[int, frames.Frame]]  # (seq, encoded event frame), most recent events
    access: IncidentAccess = field(default_factory=lambda: _access_of({}))
    subscribers: set[Connection] = field(default_factory=set)
    # The access every subscriber was last checked against (each was checked on
    # subscribing): the fan-out looks at them again only when `access` changes.
    checked_access: IncidentAccess | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dirty: bool = False
    # Reads of the log begun, and the number of the last one finished (see
    # `Hub._catch_up_locked`): which callers a finished read has answered too.
    reads_begun: int = 0
    reads_done: int = 0
    catching_up: asyncio.Task[None] | None = None
    # Lifecycle events by seq, and the seqs already announced on the `incidents` topic.
    lifecycle: dict[int, dict[str, Any]] = field(default_factory=dict)
    announced: set[int] = field(default_factory=set)
    _snapshot: tuple[int, frames.Frame] | None = None

    @classmethod
    def from_log(
        cls,
        incident_id: uuid.UUID,
        log: Sequence[dict[str, Any]],
        replay_limit: int,
        *,
        start: Picture | None = None,
    ) -> Feed:
        """Fold the log (the events after `start`, a checkpoint, or the whole log). The
        last `replay_limit` events' frames fill the ring, so a viewer who resumes right
        after a restart is answered from memory like any other; who may see the incident
        is taken from the same fold, as of the same seq."""
        feed = cls(incident_id, start or empty_picture(), deque(maxlen=replay_limit))
        replayable_from = len(log) - replay_limit
        for index, event in enumerate(log):
            if index >= replayable_from:
                feed.picture, patch = apply(feed.picture, event)
                feed.ring.append((event["seq"], frames.event_frame(feed.topic, event, patch)))
            else:  # never replayed: the patch is not needed
                feed.picture = advance(feed.picture, event)
            if event["kind"] in LIFECYCLE:
                feed.lifecycle[event["seq"]] = event
        feed.access = _access_of(feed.picture)
        return feed

    def advance(self, event: dict[str, Any]) -> frames.Frame:
        """Fold the next event; return its frame, serialised once for every socket."""
        if event["seq"] != self.seq + 1:
            raise RuntimeError(f"gap in the log of {self.incident_id}: {self.seq} → {event['seq']}")
        self.picture, patch = apply(self.picture, event)
        if event["kind"] in ACCESS:
            self.access = _access_of(self.picture)
        if event["kind"] in LIFECYCLE:
            self.lifecycle[event["seq"]] = event
        frame = frames.event_frame(self.topic, event, patch)
        self.ring.append((event["seq"], frame))
        return frame

    def frames_after(self, since: int) -> list[frames.Frame] | None:
        """The event frames after `since`; None when the ring does not reach back."""
        if since == self.seq:
            return []
        oldest = self.ring[0][0] if self.ring else self.seq + 1
        if oldest > since + 1:
            return None
        return [frame for seq, frame in self.ring if seq > since]

    def snapshot(self) -> frames.Frame:
        """The snapshot frame at the current seq, serialised once and shared."""
        if self._snapshot is None or self._snapshot[0] != self.seq:
            self._snapshot = (self.seq, frames.snapshot_frame(self.topic, self.seq, self.picture))
        return self._snapshot[1]

    @property
    def seq(self) -> int:
        seq: int = self.picture["seq"]
        return seq

    @property
    def topic(self) -> str:
        return incident_topic(self.incident_id)

    @property
    def closed(self) -> bool:
        return bool(self.picture.get("incident", {}).get("status") == "closed")


def _access_of(picture: Picture) -> IncidentAccess:
    """Who may see the incident, from the picture itself: its county, its owner, its
    participants (the organisations in the picture) and the county boards it is shared
    with, all as of the picture's seq."""
    incident = picture.get("incident", {})
    return IncidentAccess(
        county=str(incident.get("county", "")),
        owner=str(incident.get("owner", "")),
        participants=frozenset(picture.get("organisations", {})),
        shared_with=frozenset(incident.get("shared_with", ())),
    )
