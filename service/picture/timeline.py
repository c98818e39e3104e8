"""Impact over time: the sector counts of the picture after each change, from the log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.picture.fold import Event, apply, empty_picture


def timeline(events: Iterable[Event]) -> list[dict[str, Any]]:
    """One point per event that changed the sector counts: `{seq, at, sectors}`.

    Pure, like the fold it is made of; the first point is the activation.
    """
    picture = empty_picture()
    points: list[dict[str, Any]] = []
    for event in events:
        picture, patch = apply(picture, event)
        if "sectors" in patch or event.get("kind") == "incident.activated":
            sectors = {
                sector: {level: n for level, n in counts.items() if level != "worst"}
                for sector, counts in picture["sectors"].items()
            }
            points.append({"seq": event["seq"], "at": event["at"], "sectors": sectors})
    return points
