"""The scheduled work of rounds, computed from the database and claimed row by row.

`RoundsJob.run_due(now)` does everything that is due at `now`, for every active
incident: it closes each passed deadline in order (the `round.closed` event stamped with
the deadline's own time, the snapshot, reminders to the overdue and escalations), then
sends the reminders before the next deadline once their time has come. Every piece of
work is claimed with a row in `round_claims` in the transaction that does it, so two
instances, or a job that runs twice, never do anything twice; a deadline passed while
every instance was down is closed by whichever runs next.

Each run also says when work next falls due (`Progress.wake_at`: the earliest coming
deadline or `reminder.before` moment of the active incidents), so the scheduler can run
the job again at that very moment rather than on its next tick.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
import structlog

from service.clock import iso
from service.config import Settings
from service.domain import past, text_reports
from service.domain.schedule import next_deadline
from service.injects.job import InjectsJob
from service.metrics import Metrics
from service.outbox.repo import enqueue
from service.picture.fold import apply
from service.repo import Conn, events, incidents, organisations, reports
from service.repo.incidents import IncidentRow
from service.rounds import repo
from service.rounds.messages import ReminderKind, answerable, reminder
from service.rounds.plan import (
    Outcome,
    PastRound,
    ReportTimes,
    classify,
    missed_run,
    not_reported,
)
from service.rounds.recipients import Recipient, recipients

log = structlog.get_logger(__name__)

# Who the log names as the actor of what the scheduler writes.
ACTOR = "system"


@dataclass
class Progress:
    """What one run did (for tests and logs)."""

    closed: list[tuple[uuid.UUID, int, datetime]] = field(default_factory=list)
    reminders: int = 0
    # Injects delivered: (incident, the inject's number).
    injects: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    # The earliest moment after the run at which more work falls due; None when no
    # active incident has any ahead.
    wake_at: datetime | None = None

    def wake_no_later_than(self, moment: datetime) -> None:
        if self.wake_at is None or moment < self.wake_at:
            self.wake_at = moment


class RoundsJob:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        metrics: Metrics,
        *,
        notify: Callable[[uuid.UUID, int], None] | None = None,
    ) -> None:
        self._pool = pool
        self._before = timedelta(minutes=settings.reminder_before_minutes)
        # E-mail reminders to report carry the template when answers are read as reports.
        self._reply_to = settings.mail_in_reply_to if settings.reports_by_mail else None
        self._metrics = metrics
        self._notify = notify
        self._injects = InjectsJob(pool, notify=notify)
        # When work next falls due, as the last run found (`Progress.wake_at`).
        self.wake_at: datetime | None = None

    async def run_due(self, now: datetime) -> Progress:
        """Do all work due at `now`: close passed rounds in order, send due reminders,
        deliver due injects (`service/injects/job.py`)."""
        progress = Progress()
        async with self._pool.acquire() as conn:
            active = await incidents.list_active_ids(conn)
        for incident_id in active:
            try:
                await self._incident(incident_id, now, progress)
            except (asyncpg.PostgresError, OSError):
                raise  # the database is away: nothing else will work either
            except Exception:  # one incident's bad data must not stop the others' rounds
                log.exception("rounds.incident_failed", incident_id=str(incident_id))
                progress.failed.append(incident_id)
        delivered = await self._injects.deliver_due(now)
        progress.injects.extend(delivered.injects)
        if delivered.wake_at is not None:
            progress.wake_no_later_than(delivered.wake_at)
        self.wake_at = progress.wake_at
        return progress

    async def _incident(self, incident_id: uuid.UUID, now: datetime, progress: Progress) -> None:
        done: datetime | None = None
        while True:
            async with self._pool.acquire() as conn:
                segments = await events.schedule_history(conn, incident_id)
                last = await repo.last_round(conn, incident_id)
            after = last.due_at if last is not None else None
            if done is not None and (after is None or after < done):
                after = done  # claimed by another instance that has not committed the round
            due = next_deadline(segments, after)
            if due is None:
                return
            if due > now:
                if now >= due - self._before:
                    progress.reminders += await self._remind_before(incident_id, due, after, now)
                    progress.wake_no_later_than(due)
                else:
                    progress.wake_no_later_than(due - self._before)
                return
            following = next_deadline(segments, due)
            latest = following is None or following > now
            closed = await self._close(incident_id, due, now, remind=latest, progress=progress)
            if closed is None:
                return
            done = due

    # -- closing a round -----------------------------------------------------------

    async def _close(
        self,
        incident_id: uuid.UUID,
        due: datetime,
        now: datetime,
        *,
        remind: bool,
        progress: Progress,
    ) -> bool | None:
        """Close the round ending at `due`; False when taken already, None when the
        incident is no longer active (closing it cancelled its future rounds)."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await incidents.lock(conn, incident_id)
            if row is None or not row.active:
                return None
            if not await repo.claim(conn, incident_id, due, "close", now):
                return False
            history = await repo.list_rounds(conn, incident_id)
            last = history[-1] if history else None
            n = 1 if last is None else last.n + 1
            previous = None if last is None else last.due_at
            before = await past.picture_stamped_by(conn, incident_id, due, row.last_seq)
            reports = await repo.report_times(conn, incident_id)
            outcome = classify(before["organisations"], reports, previous=previous, due_at=due)
            segments = await events.schedule_history(conn, incident_id)
            following = next_deadline(segments, due)
            seq = await incidents.advance_seq(conn, incident_id)
            event = await events.append(
                conn,
                incident_id=incident_id,
                seq=seq,
                kind="round.closed",
                at=due,
                actor=ACTOR,
                data={
                    "n": n,
                    "due_at": iso(due),
                    "expected": list(outcome.expected),
                    "on_time": list(outcome.on_time),
                    "late": list(outcome.late),
                    "overdue": list(outcome.overdue),
                    "next_due_at": None if following is None else iso(following),
                },
            )
            snapshot, _ = apply(before, event)
            await repo.insert_round(
                conn,
                incident_id=incident_id,
                n=n,
                due_at=due,
                closed_at=now,
                seq=seq,
                expected=outcome.expected,
                on_time=outcome.on_time,
                late=outcome.late,
                overdue=outcome.overdue,
                picture=snapshot,
            )
            sent = 0
            if remind:
                sent = await self._remind_after(conn, row, due, outcome, history, reports)
        self._metrics.rounds_closed.inc()
        self._metrics.round_overdue.inc(len(outcome.overdue))
        progress.closed.append((incident_id, n, due))
        progress.reminders += sent
        log.info(
            "round.closed",
            incident_id=str(incident_id),
            n=n,
            due_at=iso(due),
            overdue=len(outcome.overdue),
            late_by_seconds=int((now - due).total_seconds()),
        )
        if self._notify is not None:
            self._notify(incident_id, seq)
        return True

    # -- reminders -----------------------------------------------------------------

    async def _remind_before(
        self, incident_id: uuid.UUID, due: datetime, previous: datetime | None, now: datetime
    ) -> int:
        """Remind the participants that have not reported for the coming deadline."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await incidents.get(conn, incident_id)
            if row is None or not row.active:
                return 0
            if not await repo.claim(conn, incident_id, due, "reminder.before", now):
                return 0
            reports = await repo.report_times(conn, incident_id, as_of_after=previous)
            missing = not_reported(row.participants, reports, previous=previous, due_at=due)
            return await self._send(
                conn, row, "before", due, missing, at=due - self._before, previous=None
            )

    async def _remind_after(
        self,
        conn: Conn,
        row: IncidentRow,
        due: datetime,
        outcome: Outcome,
        history: list[repo.RoundRow],
        reports: list[ReportTimes],
    ) -> int:
        """At a deadline: remind the overdue, and tell the county board about each
        participant that has now missed two or more deadlines in a row (once per run)."""
        sent = await self._send(conn, row, "due", due, outcome.overdue, at=due, previous=None)
        if not history:
            return sent
        rounds = [PastRound(r.due_at, frozenset(r.expected)) for r in history]
        rounds.append(PastRound(due, frozenset(outcome.expected)))
        runs = {code: missed_run(code, rounds, reports) for code in outcome.overdue}
        escalate = {code: start for code, (start, length) in runs.items() if length >= 2}
        if not escalate:
            return sent
        boards = await repo.county_boards(conn, row.county)
        board_recipients = [r for rs in (await recipients(conn, boards)).values() for r in rs]
        for code, start in sorted(escalate.items()):
            # Keyed on the run's first missed deadline: one escalation per run, also
            # when a catch-up finds the run already longer than two.
            sent += await self._enqueue_all(
                conn,
                row,
                "escalation",
                due,
                code,
                board_recipients,
                at=due,
                previous=history[-1].due_at,
                key=start,
            )
        return sent

    async def _send(
        self,
        conn: Conn,
        row: IncidentRow,
        kind: ReminderKind,
        due: datetime,
        codes: Iterable[str],
        *,
        at: datetime,
        previous: datetime | None,
    ) -> int:
        codes = list(codes)
        found = await recipients(conn, codes)
        sent = 0
        for code in codes:
            sent += await self._enqueue_all(
                conn, row, kind, due, code, found.get(code, []), at=at, previous=previous
            )
        return sent

    @staticmethod
    async def _labels(conn: Conn, codes: list[str]) -> dict[str, str]:
        """`Vårgårda (1442)` for each code, as people read it in a reminder."""
        known = await organisations.get_many(conn, codes)
        return {code: f"{known[code].name} ({code})" if code in known else code for code in codes}

    async def _enqueue_all(
        self,
        conn: Conn,
        row: IncidentRow,
        kind: ReminderKind,
        due: datetime,
        code: str,
        to: list[Recipient],
        *,
        at: datetime,
        previous: datetime | None,
        key: datetime | None = None,
    ) -> int:
        """Enqueue one reminder about `code` to each recipient. The message id names the
        deadline (`key`, if given, instead) so that a repeat is dropped by the outbox."""
        if not to:
            return 0
        label = (await self._labels(conn, [code]))[code]
        message = reminder(
            kind,
            incident_id=row.id,
            title=row.title,
            exercise=row.exercise,
            due_at=due,
            organisation=label,
            previous_due_at=previous,
        )
        answerable_message = None
        if self._reply_to is not None and kind != "escalation":
            latest = await reports.latest(conn, row.id, code)
            answerable_message = answerable(message, text_reports.template(row, latest))
        sent = 0
        for recipient in to:
            by_mail = answerable_message is not None and recipient.destination == "email"
            payload = recipient.payload(
                answerable_message if answerable_message is not None and by_mail else message,
                {
                    "type": f"reminder.{kind}",
                    "incident_id": str(row.id),
                    "exercise": row.exercise,
                    "organisation": code,
                    "due_at": iso(due),
                },
                reply_to=self._reply_to if by_mail else None,
            )
            if await enqueue(
                conn,
                destination=recipient.destination,
                kind=f"reminder.{kind}",
                message_id=f"reminder:{row.id}:{iso(key or due)}:{kind}:{code}:{recipient.address}",
                payload=payload,
                at=at,
                incident_id=row.id,
            ):
                sent += 1
                self._metrics.reminders_enqueued.labels(kind).inc()
        return sent
