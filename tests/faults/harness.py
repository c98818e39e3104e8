"""The kill-and-drop harness: reporters that retry, viewers that resume, and the checks.

Shared by the small versions in tests/faults/ and the full run (`make faults`,
bench/faults.py); only the sizes differ.

- `Setup.create(dsn, url)`: tokens and an active incident with `participants`.
- `Reporter`: submits its reports one after another with a `report_id` of its own, and
  retries each with the same id and body until a 2xx, whatever happens in between
  (reset, refused, 5xx); `Ledger` keeps which ids were answered 2xx.
- `Viewer`: follows the incident's topic, and whenever its socket ends comes back with
  `since` = the last seq it has; it records every seq it receives, gaps and repeats.
- `check_store(dsn, …)`: every report stored exactly once, every answered one present,
  the log's seq 1..n without a gap.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import asyncpg

from service.access.tokens import create_token
from tests.support import DAILY

COUNTY = "14"
BOARD = "LST-14"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)


def municipalities(count: int) -> list[str]:
    """`count` municipality codes of county 14 (Västra Götaland has 49)."""
    codes = [
        "1401", "1402", "1407", "1415", "1419", "1421", "1427", "1430", "1435", "1438",
        "1439", "1440", "1441", "1442", "1443", "1444", "1445", "1446", "1447", "1452",
        "1460", "1461", "1462", "1463", "1465", "1466", "1470", "1471", "1472", "1473",
    ]  # fmt: skip
    assert count <= len(codes)
    return codes[:count]


@dataclass
class Setup:
    incident_id: str
    reporter_tokens: dict[str, str]
    viewer_token: str

    @property
    def topic(self) -> str:
        return f"incident:{self.incident_id}"

    @classmethod
    async def create(cls, dsn: str, url: str, participants: Sequence[str]) -> Setup:
        conn = await asyncpg.connect(dsn)
        try:
            officer = await create_token(
                conn, organisation=BOARD, role="duty_officer", name="TiB (faults)"
            )
            viewer = await create_token(conn, organisation=BOARD, role="viewer", name="viewers")
            reporters = {
                code: await create_token(conn, organisation=code, role="reporter", name=code)
                for code in participants
            }
        finally:
            await conn.close()
        body = {
            "title": "Storm i Sjuhärad (störningsprov)",
            "description": "Elavbrott",
            "county": COUNTY,
            "severity": "high",
            "exercise": True,
            "participants": list(participants),
            "schedule": DAILY,
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{url}/api/v1/incidents", json=body, headers=bearer(officer)) as r,
        ):
            reply = await r.json()
            assert r.status == 201, reply
        return cls(str(reply["id"]), reporters, viewer)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report_body(
    rng: random.Random, organisation: str, number: int, *, padding: int = 0
) -> dict[str, Any]:
    """A small full report with a fixed `as_of`, so that a retry is the very same body;
    `padding` characters more of situation text make its event frame that much larger."""
    situation = f"Läge {number}: {rng.randint(0, 5000)} hushåll utan ström."
    if padding:
        situation += " " + "Träd över ledningar, vägar stängda. " * (padding // 36 + 1)
    return {
        "report_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "organisation": organisation,
        "as_of": datetime.now(UTC).isoformat(),
        "situation": situation[: 200 + padding],
    }


@dataclass
class Ledger:
    """What the reporters sent and what they were told."""

    sent: list[str] = field(default_factory=list)  # every report_id, once
    acknowledged: dict[str, int] = field(default_factory=dict)  # report_id -> 2xx status
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # why an attempt failed
    latencies: list[float] = field(default_factory=list)  # first send -> 2xx, seconds

    @property
    def repeats_answered_200(self) -> int:
        return sum(1 for status in self.acknowledged.values() if status == 200)


class Reporter:
    """One organisation's client: reports in order, each retried until a 2xx."""

    def __init__(
        self,
        url: Callable[[], str],
        setup: Setup,
        organisation: str,
        ledger: Ledger,
        *,
        seed: int,
    ) -> None:
        self._url = url
        self._setup = setup
        self._organisation = organisation
        self._ledger = ledger
        self._rng = random.Random(seed)

    async def run(self, count: int, *, stop: asyncio.Event | None = None) -> None:
        headers = bearer(self._setup.reporter_tokens[self._organisation])
        path = f"/api/v1/incidents/{self._setup.incident_id}/reports"
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
            for number in range(count):
                if stop is not None and stop.is_set():
                    return
                body = report_body(self._rng, self._organisation, number)
                self._ledger.sent.append(body["report_id"])
                began = time.monotonic()
                status = await self._until_accepted(session, path, headers, body)
                self._ledger.latencies.append(time.monotonic() - began)
                self._ledger.acknowledged[body["report_id"]] = status

    async def _until_accepted(
        self,
        session: aiohttp.ClientSession,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> int:
        status, _ = await post_until_accepted(
            session, self._url() + path, self._ledger, self._rng, json=body, headers=headers
        )
        return status


class Tally(Protocol):
    """Where a client counts its attempts and why they failed."""

    attempts: int
    failures: Counter[str]


async def post_until_accepted(
    session: aiohttp.ClientSession, url: str, tally: Tally, rng: random.Random, **request: Any
) -> tuple[int, bytes]:
    """POST the same request until it is answered 2xx: again after a reset, a refusal or a
    5xx (backing off, with jitter), and after a 429 or a 503 with `Retry-After` when
    that says (as a client should: a report cap, or the import lane). Any other answer
    is a failure of the test. The 2xx status and its body."""
    pause = 0.02
    while True:
        tally.attempts += 1
        told: float | None = None
        try:
            async with session.post(url, **request) as r:
                raw = await r.read()
                if r.status in (200, 201):
                    return r.status, raw
                if r.status == 429 or (r.status == 503 and "Retry-After" in r.headers):
                    told = float(r.headers["Retry-After"])
                elif r.status not in RETRY_STATUSES:
                    raise AssertionError(f"{r.status} for {url}: {raw[:300]!r}")
                tally.failures[f"http {r.status}"] += 1
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            tally.failures[type(exc).__name__] += 1
        if told is not None:
            await asyncio.sleep(told)
            continue
        await asyncio.sleep(pause * (0.5 + rng.random()))
        pause = min(pause * 2, 0.5)


async def run_reporters(
    url: Callable[[], str],
    setup: Setup,
    ledger: Ledger,
    *,
    clients: int,
    reports: int,
    seed: int,
) -> None:
    """`reports` in all from `clients` concurrent reporters (one organisation each)."""
    organisations = list(setup.reporter_tokens)[:clients]
    assert len(organisations) == clients
    share, rest = divmod(reports, clients)
    await asyncio.gather(
        *(
            Reporter(url, setup, code, ledger, seed=seed * 1000 + index).run(
                share + (1 if index < rest else 0)
            )
            for index, code in enumerate(organisations)
        )
    )


@dataclass(frozen=True)
class StoreCheck:
    stored: int
    duplicates: list[str]  # report ids stored more than once
    missing: list[str]  # sent, never stored
    acknowledged_missing: list[str]  # answered 2xx, not stored
    unexpected: int  # stored but never sent
    last_seq: int
    seq_gaps: list[int]  # seqs absent from 1..last_seq
    report_events: int

    @property
    def exact(self) -> bool:
        return not (
            self.duplicates
            or self.missing
            or self.acknowledged_missing
            or self.unexpected
            or self.seq_gaps
        )


async def logged(conn: asyncpg.Connection, incident_id: str) -> tuple[list[int], list[str]]:
    """The incident's log: its seqs in order, and the report id of each report event."""
    seqs = [
        row["seq"]
        for row in await conn.fetch(
            "SELECT seq FROM events WHERE incident_id = $1 ORDER BY seq", uuid.UUID(incident_id)
        )
    ]
    in_events: list[str] = [
        row["id"]
        for row in await conn.fetch(
            "SELECT data->'report'->>'report_id' AS id FROM events"
            " WHERE incident_id = $1 AND kind = 'report.submitted'",
            uuid.UUID(incident_id),
        )
    ]
    return seqs, in_events


async def at_even_steps(
    steps: int, total: int, done: Callable[[], int], load: asyncio.Future[Any],
    act: Callable[[int], Awaitable[None]],
) -> None:  # fmt: skip
    """`act(n)` for n = 1..steps, each once `done()` reaches n/(steps + 1) of `total`:
    faults spread evenly over a load, whatever its pace; none after the load ended."""
    for number in range(1, steps + 1):
        threshold = total * number // (steps + 1)
        # No limit: the load ends by itself, at the machine's pace.
        await until(lambda t=threshold: done() >= t or load.done(), within=None)  # type: ignore[misc]
        if load.done():
            return
        await act(number)


async def until(condition: Callable[[], bool], *, within: float | None = 120.0) -> None:
    """Poll `condition` (state that other tasks change) until it holds (None: no limit)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110  # many tasks' state, no one event to wait on
            await asyncio.sleep(0.01)


async def check_store(dsn: str, incident_id: str, ledger: Ledger) -> StoreCheck:
    """Compare the database with the ledger."""
    conn = await asyncpg.connect(dsn)
    try:
        ids = [
            str(row["report_id"])
            for row in await conn.fetch(
                "SELECT report_id FROM reports WHERE incident_id = $1", uuid.UUID(incident_id)
            )
        ]
        seqs, in_events = await logged(conn, incident_id)
    finally:
        await conn.close()
    counted = Counter(in_events)
    sent = set(ledger.sent)
    last = seqs[-1] if seqs else 0
    return StoreCheck(
        stored=len(ids),
        duplicates=sorted(rid for rid, times in counted.items() if times > 1),
        missing=sorted(sent - set(ids) | (sent - set(in_events))),
        acknowledged_missing=sorted(set(ledger.acknowledged) - set(ids)),
        unexpected=len(set(ids) - sent),
        last_seq=last,
        seq_gaps=sorted(set(range(1, last + 1)) - set(seqs)),
        report_events=len(in_events),
    )


# --- the stream -------------------------------------------------------------------------


@dataclass
class Viewer:
    """Follows one incident, resuming with `since` whenever its socket ends.

    `url()` is asked at every (re)connection, so a harness may point it elsewhere.
    """

    url: Callable[[], str]
    token: str
    topic: str
    name: str = "viewer"
    last: int = 0
    started: bool = False
    seqs: list[int] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # (had, got)
    duplicates: int = 0
    snapshots: int = 0  # after the first: a resume that did not replay
    connections: int = 0
    refused: int = 0
    close_codes: Counter[int | None] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # event `at` -> received, seconds
    on_event: Callable[[Viewer, int], None] | None = None
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    reconnect_pause: float = 0.05
    heartbeat: float | None = 30.0

    async def follow(self, until_seq: int, *, deadline: float = 120.0) -> None:
        """Until a frame with seq >= `until_seq` has come (or `deadline` seconds)."""
        async with asyncio.timeout(deadline), aiohttp.ClientSession() as session:
            while self.last < until_seq:
                await self._one_connection(session, until_seq)
                if self.last < until_seq:
                    await asyncio.sleep(self.reconnect_pause)

    async def _one_connection(self, session: aiohttp.ClientSession, until_seq: int) -> None:
        try:
            ws = await session.ws_connect(
                f"{self.url()}/api/v1/stream",
                headers=bearer(self.token),
                heartbeat=self.heartbeat,
            )
        except (aiohttp.ClientError, OSError):
            self.refused += 1
            return
        self.connections += 1
        try:
            subscribe: dict[str, Any] = {"type": "subscribe", "topic": self.topic}
            if self.started:
                subscribe["since"] = self.last
            await ws.send_str(json.dumps(subscribe))
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                self._take(json.loads(message.data))
                if self.last >= until_seq:
                    break
        except (aiohttp.ClientError, OSError):
            pass
        finally:
            self.close_codes[ws.close_code] += 1
            await ws.close()

    def _take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "snapshot":
            if self.started:
                self.snapshots += 1  # a resume that should have replayed
            self.started = True
            self.last = frame["seq"]
            self.subscribed.set()
            return
        if kind != "event":
            return
        seq: int = frame["seq"]
        if seq <= self.last:
            self.duplicates += 1
            return
        if seq != self.last + 1:
            self.gaps.append((self.last, seq))
        at = datetime.fromisoformat(frame["event"]["at"])
        self.latencies.append(time.time() - at.timestamp())
        self.last = seq
        self.seqs.append(seq)
        if self.on_event is not None:
            self.on_event(self, seq)

    @property
    def unbroken(self) -> bool:
        return not self.gaps and not self.duplicates and not self.snapshots


async def metric(url: str, name: str) -> float:
    """One value from an instance's /metrics (loopback may read it)."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as r:
        text = await r.text()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total
