"""A drill's result from what happened: its notifications and the first reports. Pure."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import cast

from schemas.drill import (
    Drill,
    DrillChannel,
    DrillFigures,
    DrillOrganisation,
    DrillParticipant,
    DrillResult,
    NotifyChannel,
    ResponseChannel,
)
from service.domain.labels import EXERCISE_MARK
from service.drills.repo import DrillRow, FirstReport, Notification
from service.export.cells import formula_guard

RESPONSE_CHANNELS: frozenset[str] = frozenset({"mail", "sms", "link", "edxl", "wis"})


def notify_channel(destination: str) -> NotifyChannel:
    """The channel of an outbox destination: `webhook:3` → `webhook`."""
    return cast(NotifyChannel, destination.split(":", 1)[0])


def response_channel(via: str | None) -> ResponseChannel:
    """How a report came in: its provenance's `via`, or `web` for one sent directly."""
    return cast(ResponseChannel, via) if via in RESPONSE_CHANNELS else "web"


def participant(
    drill: DrillRow,
    organisation: DrillOrganisation,
    sent: list[Notification],
    first: FirstReport | None,
) -> DrillParticipant:
    notified_at = min((n.created_at for n in sent), default=None)
    responded_at = None if first is None else first.received_at
    seconds = None
    if responded_at is not None:
        since = notified_at or drill.started_at
        seconds = max(0, int((responded_at - since).total_seconds()))
    return DrillParticipant(
        organisation=organisation,
        notified_at=notified_at,
        channels=[
            DrillChannel(channel=notify_channel(n.destination), delivered_at=n.delivered_at)
            for n in sent
        ],
        responded_at=responded_at,
        responded_by_channel=None if first is None else response_channel(first.via),
        response_seconds=seconds,
        in_time=responded_at is not None and responded_at <= drill.respond_by,
    )


def figures(participants: list[DrillParticipant]) -> DrillFigures:
    """The share responding in time and the median time to respond (of those who did)."""
    times = [p.response_seconds for p in participants if p.response_seconds is not None]
    in_time = sum(1 for p in participants if p.in_time)
    return DrillFigures(
        participants=len(participants),
        responded=len(times),
        responded_in_time=in_time,
        share_in_time=round(in_time / len(participants), 4) if participants else None,
        median_response_seconds=round(statistics.median(times)) if times else None,
    )


def result(
    drill: DrillRow,
    *,
    title: str,
    organisations: Iterable[DrillOrganisation],
    notifications: list[Notification],
    first_reports: list[FirstReport],
    now: datetime,
    closed: bool = False,
) -> DrillResult:
    """The result as of `now`, one entry per participant in the order given; `closed`
    when the drill's incident has been closed (the drill has ended then)."""
    first = {r.organisation: r for r in first_reports}
    by_org: dict[str, list[Notification]] = {}
    for note in notifications:
        by_org.setdefault(note.organisation, []).append(note)
    participants = [
        participant(drill, org, by_org.get(org.code, []), first.get(org.code))
        for org in organisations
    ]
    return DrillResult(
        **summary(
            drill, title=title, participants=participants, now=now, closed=closed
        ).model_dump(),
        participants=participants,
        not_responded=[p.organisation.code for p in participants if p.responded_at is None],
    )


def summary(
    drill: DrillRow,
    *,
    title: str,
    participants: list[DrillParticipant],
    now: datetime,
    closed: bool = False,
) -> Drill:
    return Drill(
        id=drill.id,
        incident_id=drill.incident_id,
        county=drill.county,
        title=title,
        message=drill.message,
        respond_minutes=drill.respond_minutes,
        started_at=drill.started_at,
        started_by=drill.started_by,
        respond_by=drill.respond_by,
        status="ended" if closed or now >= drill.respond_by else "running",
        figures=figures(participants),
    )


CSV_COLUMNS = (
    "exercise",
    "organisation",
    "name",
    "notified_at",
    "channels",
    "delivered",
    "responded_at",
    "channel",
    "response_seconds",
    "in_time",
)


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def csv_rows(drill: DrillResult) -> list[Mapping[str, str]]:
    """One row per participant, ÖVNING on each as on every exercise export: `channels`
    and `delivered` list each notification in the same order (`delivered` as its time,
    or `-`)."""
    return [
        {
            "exercise": EXERCISE_MARK,
            "organisation": p.organisation.code,
            "name": str(formula_guard(p.organisation.name)),  # the one text from outside
            "notified_at": _iso(p.notified_at),
            "channels": " ".join(c.channel for c in p.channels),
            "delivered": " ".join(_iso(c.delivered_at) or "-" for c in p.channels),
            "responded_at": _iso(p.responded_at),
            "channel": p.responded_by_channel or "",
            "response_seconds": "" if p.response_seconds is None else str(p.response_seconds),
            "in_time": "yes" if p.in_time else "no",
        }
        for p in drill.participants
    ]


def to_csv(drill: DrillResult) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(drill))
    return out.getvalue()
