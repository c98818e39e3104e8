"""Start-up from checkpoints: the hub loads an incident from its latest checkpoint and
folds only the events after it, and what it holds is what folding the whole log from
seq 0 gives."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from service.clock import FixedClock
from service.config import Settings
from service.db.pool import create_pool
from service.domain import reporting
from service.metrics import Metrics
from service.picture.fold import rebuild
from service.repo import checkpoints, events
from service.stream.feed import Feed
from service.stream.hub import Hub
from tests.ingest.support import CountingConnection, reporter, submission
from tests.settings import with_changes
from tests.support import T0, Api

CODES = ["1440", "1441", "1442", "1443", "1444"]
LEVELS = ["none", "moderate", "significant", "serious", "critical"]


async def _log(dsn: str, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await events.since(conn, incident_id, 0)
    finally:
        await pool.close()


async def _incident_with_a_long_log(api: Api, dsn: str) -> uuid.UUID:
    """Reports from five municipalities, a change of participants and of the schedule
    in the middle, then more reports: 122 events."""
    incident = uuid.UUID((await api.activate(participants=CODES[:4]))["id"])
    who = {code: await reporter(dsn, code) for code in CODES}
    pool = await create_pool(dsn)
    try:
        for n in range(60):
            code = CODES[n % 4]
            sectors = [{"sector": "energy", "status": LEVELS[n % 5], "text": f"{n}"}]
            await reporting.submit(pool, who[code], incident, submission(code, sectors=sectors), T0)
        reply = await api.call(
            "PATCH",
            f"/api/v1/incidents/{incident}",
            as_=("LST-14", "duty_officer"),
            json_body={"participants": CODES[1:], "schedule": {"times": ["09:00", "15:00"]}},
        )
        assert reply.status == 200, reply.body
        for n in range(60):
            code = CODES[1 + n % 4]
            needs = [
                {"need_id": f"n{n % 3}", "text": "Vatten", "status": ["open", "resolved"][n % 2]}
            ]
            await reporting.submit(pool, who[code], incident, submission(code, needs=needs), T0)
    finally:
        await pool.close()
    return incident


async def _loaded(dsn: str, settings: Settings, incident: uuid.UUID) -> tuple[Feed, list[Any]]:
    """A new hub (as after a restart) loads the incident; the feed and the statements
    its connection sent, with their arguments."""
    pool = await create_pool(dsn, min_size=1, max_size=1, connection_class=CountingConnection)
    sent: list[Any] = []
    async with pool.acquire() as conn:
        conn._con.add_query_logger(sent.append)  # type: ignore[attr-defined]
    hub = Hub(pool, settings, Metrics(), FixedClock(T0))
    try:
        feed = await hub.feed(incident)
        assert feed is not None
        # The checkpoints are written in a task of their own, off the load's path.
        keeping = [t for t in asyncio.all_tasks() if t.get_name() == f"checkpoint-{incident}"]
        await asyncio.gather(*keeping)
        await hub.stop()
    finally:
        await pool.close()
    return feed, sent


def _read_after(sent: list[Any]) -> int:
    """The seq after which the load read the log (it reads it once)."""
    read = [q for q in sent if "FROM events" in q.query and "seq > $2" in q.query]
    assert len(read) == 1
    after: int = read[0].args[1]
    return after


def _same_feed(loaded: Feed, whole: Feed) -> None:
    """The same picture, access and snapshot, and the same frames for the events it
    replays (read as JSON: a checkpoint comes back from jsonb with its keys in another
    order); further back than its ring, a resuming viewer is sent the snapshot."""
    assert loaded.picture == whole.picture
    assert loaded.seq == whole.seq
    assert loaded.access == whole.access
    assert json.loads(loaded.snapshot().text) == json.loads(whole.snapshot().text)
    held = len(loaded.ring)
    tail = list(whole.ring)[len(whole.ring) - held :]
    assert [seq for seq, _ in loaded.ring] == [seq for seq, _ in tail]
    assert [json.loads(f.text) for _, f in loaded.ring] == [json.loads(f.text) for _, f in tail]
    since = loaded.seq - held
    replayed = loaded.frames_after(since)
    assert replayed is not None
    assert [json.loads(f.text) for f in replayed] == [
        json.loads(f.text) for f in whole.frames_after(since) or []
    ]
    if since >= 1:
        assert loaded.frames_after(since - 1) is None  # a snapshot, then


async def test_a_restarted_hub_starts_from_a_checkpoint_and_holds_what_seq_0_gives(
    api: Api, dsn: str, settings: Settings
) -> None:
    incident = await _incident_with_a_long_log(api, dsn)
    log = await _log(dsn, incident)
    assert len(log) == 122
    for every, ring in [(7, 5), (1, 121), (200, 50)]:
        changed = with_changes(settings, checkpoint_every=every, stream_replay_limit=ring)
        whole = Feed.from_log(incident, log, ring)
        assert whole.picture == rebuild(log)
        loaded, sent = await _loaded(dsn, changed, incident)
        _same_feed(loaded, whole)
        began = _read_after(sent)
        # Every checkpoint it crossed is kept, so the next start begins late in the log.
        conn = await asyncpg.connect(dsn)
        try:
            kept = await checkpoints.seqs(conn, incident)
        finally:
            await conn.close()
        assert {seq for seq in range(began + 1, 123) if seq % every == 0} <= set(kept)
        # A second restart reads only the events after the latest checkpoint.
        again, sent = await _loaded(dsn, changed, incident)
        _same_feed(again, whole)
        assert _read_after(sent) == max(kept)
        assert 122 - max(kept) < max(every, 100)


async def test_a_log_without_checkpoints_is_folded_from_seq_0(
    api: Api, dsn: str, settings: Settings
) -> None:
    incident = await _incident_with_a_long_log(api, dsn)
    log = await _log(dsn, incident)
    conn = await asyncpg.connect(dsn)
    try:
        # As a log older than checkpoints (the running app's hub has kept some).
        await conn.execute("DELETE FROM picture_checkpoints WHERE incident_id = $1", incident)
    finally:
        await conn.close()
    loaded, sent = await _loaded(dsn, with_changes(settings, checkpoint_every=1000), incident)
    _same_feed(loaded, Feed.from_log(incident, log, settings.stream_replay_limit))
    assert _read_after(sent) == 0
