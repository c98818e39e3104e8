"""The county board's summary (sammanställning): one shared draft per incident, published
as numbered, immutable summaries, each distributed through the outbox.

Rules, each in one function:
- the draft's version is its ETag; a save names the version it was made from
  (`If-Match`), a stale one is 412 and a missing one 428 (`check_version`);
- each sector's county level is the live picture's worst level unless the county
  overrides it, and an override needs a reason (`resolved_sectors`, `checked_content`);
- requests to national level keep their id from one summary to the next and say in
  which number they first appeared (`tracked_requests`);
- the next number is taken under the incident's row lock, with the event's seq
  (`publish`), so numbers have no gaps whatever publishes at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from schemas.common import IMPACTS, SECTORS, Impact
from schemas.summary import (
    Draft,
    JournalHighlight,
    PublishBody,
    PublishedSummary,
    Reporting,
    RequestView,
    SectorView,
    SummaryContent,
    SummaryIncident,
)
from service.access.policy import can_draft_summary, can_publish_summary, can_see
from service.access.principal import Principal
from service.audit.record import Origin, record
from service.clock import iso
from service.domain import lifecycle
from service.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from service.outbox.repo import enqueue
from service.picture.fold import rebuild
from service.repo import Conn, chain, events, incidents, organisations
from service.repo import summaries as repo
from service.repo.incidents import IncidentRow

Picture = Mapping[str, Any]
# The picture at a seq, read by the caller's means (the hub's live one, or a fold).
PictureAt = Callable[[Conn, IncidentRow], Awaitable[Picture]]
# What a published summary becomes for its recipients: (subject, text, html).
Renderer = Callable[[PublishedSummary], tuple[str, str, str]]

KIND = "summary.published"
SECTIONS = (
    "assessment",
    "development",
    "measures_taken",
    "measures_planned",
    "requests",
    "other",
)


async def folded_picture(conn: Conn, row: IncidentRow) -> Picture:
    """The picture at the incident's last seq, folded from its log (where no live picture
    is at hand: the demo, the command line)."""
    return rebuild(await events.since(conn, row.id, 0, until=row.last_seq))


# --- pure rules ----------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def check_version(if_match: str | None, current: int) -> None:
    """A write must name the version it was made from: 428 without, 412 when stale."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "send If-Match with the ETag of the draft you edited (GET …/summaries/draft)"
        )
    named = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if etag(current) not in named:
        raise PreconditionFailed(
            f"the draft has changed since you read it (now version {current}); "
            "read it again, merge, and save with its ETag",
            slug="stale-draft",
        )


def picture_levels(picture: Picture) -> dict[str, Impact]:
    """Each sector's worst level in the live picture (`unknown` when nobody knows)."""
    sectors: Mapping[str, Any] = picture.get("sectors", {})
    levels: dict[str, Impact] = {}
    for sector in SECTORS:
        worst = (sectors.get(sector) or {}).get("worst", "unknown")
        levels[sector] = next((level for level in IMPACTS if level == worst), "unknown")
    return levels


def resolved_sectors(content: SummaryContent, picture: Picture) -> list[SectorView]:
    """All seven sectors: the county's override where it made one, otherwise the live
    picture's worst level (the prefill)."""
    levels = picture_levels(picture)
    given = {entry.sector: entry for entry in content.sectors}
    views = []
    for sector in SECTORS:
        entry = given.get(sector)
        level = entry.level if entry is not None else None
        views.append(
            SectorView(
                sector=sector,
                level=level if level is not None else levels[sector],
                picture_level=levels[sector],
                overridden=level is not None,
                reason=entry.reason if entry is not None and level is not None else "",
                comment=entry.comment if entry is not None else "",
            )
        )
    return views


def checked_content(content: SummaryContent, picture: Picture) -> SummaryContent:
    """The content as stored: an override equal to the picture's level without a reason
    follows the picture again; any other override must say why (422 otherwise)."""
    levels = picture_levels(picture)
    errors: list[tuple[Sequence[str | int], str]] = []
    sectors = []
    for index, entry in enumerate(content.sectors):
        if entry.level is not None and not entry.reason:
            if entry.level == levels[entry.sector]:
                entry = entry.model_copy(update={"level": None})
            else:
                errors.append(
                    (
                        ("sectors", index, "reason"),
                        f"say why the county's level differs from the picture's "
                        f"({levels[entry.sector]})",
                    )
                )
        sectors.append(entry)
    if errors:
        raise ValidationFailed("an overridden level needs a reason", errors=errors)
    return content.model_copy(update={"sectors": sectors})


def blank_sections(content: SummaryContent) -> list[str]:
    """The sections nobody has written in (the page warns before publishing)."""
    filled = {
        "assessment": bool(content.assessment),
        "development": content.development.trend != "unknown" or bool(content.development.text),
        "measures_taken": bool(content.measures_taken),
        "measures_planned": bool(content.measures_planned),
        "requests": bool(content.requests),
        "other": bool(content.other),
    }
    return [section for section in SECTIONS if not filled[section]]


def tracked_requests(
    content: SummaryContent, previous: PublishedSummary | None, number: int
) -> list[RequestView]:
    """The requests with the number of the summary each first appeared in."""
    since = {r.id: r.since for r in previous.requests} if previous is not None else {}
    return [
        RequestView(
            id=r.id,
            text=r.text,
            urgency=r.urgency,
            status=r.status,
            since=since.get(r.id) or number,
        )
        for r in content.requests
    ]


def stored_content(row: repo.DraftRow | None) -> SummaryContent:
    return SummaryContent() if row is None else SummaryContent.model_validate(row.content)


def published(row: repo.SummaryRow) -> PublishedSummary:
    return PublishedSummary.model_validate(row.content)


def journal_highlights(picture: Picture) -> list[JournalHighlight]:
    """The significant journal entries of the picture, newest first, as a summary shows
    them (each with the numbers of later entries that correct it)."""
    journal: Mapping[str, Any] = picture.get("journal") or {}
    return [JournalHighlight.model_validate(entry) for entry in journal.get("significant", [])]


def event_data(summary: PublishedSummary, log_head: dict[str, Any]) -> dict[str, Any]:
    """What `summary.published` carries (docs/events.md); `log_head` is `{"seq", "hash"}`
    of the last event before it (the log the summary was made at)."""
    return {
        "number": summary.number,
        "published_at": iso(summary.published_at),
        "published_by": summary.published_by,
        "picture_seq": summary.picture_seq,
        "corrects": summary.corrects,
        "summary": summary.model_dump(mode="json"),
        "log_head": log_head,
    }


# --- access --------------------------------------------------------------------------------


def _may_draft(principal: Principal, row: IncidentRow) -> None:
    if not can_draft_summary(principal, row.access):
        raise Forbidden(
            "only viewers and duty officers of the owner or the county board draft summaries"
        )


def _seen(principal: Principal, row: IncidentRow | None, incident_id: uuid.UUID) -> IncidentRow:
    if row is None or not can_see(principal, row.access):
        raise NotFound(f"no incident {incident_id} that you may see")
    return row


def _open(row: IncidentRow) -> None:
    if not row.active:
        raise Conflict("the incident is closed", slug="incident-closed")


# --- operations ----------------------------------------------------------------------------


def _draft_view(
    row: IncidentRow, draft: repo.DraftRow | None, picture: Picture, last_number: int
) -> Draft:
    content = stored_content(draft)
    return Draft(
        incident_id=row.id,
        version=0 if draft is None else draft.version,
        updated_at=None if draft is None else draft.updated_at,
        updated_by=None if draft is None else draft.updated_by,
        picture_seq=int(picture.get("seq", 0)),
        content=content,
        sectors=resolved_sectors(content, picture),
        blank=blank_sections(content),
        last_number=last_number or None,
    )


async def get_draft(
    conn: Conn, principal: Principal, incident_id: uuid.UUID, picture_at: PictureAt
) -> Draft:
    row = await lifecycle.visible(conn, principal, incident_id)
    _may_draft(principal, row)
    draft = await repo.draft(conn, row.id)
    return _draft_view(
        row, draft, await picture_at(conn, row), await repo.last_number(conn, row.id)
    )


async def save_draft(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    content: SummaryContent,
    if_match: str | None,
    now: datetime,
    picture_at: PictureAt,
) -> Draft:
    async with pool.acquire() as conn, conn.transaction():
        # The incident's row lock orders concurrent saves, the very first one included.
        row = _seen(principal, await incidents.lock(conn, incident_id), incident_id)
        _may_draft(principal, row)
        _open(row)
        draft = await repo.draft(conn, row.id)
        check_version(if_match, 0 if draft is None else draft.version)
        picture = await picture_at(conn, row)
        checked = checked_content(content, picture)
        if draft is not None and draft.content == checked.model_dump(mode="json"):
            # Nothing changed: the same version, so an autosave of an unchanged form never
            # makes another editor's save stale.
            return _draft_view(row, draft, picture, await repo.last_number(conn, row.id))
        version = 1 if draft is None else draft.version + 1
        await repo.save_draft(
            conn,
            row.id,
            version=version,
            content=checked.model_dump(mode="json"),
            at=now,
            by=principal.name,
            by_org=principal.organisation,
        )
        saved = await repo.draft(conn, row.id)
        return _draft_view(row, saved, picture, await repo.last_number(conn, row.id))


async def publish(
    pool: asyncpg.Pool,
    principal: Principal,
    incident_id: uuid.UUID,
    body: PublishBody,
    if_match: str | None,
    now: datetime,
    picture_at: PictureAt,
    render: Renderer,
    *,
    by: Origin | None = None,
) -> tuple[PublishedSummary, int]:
    """Publish the current draft: the summary and the seq of its event (and its audit
    row, `summary.published`, in the same transaction; `by` is where the request came
    from)."""
    async with pool.acquire() as conn, conn.transaction():
        row = _seen(principal, await incidents.lock(conn, incident_id), incident_id)
        if not can_publish_summary(principal, row.access):
            raise Forbidden("only a duty officer of the owner or the county board publishes")
        _open(row)
        draft = await repo.draft(conn, row.id)
        if if_match is not None:
            check_version(if_match, 0 if draft is None else draft.version)
        last = await repo.last_number(conn, row.id)
        if body.corrects is not None and body.corrects > last:
            raise ValidationFailed(
                errors=[(("corrects",), f"no summary {body.corrects} (the last is {last})")]
            )
        previous_row = await repo.latest(conn, row.id)
        previous = published(previous_row) if previous_row is not None else None
        picture = await picture_at(conn, row)
        content = stored_content(draft)
        number = last + 1
        owner = await organisations.get_many(conn, [row.owner])
        counts: Mapping[str, Any] = picture.get("reporting", {})
        summary = PublishedSummary(
            incident=SummaryIncident(
                id=row.id,
                title=row.title,
                county=row.county,
                owner=row.owner,
                owner_name=owner[row.owner].name if row.owner in owner else row.owner,
                exercise=row.exercise,
                activated_at=row.activated_at,
            ),
            number=number,
            published_at=now,
            published_by=principal.name,
            picture_seq=row.last_seq,
            corrects=body.corrects,
            assessment=content.assessment,
            sectors=resolved_sectors(content, picture),
            development=content.development,
            measures_taken=list(content.measures_taken),
            measures_planned=list(content.measures_planned),
            requests=tracked_requests(content, previous, number),
            other=content.other,
            reporting=Reporting(
                expected=int(counts.get("expected", 0)),
                received=int(counts.get("received", 0)),
                overdue=len(counts.get("overdue", [])),
            ),
            journal=journal_highlights(picture),
        )
        seq = await incidents.advance_seq(conn, row.id)
        await repo.insert(
            conn,
            incident_id=row.id,
            number=number,
            seq=seq,
            published_at=now,
            published_by=principal.name,
            published_by_org=principal.organisation,
            picture_seq=summary.picture_seq,
            corrects=body.corrects,
            content=summary.model_dump(mode="json"),
        )
        await events.append(
            conn,
            incident_id=row.id,
            seq=seq,
            kind=KIND,
            at=now,
            actor=principal.organisation,
            data=event_data(
                summary,
                {"seq": row.last_seq, "hash": await chain.hash_at(conn, row.id, row.last_seq)},
            ),
        )
        await record(
            conn,
            "summary.published",
            by or Origin(actor=principal.actor, organisation=principal.organisation),
            at=now,
            incident_id=row.id,
            number=number,
            corrects=body.corrects,
        )
        await distribute(conn, summary, render, now)
    return summary, seq


async def distribute(conn: Conn, summary: PublishedSummary, render: Renderer, now: datetime) -> int:
    """One outbox message per configured recipient of the county (e-mail, webhook), in the
    publishing transaction. The WIS-style node and the national installation subscribe to
    `summary.published` (docs/exchange.md) and get the event's copy."""
    subject, text, html = render(summary)
    stem = f"{summary.incident.id}:summary:{summary.number}"
    sent = 0
    for recipient in await repo.recipients(conn, summary.incident.county):
        if recipient.email is not None:
            destination = "email"
            payload: dict[str, Any] = {
                "to": [recipient.email],
                "subject": subject,
                "text": text,
                "html": html,
            }
        else:
            destination = f"webhook:{recipient.webhook_id}"
            payload = {
                "kind": KIND,
                "incident_id": str(summary.incident.id),
                "exercise": summary.incident.exercise,
                "number": summary.number,
                "summary": summary.model_dump(mode="json"),
            }
        sent += await enqueue(
            conn,
            destination=destination,
            kind=KIND,
            message_id=f"{stem}:{recipient.label}",
            payload=payload,
            at=now,
            incident_id=summary.incident.id,
        )
    return sent


async def list_published(
    conn: Conn, principal: Principal, incident_id: uuid.UUID
) -> list[PublishedSummary]:
    row = await lifecycle.visible(conn, principal, incident_id)
    return [published(found) for found in await repo.all_of(conn, row.id)]


async def get_published(
    conn: Conn, principal: Principal, incident_id: uuid.UUID, number: int
) -> PublishedSummary:
    row = await lifecycle.visible(conn, principal, incident_id)
    found = await repo.get(conn, row.id, number)
    if found is None:
        raise NotFound(f"no summary {number} in incident {incident_id}")
    return published(found)
