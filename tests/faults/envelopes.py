"""EDXL envelopes through the faults: gateways that send each envelope until a 2xx, and
the check of what the database holds against what they were told.

A gateway (here: a reporter sending for its own organisation, as a municipality's own
system does) sends envelopes of several SitReps one after another, each again with the
same bytes until it is answered 2xx, whatever happens in between (reset, refused, 5xx,
a 429 or 503 with `Retry-After`). The report ids are the service's (keyed from sender
and message id), so the gateway learns them from the answer; a dropped answer is
learnt from the repeat's.

`check_envelopes`: every SitRep of every envelope stored once, an envelope's reports
stored by one write (consecutive seqs), every answered report present, the log's seq
1..n without a gap.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from schemas.incident import Incident
from schemas.report import StoredReport
from tests.faults.harness import REQUEST_TIMEOUT, Setup, bearer, logged, post_until_accepted
from tests.support import sitreps_envelope


@dataclass
class EnvelopeLedger:
    """What the gateways sent and what they were told."""

    sent: int = 0  # envelopes
    answered: dict[str, list[str]] = field(default_factory=dict)  # envelope -> report ids
    statuses: Counter[int] = field(default_factory=Counter)  # the 2xx each ended with
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)


@dataclass
class Gateway:
    """One organisation's system: envelopes of SitReps, in order (`run`)."""

    url: str  # the service, or the fault proxy before it
    setup: Setup
    incident: Incident
    organisation: str
    ledger: EnvelopeLedger
    seed: int
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def envelope(self, number: int, size: int) -> bytes:
        now = datetime.now(UTC)
        reports = [
            StoredReport.model_validate(
                {
                    "report_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                    "incident_id": self.incident.id,
                    "organisation": self.organisation,
                    "version": 1,
                    "as_of": now,
                    "received_at": now,
                    "submitted_by": f"Systemet i {self.organisation}",
                    "supersedes": None,
                    "unchanged": False,
                    "late": False,
                    "due_at": None,
                    "situation": f"Kuvert {number}, läge {item}: "
                    f"{self.rng.randint(0, 5000)} hushåll utan ström.",
                }
            )
            for item in range(size)
        ]
        return sitreps_envelope(
            self.incident,
            reports,
            sender=self.organisation,
            organisation_name=f"Kommun {self.organisation}",
            distribution_id=f"faults:{self.organisation}:{number}",
            sent=now,
        )

    async def run(self, count: int, size: int) -> None:
        headers = {
            **bearer(self.setup.reporter_tokens[self.organisation]),
            "Content-Type": "application/xml",
        }
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
            for number in range(count):
                name = f"{self.organisation}:{number}"
                body = self.envelope(number, size)
                self.ledger.sent += 1
                status, answer = await self._until_accepted(session, headers, body)
                self.ledger.statuses[status] += 1
                self.ledger.answered[name] = [r["report_id"] for r in answer["reports"]]

    async def _until_accepted(
        self, session: aiohttp.ClientSession, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.url}/api/v1/exchange/edxl"
        status, raw = await post_until_accepted(
            session, url, self.ledger, self.rng, data=body, headers=headers
        )
        answer: dict[str, Any] = json.loads(raw)
        return status, answer


async def incident_of(url: str, setup: Setup) -> Incident:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{url}/api/v1/incidents/{setup.incident_id}", headers=bearer(setup.viewer_token)
        ) as r,
    ):
        assert r.status == 200, await r.text()
        return Incident.model_validate(await r.json())


@dataclass(frozen=True)
class EnvelopeCheck:
    stored: int  # reports in the incident, of every kind
    answered: int  # distinct report ids in the envelopes' answers
    duplicates: list[str]  # report ids in more than one event
    answered_missing: list[str]  # answered 2xx, not stored
    unanswered: int  # stored, but in no envelope's answer
    split: list[str]  # envelopes whose reports are not one run of seqs
    last_seq: int
    seq_gaps: list[int]

    @property
    def exact(self) -> bool:
        return not (
            self.duplicates
            or self.answered_missing
            or self.unanswered
            or self.split
            or self.seq_gaps
        )


async def check_envelopes(
    dsn: str, incident_id: str, ledger: EnvelopeLedger, others: Collection[str] = ()
) -> EnvelopeCheck:
    """Compare the database with what the gateways were told (`others`: the ids of
    reports sent to the incident otherwise, checked by whoever sent them)."""
    conn = await asyncpg.connect(dsn)
    try:
        seq_of = {
            str(row["report_id"]): row["seq"]
            for row in await conn.fetch(
                "SELECT report_id, seq FROM reports WHERE incident_id = $1",
                uuid.UUID(incident_id),
            )
        }
        seqs, reported = await logged(conn, incident_id)
    finally:
        await conn.close()
    in_events = Counter(reported)
    answered = {rid for ids in ledger.answered.values() for rid in ids}
    split = []
    for name, ids in ledger.answered.items():
        stored = sorted(seq_of[rid] for rid in ids if rid in seq_of)
        if not stored or stored != list(range(stored[0], stored[0] + len(ids))):
            split.append(name)
    last = seqs[-1] if seqs else 0
    return EnvelopeCheck(
        stored=len(seq_of),
        answered=len(answered),
        duplicates=sorted(rid for rid, times in in_events.items() if times > 1),
        answered_missing=sorted(answered - set(seq_of)),
        unanswered=len(set(seq_of) - answered - set(others)),
        split=split,
        last_seq=last,
        seq_gaps=sorted(set(range(1, last + 1)) - set(seqs)),
    )
