"""The worker against real receivers: an SMTP server, HTTP webhooks, failures, recovery."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer

from service import keys
from service.demo.ports import free_port
from service.outbox import repo, webhooks
from tests.outbox.support import Outbox, Receiver, SmtpSink, payload_json
from tests.support import Api, report

Start = Callable[..., Awaitable[Receiver]]


async def test_enqueue_is_idempotent_per_destination_and_message_id(outbox: Outbox) -> None:
    assert await outbox.enqueue("webhook:1", "m-1", {"n": 1})
    assert not await outbox.enqueue("webhook:1", "m-1", {"n": 2})
    assert await outbox.enqueue("webhook:2", "m-1", {"n": 1})
    rows = await outbox.rows()
    assert [(r["destination"], r["message_id"]) for r in rows] == [
        ("webhook:1", "m-1"),
        ("webhook:2", "m-1"),
    ]
    assert all(r["status"] == "pending" and r["attempts"] == 0 for r in rows)


async def test_enqueue_notifies_listeners_at_commit(outbox: Outbox) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(outbox.dsn)
    try:
        await conn.add_listener(repo.CHANNEL, lambda *args: heard.put_nowait(str(args[3])))
        await outbox.enqueue("webhook:7", "m-1", {})
        assert await heard.get() == "webhook:7"
        assert not await outbox.enqueue("webhook:7", "m-1", {})  # a repeat says nothing
        await outbox.enqueue("email", "m-2", {})
        assert await heard.get() == "email"
    finally:
        await conn.close()


async def test_email_reaches_the_smtp_server_with_subject_recipients_and_message_id(
    outbox: Outbox, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _ = smtp
    payload = {
        "to": ["isk@vargarda.example.se", "tib@lst14.example.se"],
        "subject": "Påminnelse: lägesrapport senast 14:00",
        "text": "Hej!\nLämna er lägesrapport före 14:00.",
    }
    await outbox.enqueue("email", "reminder:round-3:1442", payload, kind="reminder")
    assert await outbox.worker.run_once() == 1
    assert len(sink.received) == 1
    mail = sink.received[0]
    assert mail.sender == "lagesbild@lst14.example.se"
    assert mail.recipients == payload["to"]
    assert mail.message["Subject"] == payload["subject"]
    assert mail.message["To"] == "isk@vargarda.example.se, tib@lst14.example.se"
    assert mail.message["Message-ID"] == "<reminder%3Around-3%3A1442@lst14.example.se>"
    assert mail.message["X-Lagesbild-Message-Id"] == "reminder%3Around-3%3A1442"
    assert isinstance(mail.message, EmailMessage)
    body = mail.message.get_body()
    assert body is not None
    assert "Lämna er lägesrapport" in body.get_content()
    assert await outbox.statuses() == {"reminder:round-3:1442": "delivered"}


async def test_email_without_recipients_is_a_dead_letter_at_once(outbox: Outbox) -> None:
    await outbox.enqueue("email", "bad-1", {"to": [], "subject": "x", "text": "y"})
    await outbox.worker.run_once()
    [row] = await outbox.rows()
    assert (row["status"], row["attempts"]) == ("dead", 1)
    assert "not an e-mail" in row["last_error"]


async def test_webhook_post_carries_message_id_and_a_signature_that_verifies(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    hook = await outbox.webhook("1442", receiver.url)
    payload = {"incident": "storm", "text": "Läget är oförändrat"}
    await outbox.enqueue(hook.destination, "report:abc:1", payload, kind="report")
    assert await outbox.worker.run_once() == 1
    [got] = receiver.received
    assert got.message_id == "report:abc:1"
    assert got.headers["X-Lagesbild-Kind"] == "report"
    assert got.headers["Content-Type"] == "application/json"
    assert payload_json(got.body) == payload
    signature = got.headers[webhooks.SIGNATURE_HEADER]
    now = outbox.clock.now()
    assert webhooks.verify_signature(hook.secret, signature, got.body, now, 300)
    assert not webhooks.verify_signature(hook.secret, signature, got.body + b" ", now, 300)
    assert not webhooks.verify_signature("x" * 20, signature, got.body, now, 300)


async def test_receiver_down_for_several_passes_then_up_gets_each_message_exactly_once(
    outbox: Outbox, receivers: Start
) -> None:
    port = free_port()  # nothing listens here yet
    hook = await outbox.webhook("1442", f"http://127.0.0.1:{port}/hook")
    ids = [f"m-{n}" for n in range(7)]
    for message_id in ids:
        await outbox.enqueue(hook.destination, message_id, {"id": message_id})
    for _ in range(4):  # passes while down: a breaker opens, probes fail
        outbox.advance(61)
        await outbox.worker.run_once()
    assert set((await outbox.statuses()).values()) == {"pending"}
    assert hook.destination in outbox.worker.breakers.opened()
    receiver = await receivers(port=port)
    await outbox.passes_until_quiet(step=31)
    assert Counter(receiver.delivered_ids()) == Counter(ids)  # each exactly once
    assert set((await outbox.statuses()).values()) == {"delivered"}
    assert outbox.worker.breakers.opened() == {}


async def test_503_answers_are_retried_until_the_receiver_accepts(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.statuses = [503, 503]
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "m-1", {"n": 1})
    await outbox.worker.run_once()
    [row] = await outbox.rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 503")
    assert row["next_attempt_at"] >= outbox.clock.now()
    await outbox.passes_until_quiet()
    assert receiver.delivered_ids() == ["m-1"]
    [row] = await outbox.rows()
    assert (row["status"], row["attempts"]) == ("delivered", 3)


async def test_a_retry_waits_for_its_backoff_on_the_clock(outbox: Outbox, receivers: Start) -> None:
    receiver = await receivers()
    receiver.statuses = [500]
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "m-1", {})
    await outbox.worker.run_once()
    [row] = await outbox.rows()
    waited = (row["next_attempt_at"] - outbox.clock.now()).total_seconds()
    assert 0 <= waited <= 1.0  # attempt 1: within [0, base]
    if waited > 0:
        assert await outbox.worker.run_once() == 0  # not due yet: the clock has not moved
    outbox.advance(1)
    assert await outbox.worker.run_once() == 1
    assert receiver.delivered_ids() == ["m-1"]


async def test_permanent_4xx_goes_straight_to_the_dead_letter(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.statuses = [422]
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "m-1", {})
    await outbox.worker.run_once()
    [row] = await outbox.rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, "HTTP 422")
    assert await outbox.passes_until_quiet() == 0  # nothing more is attempted
    assert receiver.received == []


async def test_408_and_429_are_retried_not_dead(outbox: Outbox, receivers: Start) -> None:
    receiver = await receivers()
    receiver.statuses = [408, 429]
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "m-1", {})
    await outbox.passes_until_quiet()
    assert receiver.delivered_ids() == ["m-1"]
    assert await outbox.statuses() == {"m-1": "delivered"}


async def test_unknown_or_disabled_webhook_is_a_dead_letter(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    hook = await outbox.webhook("1442", receiver.url)
    conn = await asyncpg.connect(outbox.dsn)
    try:
        await repo.disable_webhook(conn, hook.id, at=outbox.clock.now())
    finally:
        await conn.close()
    await outbox.enqueue(hook.destination, "m-1", {})
    await outbox.enqueue("webhook:999999", "m-2", {})
    await outbox.enqueue("webhook:nope", "m-3", {})
    await outbox.worker.run_once()
    assert await outbox.statuses() == {"m-1": "dead", "m-2": "dead", "m-3": "dead"}
    assert receiver.received == []


async def test_dead_letter_after_max_attempts_while_the_destination_answers(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.failing = {"poison"}  # it works, but fails this one message every time
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "poison", {})
    for n in range(10):  # other messages keep flowing, so the breaker stays closed
        await outbox.enqueue(hook.destination, f"fine-{n}", {})
        outbox.advance(61)
        await outbox.worker.run_once()
    rows = {r["message_id"]: r for r in await outbox.rows()}
    assert (rows["poison"]["status"], rows["poison"]["attempts"]) == ("dead", 6)  # the maximum
    assert rows["poison"]["last_error"] == "HTTP 500"
    assert sorted(receiver.delivered_ids()) == sorted(f"fine-{n}" for n in range(10))


async def test_an_outage_alone_makes_no_dead_letters(outbox: Outbox, receivers: Start) -> None:
    port = free_port()
    hook = await outbox.webhook("1442", f"http://127.0.0.1:{port}/hook")
    await outbox.enqueue(hook.destination, "m-1", {})
    for _ in range(20):  # far more passes than outbox_max_attempts (6), all failing
        outbox.advance(61)
        await outbox.worker.run_once()
    [row] = await outbox.rows()
    assert row["status"] == "pending"
    assert row["last_error"].startswith("HTTP unreachable")
    receiver = await receivers(port=port)
    await outbox.passes_until_quiet()
    assert receiver.delivered_ids() == ["m-1"]


async def test_open_breaker_skips_its_destination_and_others_still_deliver(
    outbox: Outbox, receivers: Start
) -> None:
    up = await receivers()
    down = await outbox.webhook("1442", f"http://127.0.0.1:{free_port()}/hook")
    healthy = await outbox.webhook("1443", up.url)
    for n in range(7):
        await outbox.enqueue(down.destination, f"down-{n}", {})
    assert await outbox.worker.run_once() == 5  # the breaker opens at the 5th failure
    rows = {r["message_id"]: r for r in await outbox.rows()}
    assert [rows[f"down-{n}"]["attempts"] for n in range(7)] == [1, 1, 1, 1, 1, 0, 0]
    outbox.advance(61)  # all due again, and the breaker's cool-down (30 s) is over
    assert await outbox.worker.run_once() == 1  # half-open: one probe only
    for n in range(3):
        await outbox.enqueue(healthy.destination, f"up-{n}", {})
    outbox.advance(1)  # still open after the failed probe
    assert await outbox.worker.run_once() == 3  # only the healthy destination
    assert sorted(up.delivered_ids()) == ["up-0", "up-1", "up-2"]
    rows = {r["message_id"]: r for r in await outbox.rows()}
    # The failed probe was not counted: an outage alone uses up no attempts.
    assert sum(rows[f"down-{n}"]["attempts"] for n in range(7)) == 5
    assert {rows[f"down-{n}"]["status"] for n in range(7)} == {"pending"}


async def test_a_claim_whose_lease_ran_out_is_delivered_by_the_next_pass(
    outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "m-1", {})
    # An instance claims the message, then dies before delivering it.
    now = outbox.clock.now()
    async with outbox.app[keys.pool].acquire() as conn:
        [claimed] = await repo.claim(
            conn,
            destination=hook.destination,
            now=now,
            lease_until=now + timedelta(seconds=120),
            limit=5,
        )
    assert claimed.attempts == 1
    assert await outbox.worker.run_once() == 0  # leased: not due
    outbox.advance(121)
    assert await outbox.worker.run_once() == 1
    assert receiver.delivered_ids() == ["m-1"]
    [row] = await outbox.rows()
    assert (row["status"], row["attempts"]) == ("delivered", 2)


async def test_background_loop_delivers_promptly_after_enqueue(
    outbox: Outbox, receivers: Start, app: web.Application
) -> None:
    receiver = await receivers()
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.worker.start()
    try:
        await outbox.enqueue(hook.destination, "m-1", {"n": 1})
        await receiver.arrived.wait()
    finally:
        await outbox.worker.stop()
    assert receiver.delivered_ids() == ["m-1"]


async def test_reports_go_through_while_a_destination_hangs(outbox: Outbox, api: Api) -> None:
    """Deliveries hold no database connection and run apart from requests: a receiver
    that never answers leaves reporting untouched."""
    release = asyncio.Event()
    entered = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.Response(status=204)

    hanging = web.Application()
    hanging.router.add_post("/hook", hang)
    server = TestServer(hanging, host="127.0.0.1", port=free_port())
    await server.start_server()
    try:
        hook = await outbox.webhook("1442", str(server.make_url("/hook")))
        for n in range(3):
            await outbox.enqueue(hook.destination, f"m-{n}", {})
        await outbox.worker.start()
        await entered.wait()  # a delivery is stuck in the receiver
        incident = await api.activate()
        for organisation in ("1440", "1441", "1442", "1443", "1444"):
            reply = await api.submit(incident["id"], report(organisation, situation="Lugnt"))
            assert reply.status == 201, reply.body
        assert set((await outbox.statuses()).values()) == {"pending"}
        release.set()
    finally:
        release.set()
        await outbox.worker.stop()
        await server.close()
