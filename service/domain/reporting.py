"""Submitting situation reports: idempotent by `report_id`, immutable once stored."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg
import structlog
from pydantic import ValidationError

from schemas.report import Provenance, ReportContent, ReportSubmission, StoredReport
from service.access.policy import may_report_for
from service.access.principal import Principal
from service.domain import group_commit
from service.domain.schedule import deadline_for, is_late
from service.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    ValidationFailed,
)
from service.repo import DATABASE_ERRORS, Conn, incidents, reports
from service.repo.secrets import installation_secret

log = structlog.get_logger(__name__)

# How far ahead of the server's clock a reporter's `as_of` may be (phones drift).
AS_OF_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Submitted:
    report: StoredReport
    seq: int | None  # the event's seq; None for an idempotent repeat (nothing new stored)
    dumped: dict[str, Any] | None = None  # the report as JSON, when its event made it

    @property
    def created(self) -> bool:
        return self.seq is not None

    def as_json(self) -> dict[str, Any]:
        """The stored report as the API answers it (`model_dump(mode="json")`)."""
        return self.dumped if self.dumped is not None else self.report.model_dump(mode="json")


@dataclass
class Candidate:
    """A submission as its decision reads it: who sends what, when, by which way."""

    principal: Principal
    submission: ReportSubmission
    fingerprint: bytes
    now: datetime
    provenance: Provenance | None


class Follower(Protocol):
    """Told of a batch's write: `writing` before it begins (a notification of the
    incident heard meanwhile may be of this very write), and `written` once after it,
    when the write is committed and the batch's callers are answered: the events as the
    log gives them back, in seq order; none when nothing was written; None when the
    database failed the write, which may or may not have been committed. The hub
    (service/stream/hub.py) folds and fans the events out from here without reading
    them back."""

    def writing(self, incident_id: uuid.UUID) -> None: ...

    def written(self, incident_id: uuid.UUID, new_events: list[dict[str, Any]] | None) -> None: ...


@dataclass
class Pending(Candidate):
    """A submission waiting in its incident's lane (service.domain.group_commit)."""

    follower: Follower | None = None
    answer: asyncio.Future[Submitted] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def done(self) -> bool:
        return self.answer.done()

    def give(self, outcome: Submitted | BaseException) -> None:
        if self.answer.done():  # the caller stopped waiting
            return
        if isinstance(outcome, BaseException):
            self.answer.set_exception(outcome)
        else:
            self.answer.set_result(outcome)

    def fail(self, error: BaseException) -> None:
        """The batch broke off (`error`, logged by whoever saw it): a 503 of its own."""
        self.give(_not_stored())


def fingerprint(incident_id: uuid.UUID, submission: ReportSubmission) -> bytes:
    """Identifies a submission's content: same report_id + same fingerprint = same report."""
    canonical = json.dumps(
        {"incident_id": str(incident_id), **submission.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).digest()


IMPORT_IDS = "import_ids"  # the installation secret that keys imported reports' ids


async def import_report_id(
    conn: Conn, source: str, organisation: str, external_id: str
) -> uuid.UUID:
    """The report id of a message imported from `source` (`edxl`, `wis`): stable, so a
    repeat is a repeat, but keyed with this installation's secret, so nobody can work
    it out beforehand and take it with a report of their own (the import would be 409)."""
    return keyed_report_id(await import_key(conn), source, organisation, external_id)


async def import_key(conn: Conn) -> bytes:
    """The installation's secret that `keyed_report_id` keys imported reports' ids with
    (read once for a whole envelope)."""
    return await installation_secret(conn, IMPORT_IDS)


def keyed_report_id(key: bytes, source: str, organisation: str, external_id: str) -> uuid.UUID:
    name = "\x1f".join((source, organisation, external_id)).encode()
    return uuid.UUID(bytes=hmac.new(key, name, hashlib.sha256).digest()[:16], version=4)


def _authorise(principal: Principal, submission: ReportSubmission) -> None:
    if principal.role != "reporter":
        raise Forbidden("only a reporter submits reports")
    # A reporter's organisation has no county to ask about: only its own code counts.
    if not may_report_for(principal, submission.organisation, None):
        raise Forbidden(
            f"you report for {principal.organisation}, not for {submission.organisation}",
            slug="wrong-organisation",
        )


def _as_of(submission: ReportSubmission, received_at: datetime) -> datetime:
    if submission.as_of is None:
        return received_at
    if submission.as_of > received_at + AS_OF_TOLERANCE:
        raise ValidationFailed(
            errors=[
                (("as_of",), "lies in the future: a report describes a situation that has been")
            ]
        )
    return submission.as_of.astimezone(UTC)


async def submit(
    db: asyncpg.Pool | Conn,
    principal: Principal,
    incident_id: uuid.UUID,
    submission: ReportSubmission,
    now: datetime,
    *,
    provenance: Provenance | None = None,
    follower: Follower | None = None,
) -> Submitted:
    """Store one report. On a pool, with the submissions to the same incident waiting
    beside it in this process, in one statement that commits (group commit); on a
    connection, inside the caller's transaction, so that several reports are stored all
    or none. Either way it is answered only once what it says is committed (or will be,
    with the caller's transaction). On a pool, `follower` hears of the batch's events
    once they are committed and the batch's callers answered."""
    if not isinstance(db, asyncpg.Pool):
        (stored,) = await submit_all(
            db, incident_id, [Submission(principal, submission, provenance)], now
        )
        return stored
    _authorise(principal, submission)
    item = Pending(
        principal, submission, fingerprint(incident_id, submission), now, provenance, follower
    )
    group_commit.queue(db, incident_id, item, write_batch)
    return await item.answer


# Attempts that read, decide and write without the row lock, before one that waits for it.
OPTIMISTIC_TRIES = 3


@dataclass(frozen=True, slots=True)
class Submission:
    """One report of several stored together (`submit_all`): who sends it, and how."""

    principal: Principal
    submission: ReportSubmission
    provenance: Provenance | None = None


async def submit_all(
    conn: Conn, incident_id: uuid.UUID, items: list[Submission], now: datetime
) -> list[Submitted]:
    """Store several reports to one incident inside the caller's transaction, all or
    none, as one batch: one read and one write however many there are, decided in order
    (a later one sees what an earlier one stored). The first refusal is raised; the
    caller's transaction then stores none of them (an imported envelope)."""
    for item in items:
        _authorise(item.principal, item.submission)
    # A fingerprint is some 50 µs of the interpreter: an envelope's dozens of them are
    # taken in a thread, where the loop gets the interpreter back between them.
    prints = (
        await asyncio.to_thread(_fingerprints, incident_id, items)
        if len(items) >= FINGERPRINTS_IN_THREAD_AT
        else _fingerprints(incident_id, items)
    )
    batch = [
        Candidate(item.principal, item.submission, print_, now, item.provenance)
        for item, print_ in zip(items, prints, strict=True)
    ]
    for attempt in range(OPTIMISTIC_TRIES + 1):
        if attempt == OPTIMISTIC_TRIES:
            # Another writer kept coming first: wait for the row lock, held until the
            # caller's transaction ends (as every change to the incident takes it).
            await incidents.lock(conn, incident_id)
        try:
            async with conn.transaction():  # a savepoint: a failed write leaves the caller's
                attempted = await _attempt(conn, incident_id, batch)
        except asyncpg.UniqueViolationError:
            continue  # a report_id taken meanwhile in another incident: read it and decide
        if attempted is not None:
            return [_answer(outcome) for outcome in attempted.outcomes]
    raise ServiceUnavailable("the incident is being written too busily; try again")


# From this many reports on, a batch's fingerprints are taken in a thread.
FINGERPRINTS_IN_THREAD_AT = 8


def _fingerprints(incident_id: uuid.UUID, items: Sequence[Submission]) -> list[bytes]:
    return [fingerprint(incident_id, item.submission) for item in items]


async def write_batch(pool: asyncpg.Pool, incident_id: uuid.UUID, batch: list[Pending]) -> None:
    """Decide and write a batch of submissions to one incident, then answer each: its
    stored report, or its own problem (which does not spoil the others). When the
    database fails the write, nothing is stored and every caller is told so (503: the
    same report_id may be sent again). The batch's follower (`Pending.follower`) is told
    before the write and after the answers, whatever happens: a 2xx never waits for a
    fan-out, and the hub never waits for a write that is over."""
    followers = list({id(p.follower): p.follower for p in batch if p.follower}.values())
    for follower in followers:
        follower.writing(incident_id)
    logged: list[dict[str, Any]] | None = None  # None: what was written is not known
    try:
        try:
            attempted = await _decided_and_written(pool, incident_id, batch)
        except DATABASE_ERRORS as exc:
            log.warning(
                "reports.batch_not_stored",
                incident_id=str(incident_id),
                reports=len(batch),
                error=str(exc),
            )
            attempted = Attempted([_not_stored() for _ in batch], [])
        else:
            logged = reports.logged_events(attempted.new)
        for pending, outcome in zip(batch, attempted.outcomes, strict=True):
            pending.give(outcome)
    finally:
        loop = asyncio.get_running_loop()
        for follower in followers:
            loop.call_soon(follower.written, incident_id, logged)


def _not_stored() -> ServiceUnavailable:
    return ServiceUnavailable(
        "the database did not store the report; nothing was stored: send it again",
        slug="not-stored",
    )


async def _decided_and_written(
    pool: asyncpg.Pool, incident_id: uuid.UUID, batch: list[Pending]
) -> Attempted:
    """Read, decide and write are two statements outside any transaction, the write
    conditional on the incident standing where the read found it; when another
    instance's write comes first, read and decide again, and at last do it all under
    the row lock."""
    for attempt in range(OPTIMISTIC_TRIES + 2):
        try:
            async with pool.acquire() as conn:
                if attempt < OPTIMISTIC_TRIES:
                    outcome = await _attempt(conn, incident_id, batch)
                else:
                    async with conn.transaction():
                        await incidents.lock(conn, incident_id)
                        outcome = await _attempt(conn, incident_id, batch)
        except asyncpg.UniqueViolationError:
            continue  # a report_id taken meanwhile in another incident: read and decide again
        if outcome is not None:
            return outcome
    return Attempted(
        [
            ServiceUnavailable("the incident is being written too busily; try again", slug="busy")
            for _ in batch
        ],
        [],
    )


Outcome = Submitted | ProblemError


@dataclass(frozen=True, slots=True)
class Attempted:
    """A batch decided and written: each submission's outcome, and what was written."""

    outcomes: list[Outcome]
    new: list[reports.NewReport]


def _answer(outcome: Outcome) -> Submitted:
    if isinstance(outcome, ProblemError):
        raise outcome
    return outcome


async def _attempt(
    conn: Conn, incident_id: uuid.UUID, batch: Sequence[Candidate]
) -> Attempted | None:
    """Read what the batch needs, decide each submission in order, write the accepted
    ones with consecutive seqs. None when the incident moved on in between (nothing is
    written)."""
    context = await reports.context(
        conn,
        incident_id,
        {item.submission.report_id for item in batch},
        {item.submission.organisation for item in batch},
        {item.submission.organisation for item in batch if item.submission.unchanged},
    )
    if context is None:
        return Attempted([NotFound(f"no incident {incident_id}") for _ in batch], [])
    last_seq = context.incident.last_seq
    outcomes: list[Outcome] = []
    new: list[reports.NewReport] = []
    for item in batch:
        try:
            decided = decide(context, item, last_seq + len(new) + 1)
        except ProblemError as exc:
            outcomes.append(exc)
            continue
        except ValidationError as exc:  # the stored report's own rules: that caller's 422
            outcomes.append(
                ValidationFailed(errors=[(tuple(e["loc"]), e["msg"]) for e in exc.errors()])
            )
            continue
        outcomes.append(decided.submitted)
        if decided.new is not None:
            new.append(decided.new)
    if new and not await reports.write(conn, incident_id, last_seq=last_seq, new=new):
        return None
    return Attempted(outcomes, new)


@dataclass(frozen=True, slots=True)
class Decided:
    submitted: Submitted
    new: reports.NewReport | None  # what to write; None for a repeat


def decide(context: reports.Context, item: Candidate, seq: int) -> Decided:
    """One submission against the incident as the batch has left it so far (`context`,
    which it updates with what it stores): the report to store at `seq`, a repeat, or
    the problem that refuses it."""
    submission = item.submission
    incident = context.incident
    # A repeat of an accepted report is answered as it was, whatever has happened
    # since (closure, removal from the participants): the client was told it is stored.
    earlier = context.earlier.get(submission.report_id)
    if earlier is not None:
        stored, stored_print = earlier
        if stored_print != item.fingerprint:
            raise Conflict(
                "this report_id was already used for a report with other content; "
                "a new report needs a new report_id",
                slug="report-conflict",
            )
        return Decided(Submitted(stored, seq=None), None)
    if item.principal.organisation not in incident.participants:
        raise Forbidden(
            f"{item.principal.organisation} is not a participant of this incident",
            slug="not-participant",
        )
    if not incident.active:
        raise Conflict("the incident is closed; it takes no more reports", slug="incident-closed")
    previous = context.latest.get(submission.organisation)
    content = _content(submission, previous)
    if submission.supersedes is not None and (
        previous is None or submission.supersedes != previous.report_id
    ):
        raise Conflict(
            "supersedes does not name the organisation's latest report; "
            "reload the latest report and correct that",
            slug="stale-supersedes",
        )
    as_of = _as_of(submission, item.now)
    # Counted as the rounds count it: against the schedule in force at `as_of`.
    due_at = deadline_for(context.schedules, as_of)
    report = StoredReport(
        **content.model_dump(),
        report_id=submission.report_id,
        incident_id=incident.id,
        organisation=submission.organisation,
        version=1 if previous is None else previous.version + 1,
        as_of=as_of,
        received_at=item.now,
        submitted_by=item.principal.name,
        supersedes=None if previous is None else previous.report_id,
        unchanged=submission.unchanged,
        late=is_late(item.now, due_at),
        due_at=due_at,
        provenance=item.provenance,
    )
    context.earlier[report.report_id] = (report, item.fingerprint)
    context.latest[report.organisation] = reports.Latest.of(report)
    dumped = report.model_dump(mode="json")
    new = reports.NewReport(
        report=report,
        fingerprint=item.fingerprint,
        seq=seq,
        event={"report": dumped},
        actor=item.principal.organisation,
    )
    return Decided(Submitted(report, seq=seq, dumped=dumped), new)


def _content(submission: ReportSubmission, previous: reports.Latest | None) -> ReportContent:
    if not submission.unchanged:
        return submission.content()
    if previous is None:
        raise Conflict(
            "there is no earlier report to repeat: send a full report first",
            slug="no-earlier-report",
        )
    assert previous.content is not None, "read for every organisation that repeats"
    return previous.content()
