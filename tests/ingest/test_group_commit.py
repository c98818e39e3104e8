"""Group commit: concurrent submissions to one incident are decided one by one, exactly
as alone, and written together in one transaction with consecutive seqs."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from schemas.report import ReportSubmission
from service.db.pool import create_pool
from service.domain import reporting
from service.errors import Conflict, Forbidden
from service.repo.organisations import seed_rows
from tests.ingest.support import log_rows, reporter, submission
from tests.support import T0, Api, assert_problem, report

# Eight municipalities of county 14, each sending four reports at once.
CODES = sorted(
    code for code, _n, kind, county in seed_rows() if kind == "municipality" and county == "14"
)[:8]
ENERGY = [{"sector": "energy", "status": "serious", "text": "Elavbrott"}]


async def test_32_concurrent_submissions_are_one_transaction_with_consecutive_seqs(
    api: Api, dsn: str
) -> None:
    incident = uuid.UUID((await api.activate(participants=CODES))["id"])
    who = {code: await reporter(dsn, code) for code in CODES}
    sent = [
        submission(code, situation=f"{code} rapport {n}", sectors=ENERGY)
        for n in range(4)
        for code in CODES
    ]
    pool = await create_pool(dsn)
    try:
        answers = await asyncio.gather(
            *(reporting.submit(pool, who[s.organisation], incident, s, T0) for s in sent)
        )
    finally:
        await pool.close()
    rows = await log_rows(dsn, incident)
    reports = [row for row in rows if row["kind"] == "report.submitted"]
    assert [row["seq"] for row in rows] == list(range(1, 34))
    assert len({row["xid"] for row in reports}) == 1  # one transaction wrote all 32
    assert rows[0]["xid"] != reports[0]["xid"]
    # Each caller is answered with its own report, as the log holds it, in its own seq.
    assert [a.seq for a in answers] == list(range(2, 34))
    for answer, s, row in zip(answers, sent, reports, strict=True):
        assert answer.report.report_id == s.report_id
        assert row["data"]["report"] == answer.report.model_dump(mode="json")
    # Versions count on within the batch, each superseding the one before it.
    for code in CODES:
        own = [a.report for a in answers if a.report.organisation == code]
        assert [r.version for r in own] == [1, 2, 3, 4]
        assert [r.supersedes for r in own] == [None, *(r.report_id for r in own[:-1])]


async def test_a_refused_submission_gets_its_own_problem_and_does_not_spoil_the_batch(
    api: Api, dsn: str
) -> None:
    incident = uuid.UUID((await api.activate(participants=CODES[:2]))["id"])
    a, b = CODES[:2]
    first = submission(a, situation="Första")
    other_content = first.model_copy(update={"situation": "Något annat"})
    sent = [
        (a, first),
        (b, submission(b, unchanged=True)),  # nothing earlier to repeat
        (CODES[2], submission(CODES[2])),  # not a participant
        (a, first),  # the same report again, in the same batch: a repeat
        (a, other_content),  # the same report_id with other content
        (a, submission(a, unchanged=True)),  # repeats the batch's first report
        (b, submission(b, situation="B")),
    ]
    who = {code: await reporter(dsn, code) for code in CODES[:3]}
    pool = await create_pool(dsn)
    try:
        answers = await asyncio.gather(
            *(reporting.submit(pool, who[code], incident, s, T0) for code, s in sent),
            return_exceptions=True,
        )
    finally:
        await pool.close()
    stored, no_earlier, not_participant, repeat, conflict, unchanged, other = answers
    assert isinstance(stored, reporting.Submitted)
    assert stored.seq == 2
    assert isinstance(no_earlier, Conflict)
    assert no_earlier.slug == "no-earlier-report"
    assert isinstance(not_participant, Forbidden)
    assert not_participant.slug == "not-participant"
    assert isinstance(repeat, reporting.Submitted)
    assert repeat.seq is None
    assert repeat.report == stored.report
    assert isinstance(conflict, Conflict)
    assert conflict.slug == "report-conflict"
    assert isinstance(unchanged, reporting.Submitted)
    assert unchanged.seq == 3
    assert unchanged.report.version == 2
    assert unchanged.report.situation == "Första"
    assert isinstance(other, reporting.Submitted)
    assert other.seq == 4
    rows = await log_rows(dsn, incident)
    assert [row["seq"] for row in rows] == [1, 2, 3, 4]
    assert len({row["xid"] for row in rows[1:]}) == 1


async def test_a_failed_commit_answers_every_caller_with_503_and_stores_nothing(
    api: Api, dsn: str
) -> None:
    incident = await api.activate(participants=CODES)
    admin = await asyncpg.connect(dsn)
    try:
        # The database refuses at commit (a deferred constraint trigger): as a full disk
        # or a lost primary would, after everything else has gone through.
        await admin.execute(
            """
            CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not write to the log'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON reports
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();
            """
        )
        replies = await asyncio.gather(
            *(
                api.submit(incident["id"], report(code, situation=f"{code} {n}"))
                for n in range(3)
                for code in CODES
            )
        )
        for reply in replies:
            assert_problem(reply, 503, "not-stored")
        counts = await admin.fetchrow(
            "SELECT (SELECT count(*) FROM reports) AS reports,"
            " (SELECT count(*) FROM events WHERE incident_id = $1::uuid) AS events,"
            " (SELECT last_seq FROM incidents WHERE id = $1::uuid) AS last_seq",
            incident["id"],
        )
        assert counts is not None
        assert dict(counts) == {"reports": 0, "events": 1, "last_seq": 1}
        # Once the database takes writes again, so do the reports, from seq 2 on.
        await admin.execute("DROP TRIGGER refuse_at_commit ON reports")
        again = await api.submit(incident["id"], report(CODES[0]))
        assert again.status == 201, again.body
    finally:
        await admin.close()
    rows = await log_rows(dsn, incident["id"])
    assert [row["seq"] for row in rows] == [1, 2]


async def test_concurrent_posts_are_each_answered_201_and_the_picture_has_them_all(
    api: Api,
) -> None:
    incident = await api.activate(participants=CODES)
    bodies = [
        report(code, situation=f"{code} {n}", sectors=ENERGY) for n in range(4) for code in CODES
    ]
    replies = await asyncio.gather(*(api.submit(incident["id"], body) for body in bodies))
    assert [reply.status for reply in replies] == [201] * len(bodies)
    assert [reply.body["report_id"] for reply in replies] == [b["report_id"] for b in bodies]
    repeats = await asyncio.gather(*(api.submit(incident["id"], body) for body in bodies[:8]))
    assert [reply.status for reply in repeats] == [200] * 8
    assert [reply.body for reply in repeats] == [reply.body for reply in replies[:8]]
    picture = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/picture", as_=("LST-14", "viewer")
    )
    assert picture.status == 200
    assert picture.body["seq"] == 1 + len(bodies)
    # They arrive in any order; each organisation's newest version is in the picture.
    newest = {}
    for reply in sorted(replies, key=lambda r: r.body["version"]):
        newest[reply.body["organisation"]] = reply.body["report_id"]
    assert sorted(r.body["version"] for r in replies if r.body["organisation"] == CODES[0]) == [
        1,
        2,
        3,
        4,
    ]
    assert {code: org["report_id"] for code, org in picture.body["organisations"].items()} == newest


async def test_two_instances_writing_one_incident_lose_nothing_and_leave_no_gap(
    api: Api, dsn: str
) -> None:
    """Each pool is an instance of its own: its batches race the other's, and a write
    that finds the incident moved on reads and decides again."""
    incident = uuid.UUID((await api.activate(participants=CODES))["id"])
    who = {code: await reporter(dsn, code) for code in CODES}
    pools = [await create_pool(dsn), await create_pool(dsn)]
    try:
        sent = [submission(code, situation=f"{code} {n}") for n in range(6) for code in CODES]

        async def one_by_one(
            pool: asyncpg.Pool, mine: list[ReportSubmission]
        ) -> list[reporting.Submitted]:
            return [
                await reporting.submit(pool, who[s.organisation], incident, s, T0) for s in mine
            ]

        halves = await asyncio.gather(
            *(
                one_by_one(pools[n % 2], [s for s in sent if s.organisation == code])
                for n, code in enumerate(CODES)
            )
        )
    finally:
        for pool in pools:
            await pool.close()
    answers = [a for half in halves for a in half]
    assert sorted(a.seq or 0 for a in answers) == list(range(2, 2 + len(sent)))
    rows = await log_rows(dsn, incident)
    assert [row["seq"] for row in rows] == list(range(1, 2 + len(sent)))
    for code in CODES:
        versions = [
            row["data"]["report"]["version"]
            for row in rows[1:]
            if row["data"]["report"]["organisation"] == code
        ]
        assert versions == [1, 2, 3, 4, 5, 6]
