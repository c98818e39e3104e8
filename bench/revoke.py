"""Revoke: how long until a revoked token's streams close on another instance.

Two instances of the app share one database. Viewers of LST-14 hold streams on the
second instance, all with one token; the token is revoked on a connection of its own
(as `lagesbild token revoke` does, from another process), and the time from the
revocation's commit to the last close frame is measured. The baseline, measured in the
same rounds, is the path every event takes between instances: an incident change
committed through the first instance until its frame reaches every socket on the
second. Both travel by NOTIFY; the revocation should cost about the same.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import aiohttp
import asyncpg

from bench.common import (
    BOARD,
    Postgres,
    Summary,
    activate,
    bearer,
    make_tokens,
    ms,
    print_table,
    ratio,
    running_app,
    summarise,
)
from service.access.tokens import revoke_token
from service.audit.record import Origin


async def _sockets(
    session: aiohttp.ClientSession, base: str, token: str, count: int
) -> list[aiohttp.ClientWebSocketResponse]:
    url = base.replace("http://", "ws://") + "/api/v1/stream"
    opened = [await session.ws_connect(url, headers=bearer(token)) for _ in range(count)]
    for ws in opened:
        await ws.send_json({"type": "subscribe", "topic": "incidents"})
        await ws.receive_json(timeout=10)
    return opened


async def _until_all(
    sockets: list[aiohttp.ClientWebSocketResponse], wanted: aiohttp.WSMsgType
) -> float:
    """perf_counter when the last socket has received a message of this type."""

    async def one(ws: aiohttp.ClientWebSocketResponse) -> float:
        while True:
            message = await ws.receive(timeout=10)
            if message.type is wanted:
                return time.perf_counter()

    return max(await asyncio.gather(*(one(ws) for ws in sockets)))


async def run(pg: Postgres, *, quick: bool) -> None:
    rounds = 5 if quick else 20
    sockets_each = 10 if quick else 50
    dsn = await pg.new_database("revoke")
    duty = (await make_tokens(dsn, [(BOARD, "duty_officer")]))[(BOARD, "duty_officer")]
    event_times: list[float] = []
    close_times: list[float] = []
    async with (
        running_app(dsn) as first,
        running_app(dsn) as second,
        aiohttp.ClientSession() as session,
    ):
        incident = (await activate(session, first, duty, ["1442"]))["id"]
        for n in range(rounds):
            viewer = (await make_tokens(dsn, [(BOARD, "viewer")]))[(BOARD, "viewer")]
            sockets = await _sockets(session, second, viewer, sockets_each)
            # Baseline: a change through the first instance reaches every socket here.
            began = time.perf_counter()
            waiting = asyncio.create_task(_until_all(sockets, aiohttp.WSMsgType.TEXT))
            async with session.patch(
                f"{first}/api/v1/incidents/{incident}",
                headers=bearer(duty),
                json={"title": f"Storm {n}"},
            ) as reply:
                assert reply.status == 200, await reply.text()
            event_times.append(await waiting - began)
            # Revocation from another process: the token's sockets close here.
            conn = await asyncpg.connect(dsn)
            try:
                token_id = await conn.fetchval("SELECT max(id) FROM api_tokens")
                waiting = asyncio.create_task(_until_all(sockets, aiohttp.WSMsgType.CLOSE))
                began = time.perf_counter()
                done = await revoke_token(
                    conn, token_id, at=datetime.now(UTC), by=Origin(actor="bench")
                )
                assert done is not None
                close_times.append(await waiting - began)
            finally:
                await conn.close()
            for ws in sockets:
                await ws.close()
    events, closes = summarise(event_times), summarise(close_times)
    print_table(
        f"Revoke: {rounds} rounds, {sockets_each} sockets of one token on the other instance "
        "(time to the last socket)",
        ["path", "p50", "p95", "max", "p50 vs baseline"],
        [
            ["incident change → frame (baseline)", *_figures(events), "×1.00"],
            ["token revoked → close frame", *_figures(closes), ratio(closes.p50, events.p50)],
        ],
    )


def _figures(summary: Summary) -> list[str]:
    return [ms(summary.p50), ms(summary.p95), ms(summary.max)]
