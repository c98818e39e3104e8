"""`lagesbild watch`: follow an incident's stream from a terminal, one JSON frame a line."""

from __future__ import annotations

import json
import sys

import aiohttp


async def watch(url: str, token: str, topic: str, since: int | None, count: int | None) -> int:
    """Subscribe to `topic` and print each frame; stop after `count` frames if given."""
    subscribe: dict[str, object] = {"type": "subscribe", "topic": topic}
    if since is not None:
        subscribe["since"] = since
    headers = {"Authorization": f"Bearer {token}"}
    stream_url = url.rstrip("/").replace("http", "ws", 1) + "/api/v1/stream"
    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(stream_url, headers=headers, heartbeat=30) as ws,
    ):
        await ws.send_json(subscribe)
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            sys.stdout.write(json.dumps(json.loads(message.data), ensure_ascii=False) + "\n")
            sys.stdout.flush()
            seen += 1
            if count is not None and seen >= count:
                return 0
        sys.stderr.write(f"stream closed: {ws.close_code}\n")
    return 0
