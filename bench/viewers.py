"""The viewers of the fan-out benchmark, in a process of their own.

Started only by `bench.fanout`:

    python -m bench.viewers <stream-url> <token> <topic> <viewers> <events>

The viewers live in a separate process so that their sockets, buffers and frames do
not count in the server's memory, and so that reading 200 sockets does not steal the
server's event loop. Lines of JSON on stdout, plain words on stdin:

    → {"ready": …}        every socket is subscribed and has its snapshot
    ← done                the parent has submitted every report
    → {"viewers": …}      every viewer got every event (or the wait ran out)
    ← close               the parent has measured; close the sockets and exit

Arrival times are `time.monotonic_ns()`: CLOCK_MONOTONIC, one clock for every process
on the machine, so the parent can subtract its own submit times from them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from service.picture.merge_patch import merge

CONNECT_BATCH = 25
DELIVERY_TIMEOUT = 60.0
READY_TIMEOUT = 60.0


@dataclass
class Viewer:
    ws: aiohttp.ClientWebSocketResponse
    snapshot_seq: int
    snapshot: dict[str, Any]
    frames: list[tuple[int, str]] = field(default_factory=list)  # (arrival ns, text)
    ended: str | None = None

    async def read(self, count: int) -> None:
        """Keep the first `count` text frames with their arrival times; parse nothing yet."""
        while len(self.frames) < count:
            message = await self.ws.receive()
            arrived = time.monotonic_ns()
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames.append((arrived, message.data))
            elif message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                self.ended = f"{message.type.name} (close code {self.ws.close_code})"
                return


async def connect(session: aiohttp.ClientSession, url: str, token: str, topic: str) -> Viewer:
    ws = await session.ws_connect(url, headers={"Authorization": f"Bearer {token}"})
    await ws.send_str(json.dumps({"type": "subscribe", "topic": topic}))
    first = await ws.receive(READY_TIMEOUT)
    frame: dict[str, Any] = json.loads(first.data) if first.type is aiohttp.WSMsgType.TEXT else {}
    if frame.get("type") != "snapshot" or frame.get("topic") != topic:
        raise SystemExit(f"viewer: expected a snapshot, got {first.type.name} {first.data!r}")
    return Viewer(ws, int(frame["seq"]), frame["picture"])


def verdict(viewer: Viewer, topic: str, events: int) -> dict[str, Any]:
    """Arrival times by seq, the report ids carried, the picture that the snapshot and
    the patches make, and the first problem if any."""
    arrivals: list[int] = []
    report_ids: list[str] = []
    expected = viewer.snapshot_seq + 1
    picture: Any = viewer.snapshot
    problem: str | None = None
    for arrived, text in viewer.frames:
        frame = json.loads(text)
        if frame.get("type") != "event" or frame.get("topic") != topic:
            problem = f"after seq {expected - 1}: unexpected frame {text[:300]}"
            break
        if frame["seq"] != expected:
            problem = f"expected seq {expected}, got seq {frame['seq']} (a gap or a reorder)"
            break
        arrivals.append(arrived)
        report_ids.append(frame["event"]["data"]["report"]["report_id"])
        picture = merge(picture, frame["patch"])
        expected += 1
    if problem is None and len(arrivals) != events:
        ended = f"; the socket ended: {viewer.ended}" if viewer.ended else ""
        problem = f"got {len(arrivals)} of {events} events{ended}"
    return {
        "problem": problem,
        "arrivals": arrivals,
        "report_ids": report_ids,
        "picture": json.dumps(picture, sort_keys=True),
    }


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def expect_word(word: str) -> None:
    line = await asyncio.to_thread(sys.stdin.readline)
    if line.strip() != word:
        raise SystemExit(f"viewer: expected {word!r} from the parent, got {line!r}")


async def main_async(url: str, token: str, topic: str, count: int, events: int) -> None:
    # limit=0: every socket holds its connection for good; the default limit of 100 would
    # make the 101st viewer wait for ever.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        viewers: list[Viewer] = []
        for start in range(0, count, CONNECT_BATCH):
            batch = min(CONNECT_BATCH, count - start)
            viewers += await asyncio.gather(
                *(connect(session, url, token, topic) for _ in range(batch))
            )
        readers = [asyncio.create_task(viewer.read(events)) for viewer in viewers]
        emit({"ready": True, "snapshot_seqs": [viewer.snapshot_seq for viewer in viewers]})
        await expect_word("done")
        _done, late = await asyncio.wait(readers, timeout=DELIVERY_TIMEOUT)
        for task in late:
            task.cancel()
        results = [verdict(viewer, topic, events) for viewer in viewers]
        first_ids, first_picture = results[0]["report_ids"], results[0]["picture"]
        emit(
            {
                "viewers": [
                    {"problem": result["problem"], "arrivals": result["arrivals"]}
                    for result in results
                ],
                "report_ids": first_ids,
                "same_reports": all(result["report_ids"] == first_ids for result in results),
                # The picture every viewer made from its snapshot and patches, if all agree.
                "picture": (
                    json.loads(first_picture)
                    if all(result["picture"] == first_picture for result in results)
                    else None
                ),
            }
        )
        await expect_word("close")
        await asyncio.gather(*(viewer.ws.close() for viewer in viewers))


def main() -> None:
    url, token, topic, count, events = sys.argv[1:6]
    asyncio.run(main_async(url, token, topic, int(count), int(events)))


if __name__ == "__main__":
    main()
