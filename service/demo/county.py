"""The demo county: an exercise in Västra Götaland with a handful of reports, a
two-inject script, and tokens.

Created only when the database has no incident, so it never touches real data.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from schemas.common import Role
from schemas.incident import DailySchedule, IncidentCreate
from schemas.journal import JournalEntryCreate
from schemas.report import ReportSubmission
from schemas.summary import PublishBody, SummaryContent
from service.access.principal import Principal
from service.access.sessions import create_user
from service.access.tokens import create_token
from service.clock import Clock, SystemClock
from service.config import Settings
from service.db.pool import create_pool
from service.domain import lifecycle, reporting, summaries
from service.domain.schedule import Segment, deadlines_until
from service.export.summary import for_recipients
from service.injects.demo import EARLIER, add_demo_script
from service.journal import entries as journal_entries
from service.metrics import Metrics
from service.repo import Conn, incidents, organisations
from service.repo import summaries as summaries_repo
from service.rounds import repo as rounds_repo
from service.rounds.job import RoundsJob

log = structlog.get_logger(__name__)

DEMO_TITLE = "ÖVNING Storm Västra Götaland"
DEMO_COUNTY = "14"
# The county board's first summary, published this long after the last round but one.
SUMMARY_AFTER_ROUND = timedelta(minutes=40)
DEMO_SUMMARY_RECIPIENT = "tib-nationell@example.se"
DEMO_SUMMARY: dict[str, Any] = {
    "assessment": "Stormen har orsakat omfattande elavbrott i Sjuhärad och norra Bohuslän. "
    "Kommunerna har läget under kontroll men reservkraften räcker inte överallt.",
    "sectors": [
        {
            "sector": "water",
            "level": "significant",
            "reason": "Reservkraften vid två vattenverk räcker bara till i morgon bitti",
            "comment": "Vattenverken i Vårgårda och Herrljunga går på reservkraft.",
        },
        {"sector": "energy", "comment": "Ellevo och Vattenfall röjer; prognos två dygn."},
    ],
    "development": {"trend": "worsening", "text": "Ny vindby väntas i kväll."},
    "measures_taken": ["Samverkanskonferens med kommunerna kl 10", "Information via VMA"],
    "measures_planned": ["Ny samverkanskonferens kl 16"],
    "requests": [
        {"id": "msb-1", "text": "Tio reservelverk till vattenverk", "urgency": "high"},
    ],
    "other": "Länsstyrelsens TiB nås via SOS Alarm.",
}
# Activated this long before the demo starts, so several rounds have already closed.
DEMO_AGE = timedelta(hours=26)
# The journal: (time after activation, who writes, the entry). One significant decision.
DEMO_JOURNAL: list[tuple[timedelta, str, dict[str, Any]]] = [
    (
        timedelta(minutes=20),
        "LST-14",
        {
            "category": "event",
            "text": "Övning: länsstyrelsens krisledning är i stabsläge; stabschef utsedd.",
        },
    ),
    (
        timedelta(hours=1, minutes=5),
        "LST-14",
        {
            "category": "contact",
            "text": "Övning: TiB har talat med Vattenfall Eldistribution om prognosen för "
            "återinkoppling i Sjuhärad.",
        },
    ),
    (
        timedelta(hours=3),
        "LST-14",
        {
            "category": "decision",
            "text": "Övning: länets reservkraftverk prioriteras till vård- och omsorgsboenden "
            "i Borås och Vårgårda.",
            "decided_by": "Länsråd (demo)",
            "significant": True,
        },
    ),
    (
        timedelta(hours=5),
        "1442",
        {
            "category": "event",
            "text": "Övning: trygghetspunkt öppnad i Vårgårda bibliotek.",
        },
    ),
]
# Who gets reminders in the demo (their addresses are krisledning-<code>@example.se).
DEMO_CONTACTS = ("1440", "1442", "1480", "1484", "1489", "LST-14")

_REPORTS: list[dict[str, Any]] = [
    {
        "organisation": "1442",
        "situation": "Stormen har fällt träd över elledningar; 1 200 hushåll saknar ström.",
        "development": {"trend": "worsening", "text": "Vinden ökar igen i kväll."},
        "sectors": [
            {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"},
            {"sector": "water", "status": "moderate", "text": "Reservkraft vid två pumpstationer"},
            {"sector": "transport", "status": "significant", "text": "Väg 42 avstängd"},
        ],
        "measures_taken": ["Krisledningsstab aktiverad 09:00"],
        "measures_planned": ["Värmestuga öppnar i sporthallen 18:00"],
        "needs": [
            {"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high", "status": "open"}
        ],
        "management": {"level": "staff", "text": "Staben möts var fjärde timme"},
        "public_information": "Information på webben och i lokalradion varje timme.",
        "contact": {"name": "ISK Vårgårda", "phone": "+46 322 600 000"},
    },
    {
        "organisation": "1490",
        "situation": "Enstaka avbrott i elnätet, räddningstjänsten har många larm om träd.",
        "development": {"trend": "stable"},
        "sectors": [
            {"sector": "energy", "status": "moderate"},
            {"sector": "care", "status": "moderate", "text": "Hemtjänsten försenad"},
        ],
        "management": {"level": "reinforced"},
    },
    {
        "organisation": "1480",
        "situation": "Störningar i kollektivtrafiken, i övrigt normalt läge.",
        "development": {"trend": "improving"},
        "sectors": [
            {"sector": "transport", "status": "significant", "text": "Färjetrafiken inställd"},
            {"sector": "energy", "status": "none"},
            {"sector": "water", "status": "none"},
        ],
        "management": {"level": "reinforced"},
    },
    {
        "organisation": "1484",
        "situation": "Kustnära områden drabbade; mobilnätet nere på Orust norra.",
        "development": {"trend": "worsening"},
        "sectors": [
            {"sector": "communication", "status": "critical", "text": "Mobilnät nere"},
            {"sector": "energy", "status": "serious"},
        ],
        "needs": [
            {
                "need_id": "rakel-1",
                "text": "Rakelterminaler till hemtjänsten",
                "urgency": "critical",
            }
        ],
        "management": {"level": "crisis_board"},
    },
    {
        "organisation": "1488",
        "situation": "Inga större konsekvenser.",
        "development": {"trend": "stable"},
        "sectors": [{"sector": s, "status": "none"} for s in ("water", "energy", "food", "care")],
        "management": {"level": "normal"},
    },
]


async def ensure_demo(dsn: str, settings: Settings, *, clock: Clock | None = None) -> Path | None:
    """Create the demo when the database holds no incident; return the tokens file."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            if await incidents.any_exist(conn):
                log.info("demo.kept", reason="the database has incidents already")
                return None
            tokens = await _demo_tokens(conn)
            users = await _demo_users(conn)
            await _demo_contacts(conn, (clock or SystemClock()).now())
        await _demo_incident(pool, settings, clock or SystemClock())
    finally:
        await pool.close()
    path = settings.data_dir / "demo-tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Lägesbild demo tokens (exercise data only). Use as: Authorization: Bearer <token>\n"
        + "".join(f"{label}={token}\n" for label, token in tokens.items()),
        encoding="utf-8",
    )
    path.chmod(0o600)
    users_path = settings.data_dir / "demo-users.txt"
    users_path.write_text(
        "# Lägesbild demo users (exercise data only): e-mail, password, who\n"
        + "".join(f"{email}  {password}  {who}\n" for email, password, who in users),
        encoding="utf-8",
    )
    users_path.chmod(0o600)
    log.info("demo.created", title=DEMO_TITLE, participants=49, tokens=str(path))
    return path


DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("vargarda@demo.example", "1442", "reporter", "ISK Vårgårda"),
    ("alingsas@demo.example", "1489", "reporter", "ISK Alingsås"),
    ("lagesbild@demo.example", "LST-14", "viewer", "Lägesbild Länsstyrelsen VG"),
    ("tib@demo.example", "LST-14", "duty_officer", "TiB Länsstyrelsen VG"),
    ("msb@demo.example", "MSB", "viewer", "Nationell lägesbild MSB"),
)


async def _demo_users(conn: Conn) -> list[tuple[str, str, str]]:
    """The demo's people, each with a fresh random password; (e-mail, password, who)."""
    created = []
    for email, organisation, role, name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        await create_user(
            conn,
            email=email,
            name=name,
            organisation=organisation,
            role=role,
            password=password,
            at=SystemClock().now(),
        )
        created.append((email, password, f"{name} ({organisation}, {role})"))
    return created


async def _demo_tokens(conn: Conn) -> dict[str, str]:
    return {
        "REPORTER_1442": await create_token(
            conn, organisation="1442", role="reporter", name="ISK Vårgårda (demo)"
        ),
        "VIEWER_LST14": await create_token(
            conn, organisation="LST-14", role="viewer", name="Länsstyrelsen VG, lägesbild (demo)"
        ),
        "DUTY_OFFICER_LST14": await create_token(
            conn, organisation="LST-14", role="duty_officer", name="TiB Länsstyrelsen VG (demo)"
        ),
    }


async def _demo_incident(pool: asyncpg.Pool, settings: Settings, clock: Clock) -> None:
    """The exercise, activated a day ago, lived through round by round up to now.

    Each passed deadline gets reports from most municipalities shortly before it, the
    round closes at the deadline (snapshot, reminders), and a few reports arrive late;
    the detailed reports below come in during the last hour.
    """
    async with pool.acquire() as conn:
        municipalities = await organisations.list_all(conn, county=DEMO_COUNTY, kind="municipality")
    codes = [m.code for m in municipalities]
    board = await _principal(pool, "LST-14", "duty_officer", "TiB Länsstyrelsen VG (demo)")
    now = clock.now()
    activated_at = now - DEMO_AGE
    schedule = DailySchedule(times=["08:00", "14:00", "20:00"])
    incident = await lifecycle.activate(
        pool,
        board,
        IncidentCreate(
            title=DEMO_TITLE,
            description="Övning: storm med omfattande elavbrott i länet. Rapportera läget "
            "kl 08, 14 och 20.",
            county=DEMO_COUNTY,
            severity="high",
            exercise=True,
            participants=codes,
            schedule=schedule,
        ),
        activated_at,
    )
    # The county board's script: inject 1 delivered two hours ago (the step below runs
    # the rounds job then), inject 2 due a quarter of an hour into the demo, live.
    await add_demo_script(pool, board, incident.id, now, written_at=activated_at)
    deadlines = deadlines_until([Segment(since=activated_at, schedule=schedule)], None, now)
    steps: list[tuple[datetime, str, dict[str, Any]]] = [(now - EARLIER, "close", {})]
    for number, deadline in enumerate(deadlines, start=1):
        steps.append((deadline, "close", {}))
        for index, code in enumerate(codes):
            turn = (index + number) % 6
            if turn == 0:
                continue  # misses this round
            received = deadline - timedelta(minutes=5 + (index * 7) % 90)
            as_of = received
            if turn == 1 and index % 2 == 0:
                received = deadline + timedelta(minutes=10 + index % 30)  # late
                as_of = deadline - timedelta(minutes=15)
            if received >= activated_at and received <= now:
                steps.append((received, code, _routine_report(code, index, number, as_of)))
    for index, report in enumerate(_REPORTS):
        received = now - timedelta(minutes=50 - index * 7)
        steps.append((received, report["organisation"], {**report, "as_of": received}))
    for after, writer, entry in DEMO_JOURNAL:
        steps.append((activated_at + after, "journal", {"by": writer, **entry}))
    if len(deadlines) >= 2:
        # The county board published its first summary after an earlier round.
        steps.append((deadlines[-2] + SUMMARY_AFTER_ROUND, "summary", {}))
    steps.sort(key=lambda step: (step[0], step[1] != "close"))
    rounds = RoundsJob(pool, settings, Metrics())
    principals: dict[str, Principal] = {}
    for moment, what, body in steps:
        if what == "close":
            await rounds.run_due(moment)
            continue
        if what == "summary":
            await _demo_summary(pool, board, incident.id, moment)
            continue
        if what == "journal":
            writer = body.pop("by")
            author = board if writer == board.organisation else None
            if author is None:
                author = await _principal(pool, writer, "viewer", "Krisledning (demo)")
            written = JournalEntryCreate.model_validate(body)
            await journal_entries.add(pool, author, incident.id, written, moment)
            continue
        if what not in principals:
            principals[what] = await _principal(pool, what, "reporter", "demo")
        submission = ReportSubmission.model_validate({"report_id": str(uuid.uuid4()), **body})
        await reporting.submit(pool, principals[what], incident.id, submission, moment)


async def _demo_summary(
    pool: asyncpg.Pool, board: Principal, incident_id: uuid.UUID, moment: datetime
) -> None:
    """Summary 1: the county board's assessment after an earlier round, published and
    queued for the county's recipients (the demo's mail sink, the mock WIS node)."""
    draft = await summaries.save_draft(
        pool,
        board,
        incident_id,
        SummaryContent.model_validate(DEMO_SUMMARY),
        '"0"',
        moment - timedelta(minutes=10),
        summaries.folded_picture,
    )
    await summaries.publish(
        pool,
        board,
        incident_id,
        PublishBody(),
        summaries.etag(draft.version),
        moment,
        summaries.folded_picture,
        for_recipients,
    )


def _routine_report(code: str, index: int, number: int, as_of: datetime) -> dict[str, Any]:
    """A short report that varies a little from round to round."""
    levels = ("none", "moderate", "significant", "serious")
    trends = ("improving", "stable", "worsening")
    return {
        "organisation": code,
        "as_of": as_of,
        "situation": "Läget i stort sett oförändrat; röjning av träd pågår.",
        "development": {"trend": trends[(index + number) % 3]},
        "sectors": [
            {"sector": "energy", "status": levels[(index * 3 + number) % 4]},
            {"sector": "transport", "status": levels[(index + 2 * number) % 3]},
        ],
        "management": {"level": "reinforced" if index % 3 else "staff"},
    }


async def _demo_contacts(conn: Conn, now: datetime) -> None:
    """Reminder addresses for a few municipalities and the county board (example.se), and
    the address the county's summaries go to."""
    for code in DEMO_CONTACTS:
        await rounds_repo.add_contact(conn, code, f"krisledning-{code.lower()}@example.se", now)
    await summaries_repo.add_recipient(
        conn, county=DEMO_COUNTY, email=DEMO_SUMMARY_RECIPIENT, webhook_id=None, at=now
    )


async def _principal(pool: asyncpg.Pool, code: str, role: Role, name: str) -> Principal:
    async with pool.acquire() as conn:
        org = await organisations.get(conn, code)
    if org is None:
        raise LookupError(code)
    return Principal.acting_for(org, role, name=name)
