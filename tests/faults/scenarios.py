"""The fault scenarios, sized by their callers: small in tests/faults/, full in bench/faults.py.

Each starts real `lagesbild serve` children (cluster.Instance), puts the fault proxy
(proxy.FaultProxy) between them and the clients where the scenario says so, breaks
things on a schedule drawn from `seed`, and returns what it saw: the checks for the
tests to assert and the figures for the full run to print.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.faults.cluster import Instance, Postgres
from tests.faults.envelopes import (
    EnvelopeCheck,
    EnvelopeLedger,
    Gateway,
    check_envelopes,
    incident_of,
)
from tests.faults.harness import (
    Ledger,
    Setup,
    StoreCheck,
    Viewer,
    at_even_steps,
    bearer,
    check_store,
    metric,
    municipalities,
    report_body,
    run_reporters,
    until,
)
from tests.faults.proxy import FaultProxy


@contextlib.asynccontextmanager
async def behind_proxy(
    dsn: str,
    folder: Path,
    *,
    seed: int,
    settings: Mapping[str, str] | None = None,
    **faults: Any,
) -> AsyncIterator[tuple[Instance, FaultProxy, str]]:
    """A `lagesbild serve` child (with `settings`) and the fault proxy before it (with
    `faults`), started; the instance, the proxy and the proxy's URL. Both stopped at the
    end; their counts (kills, dropped responses) can still be read."""
    instance = Instance("service", dsn, folder, **(settings or {}))
    await instance.start()
    try:
        proxy = FaultProxy(instance.port, seed=seed, **faults)
        port = await proxy.start()
        try:
            yield instance, proxy, f"http://127.0.0.1:{port}"
        finally:
            await proxy.close()
    finally:
        await instance.stop()


# --- reports through kills, drops and database crashes ----------------------------------


@dataclass
class KillAndDrop:
    check: StoreCheck
    ledger: Ledger
    proxy_dropped: int
    proxy_responses: int
    kills: int
    database_stops: int
    seconds: float


async def kill_and_drop(
    dsn: str,
    folder: Path,
    *,
    reports: int,
    clients: int,
    kills: int,
    drop: float,
    seed: int,
    postgres: Postgres | None = None,
    database_stops: int = 0,
) -> KillAndDrop:
    """`reports` from `clients` retrying reporters through a proxy that drops `drop` of
    the responses, while the service is SIGKILLed `kills` times (and, given `postgres`,
    the database stopped `database_stops` times with -m immediate), each spread evenly
    over the run; then the store is checked against what the clients were told."""
    async with behind_proxy(dsn, folder, seed=seed, drop_responses=drop) as (instance, proxy, url):
        began = time.monotonic()
        setup = await Setup.create(dsn, instance.url, municipalities(clients))
        ledger = Ledger()
        load = asyncio.create_task(
            run_reporters(
                lambda: url,
                setup,
                ledger,
                clients=clients,
                reports=reports,
                seed=seed,
            )
        )
        faults = ["kill"] * kills + ["database"] * (database_stops if postgres else 0)
        random.Random(seed).shuffle(faults)

        async def fault(number: int) -> None:
            if faults[number - 1] == "kill":
                await instance.kill()
                await instance.start()
            else:
                assert postgres is not None
                await postgres.crash()
                await asyncio.sleep(0.2)
                await postgres.start()

        await at_even_steps(len(faults), reports, lambda: len(ledger.acknowledged), load, fault)
        await load
        check = await check_store(dsn, setup.incident_id, ledger)
    return KillAndDrop(
        check=check,
        ledger=ledger,
        proxy_dropped=proxy.counts.dropped_responses,
        proxy_responses=proxy.counts.responses,
        kills=instance.kills,
        database_stops=postgres.stops if postgres else 0,
        seconds=time.monotonic() - began,
    )


# --- EDXL envelopes through kills and drops ----------------------------------------------


@dataclass
class EnvelopesThroughKills:
    check: EnvelopeCheck
    ledger: EnvelopeLedger
    reports: Ledger  # the JSON reports sent meanwhile to the same incident
    reports_check: StoreCheck
    proxy_dropped: int
    kills: int
    seconds: float

    @property
    def exact(self) -> bool:
        """Both kinds stored exactly once, nothing answered missing, no gap (the JSON
        reports' check sees the envelopes' reports as not its own)."""
        json = self.reports_check
        return (
            self.check.exact
            and not (json.duplicates or json.missing or json.acknowledged_missing)
            and json.unexpected == self.check.answered
        )


async def envelopes_through_kills(
    dsn: str,
    folder: Path,
    *,
    gateways: int,
    envelopes: int,
    size: int,
    reporters: int,
    reports: int,
    kills: int,
    drop: float,
    seed: int,
) -> EnvelopesThroughKills:
    """`gateways` organisations each sending `envelopes` EDXL envelopes of `size` SitReps,
    and `reporters` others `reports` JSON reports in all to the same incident, through a
    proxy that drops `drop` of the responses, while the service is SIGKILLed `kills`
    times, spread over the envelopes; then the store is checked against both."""
    async with behind_proxy(dsn, folder, seed=seed, drop_responses=drop) as (instance, proxy, url):
        began = time.monotonic()
        codes = municipalities(gateways + reporters)
        setup = await Setup.create(dsn, instance.url, codes)
        incident = await incident_of(instance.url, setup)
        ledger, ledger_json = EnvelopeLedger(), Ledger()
        sending = asyncio.gather(
            *(
                Gateway(url, setup, incident, code, ledger, seed * 1000 + n).run(envelopes, size)
                for n, code in enumerate(codes[:gateways])
            )
        )
        json_setup = Setup(setup.incident_id, dict(list(setup.reporter_tokens.items())[gateways:]),
                           setup.viewer_token)  # fmt: skip
        reporting = run_reporters(
            lambda: url, json_setup, ledger_json, clients=reporters, reports=reports, seed=seed
        )
        load = asyncio.ensure_future(asyncio.gather(sending, reporting))

        async def kill(_: int) -> None:
            await instance.kill()
            await instance.start()

        await at_even_steps(kills, gateways * envelopes, lambda: len(ledger.answered), load, kill)
        await load
        check = await check_envelopes(dsn, setup.incident_id, ledger, ledger_json.sent)
        reports_check = await check_store(dsn, setup.incident_id, ledger_json)
    return EnvelopesThroughKills(
        check=check,
        ledger=ledger,
        reports=ledger_json,
        reports_check=reports_check,
        proxy_dropped=proxy.counts.dropped_responses,
        kills=instance.kills,
        seconds=time.monotonic() - began,
    )


# --- the stream: cuts and resumes -------------------------------------------------------


@dataclass
class StreamCuts:
    viewer: Viewer
    events: int
    cuts: int
    kills: int
    last_seq: int
    figures: dict[str, Any] = field(default_factory=dict)


async def post_reports(
    url: str, setup: Setup, count: int, *, seed: int, pace: float = 0.0, padding: int = 0
) -> list[str]:
    """`count` reports straight to `url` (round-robin over the organisations). A client
    told 429 waits as long as Retry-After says and sends the same report again: at
    full size the posting passes an organisation's report cap (2/s, a burst of 120)."""
    rng = random.Random(seed)
    organisations = list(setup.reporter_tokens)
    path = f"{url}/api/v1/incidents/{setup.incident_id}/reports"
    ids = []

    async def one(session: aiohttp.ClientSession, code: str, number: int) -> None:
        body = report_body(rng, code, number, padding=padding)
        while True:
            try:
                async with session.post(
                    path, json=body, headers=bearer(setup.reporter_tokens[code])
                ) as r:
                    await r.read()
                    if r.status in (200, 201):
                        ids.append(body["report_id"])
                        return
                    wait = 0.05
                    if r.status == 429:
                        wait = float(r.headers["Retry-After"])
                    else:
                        assert r.status >= 500, r.status
            except (aiohttp.ClientError, OSError):
                wait = 0.05
            await asyncio.sleep(wait)

    async with aiohttp.ClientSession() as session:
        for start in range(0, count, len(organisations)):
            batch = range(start, min(start + len(organisations), count))
            await asyncio.gather(
                *(one(session, organisations[n % len(organisations)], n) for n in batch)
            )
            if pace:
                await asyncio.sleep(pace)
    return ids


async def stream_cuts(
    dsn: str,
    folder: Path,
    *,
    events: int,
    cuts: int,
    seed: int,
    kill_viewers_instance: bool = False,
) -> StreamCuts:
    """A viewer on instance A (through the proxy) while `events` reports are posted to
    instance B; its connection is cut at `cuts` random points and it resumes with
    `since` each time. With `kill_viewers_instance`, A is SIGKILLed halfway and the
    proxy sends the viewer to B from then on (what nginx does when an upstream dies)."""
    a = Instance("a", dsn, folder)
    b = Instance("b", dsn, folder)
    await asyncio.gather(a.start(), b.start())
    proxy = FaultProxy(a.port, seed=seed)
    port = await proxy.start()
    try:
        setup = await Setup.create(dsn, b.url, municipalities(20))
        first = await _log_length(b.url, setup)
        rng = random.Random(seed)
        points = sorted(rng.sample(range(first + 1, first + events), min(cuts, events - 1)))
        kill_at = first + events // 2 if kill_viewers_instance else None
        pending = list(points)
        killed = asyncio.Event()

        def on_event(viewer: Viewer, seq: int) -> None:
            while pending and seq >= pending[0]:
                pending.pop(0)
                proxy.cut_all()
            if kill_at is not None and seq >= kill_at and not killed.is_set():
                killed.set()

        viewer = Viewer(lambda: f"http://127.0.0.1:{port}", setup.viewer_token, setup.topic)
        viewer.on_event = on_event
        viewer.reconnect_pause = 0.0
        following = asyncio.create_task(viewer.follow(first + events, deadline=600))
        await asyncio.wait_for(viewer.subscribed.wait(), 30)
        posting = asyncio.create_task(post_reports(b.url, setup, events, seed=seed))

        async def kill_when_told() -> None:
            await killed.wait()
            await a.kill()
            proxy.retarget(b.port)
            proxy.cut_all()

        killer = asyncio.create_task(kill_when_told()) if kill_at is not None else None
        await asyncio.gather(posting, following)
        if killer is not None:
            await killer
        last = await _log_length(b.url, setup)
    finally:
        await proxy.close()
        await asyncio.gather(a.stop(), b.stop())
    return StreamCuts(
        viewer=viewer,
        events=events,
        cuts=proxy.counts.cuts,
        kills=a.kills,
        last_seq=last,
        figures={"first_seq": first},
    )


async def _log_length(url: str, setup: Setup) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{url}/api/v1/incidents/{setup.incident_id}/picture",
            headers=bearer(setup.viewer_token),
        ) as r,
    ):
        picture: dict[str, Any] = await r.json()
        assert r.status == 200, picture
    seq: int = picture["seq"]
    return seq


# --- slow consumer, dead peer, reconnecting crowd ---------------------------------------


@dataclass
class SlowConsumer:
    closed_after: float | None  # seconds from the flood's start to the 4008 close
    slow_closes: float
    rss_growth: int  # bytes
    others_p99: float  # seconds, event `at` -> received, over the other viewers
    others_unbroken: bool


async def slow_consumer(
    dsn: str, folder: Path, *, events: int, others: int, seed: int, **settings: str
) -> SlowConsumer:
    """One viewer (behind its own proxy) stops reading while `events` reports go out;
    `others` viewers read on."""
    proxied = behind_proxy(dsn, folder, seed=seed, settings=settings, receive_buffer=4096)
    async with proxied as (instance, proxy, url):
        setup = await Setup.create(dsn, instance.url, municipalities(20))
        first = await _log_length(instance.url, setup)
        slow = Viewer(lambda: url, setup.viewer_token, setup.topic)
        slow.heartbeat = None
        slow_task = asyncio.create_task(slow.follow(first + events, deadline=600))
        crowd = [
            Viewer(lambda: instance.url, setup.viewer_token, setup.topic, name=f"v{n}")
            for n in range(others)
        ]
        crowd_tasks = [asyncio.create_task(v.follow(first + events, deadline=600)) for v in crowd]
        for viewer in [slow, *crowd]:
            await asyncio.wait_for(viewer.subscribed.wait(), 30)
        rss_before = instance.rss_bytes()
        slow_closes_before = await metric(instance.url, "lagesbild_stream_slow_consumers_total")
        proxy.stall()
        began = time.monotonic()
        posting = asyncio.create_task(
            post_reports(instance.url, setup, events, seed=seed, pace=0.01, padding=3000)
        )
        closed_after: float | None = None
        rss_peak = rss_before
        while not posting.done() or closed_after is None:
            rss_peak = max(rss_peak, instance.rss_bytes())
            closes = await metric(instance.url, "lagesbild_stream_slow_consumers_total")
            if closed_after is None and closes > slow_closes_before:
                closed_after = time.monotonic() - began
            if time.monotonic() - began > 60:
                break
            await asyncio.sleep(0.05)
        await posting
        await asyncio.gather(*crowd_tasks)
        slow_total = await metric(instance.url, "lagesbild_stream_slow_consumers_total")
        slow_task.cancel()
        await asyncio.gather(slow_task, return_exceptions=True)
    latencies = sorted(value for viewer in crowd for value in viewer.latencies)
    return SlowConsumer(
        closed_after=closed_after,
        slow_closes=slow_total - slow_closes_before,
        rss_growth=rss_peak - rss_before,
        others_p99=latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        others_unbroken=all(viewer.unbroken for viewer in crowd),
    )


async def dead_peer(dsn: str, folder: Path, *, seed: int, **settings: str) -> float | None:
    """A viewer whose link goes dead (the proxy forwards nothing, closes nothing): seconds
    until the service gives up on it, or None if it did not within two minutes."""
    async with behind_proxy(dsn, folder, seed=seed, settings=settings) as (instance, proxy, url):
        setup = await Setup.create(dsn, instance.url, municipalities(2))
        viewer = Viewer(lambda: url, setup.viewer_token, setup.topic)
        viewer.heartbeat = None  # the viewer's side does not give up first
        following = asyncio.create_task(viewer.follow(10**9, deadline=600))
        await asyncio.wait_for(viewer.subscribed.wait(), 30)
        proxy.freeze()
        try:
            await until(lambda: bool(proxy.closed_while_frozen), within=120)
        except TimeoutError:
            return None
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
        return proxy.closed_while_frozen[0]


@dataclass
class Reconnecting:
    viewers: int
    back_after: float  # seconds from the restart until the last viewer had its replay
    refused: int  # connection attempts refused or answered other than 101
    unbroken: bool


async def reconnect_crowd(
    dsn: str, folder: Path, *, viewers: int, jitter: float, seed: int
) -> Reconnecting:
    """`viewers` follow an incident; the service is SIGKILLed and started again; each
    comes back after a random pause up to `jitter` seconds with `since` and must get the
    event posted meanwhile."""
    instance = Instance("service", dsn, folder)
    await instance.start()
    rng = random.Random(seed)
    try:
        setup = await Setup.create(dsn, instance.url, municipalities(2))
        first = await _log_length(instance.url, setup)
        crowd = [
            Viewer(lambda: instance.url, setup.viewer_token, setup.topic, name=f"v{n}")
            for n in range(viewers)
        ]
        for viewer in crowd:
            viewer.reconnect_pause = rng.uniform(0, jitter)
            viewer.heartbeat = None
        tasks = [asyncio.create_task(v.follow(first + 2, deadline=600)) for v in crowd]
        await _all_set([v.subscribed.wait for v in crowd])
        await post_reports(instance.url, setup, 1, seed=seed)
        await until(lambda: all(v.last >= first + 1 for v in crowd), within=60)
        await instance.kill()
        await instance.start()
        for viewer in crowd:
            viewer.refused = 0  # from here on, a refusal is the service's
        restarted = time.monotonic()
        await post_reports(instance.url, setup, 1, seed=seed + 1)
        await asyncio.gather(*tasks)
        back_after = time.monotonic() - restarted
    finally:
        await instance.stop()
    return Reconnecting(
        viewers=viewers,
        back_after=back_after,
        refused=sum(v.refused for v in crowd),
        unbroken=all(v.unbroken for v in crowd),
    )


async def _all_set(waits: list[Callable[[], Awaitable[Any]]]) -> None:
    await asyncio.wait_for(asyncio.gather(*(wait() for wait in waits)), 60)
