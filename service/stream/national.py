"""The `national` topic: the national roll-up of every active incident, live.

The roll-up (`service/national/rollup.py`) is kept in memory beside the incident
feeds and changed by the same events: each event that changes it is one frame with
the next `seq` of this topic and the merge patch from the roll-up before to after.
Resume follows the incident topics' rules: with `since`, exactly the frames after it
from a ring of recent frames; further back, a snapshot; ahead, `resync` and a snapshot.

The roll-up is made of many incidents' logs, whose events each instance learns in its
own order, so this topic's `seq` belongs to the instance: it starts at a random point
(far apart from any other instance's or an earlier run's), and a `since` from another
instance or from before a restart lies outside this instance's numbers, before the
ring (a snapshot) or ahead of it (`resync` and a snapshot). Frames carry the roll-up's
figures only, never report contents: an agency sees the roll-up, not the incidents.
"""

from __future__ import annotations

import secrets
from collections import deque
from typing import Any

from service.national.rollup import Entry, Rollup, entry, rollup, updated
from service.picture.fold import Picture
from service.picture.merge_patch import diff
from service.stream import frames
from service.stream.connection import Connection

NATIONAL_TOPIC = "national"
# Where an instance's numbers start: random, below 2**52, so that seq stays an exact
# number in JavaScript (2**53) for any number of frames an instance may ever send.
_START_RANGE = 2**52


class NationalFeed:
    def __init__(self, replay_limit: int, *, start: int | None = None) -> None:
        self.seq = secrets.randbelow(_START_RANGE) if start is None else start
        self.entries: dict[str, Entry] = {}
        self.rollup: Rollup = rollup(())
        self.ring: deque[tuple[int, frames.Frame]] = deque(maxlen=replay_limit)
        self.watchers: set[Connection] = set()
        self._snapshot: tuple[int, frames.Frame] | None = None

    def update(self, picture: Picture, event: dict[str, Any] | None = None) -> frames.Frame | None:
        """The incident's picture changed: fold it into the roll-up. Returns the frame
        (already sent to every watcher), or None when the roll-up did not change."""
        incident_id = str(picture.get("incident", {}).get("id", ""))
        if not incident_id:
            return None
        found = entry(picture)
        before = self.entries.get(incident_id)
        if found is None:
            if before is None:
                return None
            del self.entries[incident_id]
            changed = before
        else:
            self.entries[incident_id] = found
            changed = found
        if before is not None and _place(before) != _place(changed):
            new = rollup(self.entries.values())  # never so today: county and exercise stay
        else:
            new = updated(
                self.rollup,
                self.entries.values(),
                exercise=changed["exercise"],
                county=changed["county"],
            )
        patch = diff(self.rollup, new)
        self.rollup = new
        if not patch:
            return None
        self.seq += 1
        frame = frames.dumps(
            {
                "type": "event",
                "topic": NATIONAL_TOPIC,
                "seq": self.seq,
                "incident_id": incident_id,
                "event": {} if event is None else {"kind": event["kind"], "at": event["at"]},
                "patch": patch,
            }
        )
        self.ring.append((self.seq, frame))
        for conn in list(self.watchers):
            conn.send(frame)
        return frame

    def snapshot(self) -> frames.Frame:
        if self._snapshot is None or self._snapshot[0] != self.seq:
            self._snapshot = (
                self.seq,
                frames.snapshot_frame(NATIONAL_TOPIC, self.seq, {**self.rollup, "seq": self.seq}),
            )
        return self._snapshot[1]

    def attach(self, conn: Connection, since: int | None) -> None:
        """Send the snapshot, or the frames after `since`, then every frame live."""
        self.watchers.discard(conn)
        if since is None:
            conn.send(self.snapshot())
        elif since > self.seq:
            conn.send(
                frames.error_frame(
                    "resync",
                    f"seq {since} is ahead of this topic ({self.seq}); here is a snapshot",
                    NATIONAL_TOPIC,
                )
            )
            conn.send(self.snapshot())
        else:
            replay = self._frames_after(since)
            if replay is None or len(replay) > conn.room:
                conn.send(self.snapshot())
            else:
                for frame in replay:
                    conn.send(frame)
        self.watchers.add(conn)

    def detach(self, conn: Connection) -> None:
        self.watchers.discard(conn)

    def _frames_after(self, since: int) -> list[frames.Frame] | None:
        if since == self.seq:
            return []
        oldest = self.ring[0][0] if self.ring else self.seq + 1
        if oldest > since + 1:
            return None
        return [frame for seq, frame in self.ring if seq > since]


def _place(found: Entry) -> tuple[bool, str]:
    """Where an incident sits in the roll-up: its kind and county."""
    return (bool(found["exercise"]), str(found["county"]))
