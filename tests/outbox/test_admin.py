"""Admins see the outbox and retry dead letters: API, metrics, command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.demo.ports import free_port
from service.outbox.webhooks import verify_signature
from tests.command import lagesbild
from tests.outbox.support import Outbox, Receiver
from tests.support import Api, Who, assert_problem

Start = Callable[..., Awaitable[Receiver]]
ADMIN: Who = ("LST-14", "admin")


async def _dead_letter(outbox: Outbox, receiver_url: str, message_id: str = "m-1") -> int:
    """A message that goes to the dead letter (its receiver refuses it once with 400)."""
    hook = await outbox.webhook("1442", receiver_url)
    await outbox.enqueue(hook.destination, message_id, {"n": 1})
    await outbox.worker.run_once()
    [row] = [r for r in await outbox.rows() if r["message_id"] == message_id]
    assert row["status"] == "dead"
    return int(row["id"])


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/outbox"), ("POST", "/api/v1/outbox/1/retry")]
)
async def test_outbox_is_for_admins_only(api: Api, method: str, path: str) -> None:
    assert_problem(await api.call(method, path), 401, "unauthenticated")
    others: list[Who] = [("LST-14", "duty_officer"), ("1442", "reporter"), ("LST-14", "viewer")]
    for who in others:
        assert_problem(await api.call(method, path, as_=who), 403, "forbidden")


async def test_overview_counts_per_destination_and_status_and_lists_without_payloads(
    api: Api, outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.statuses = [400]
    await _dead_letter(outbox, receiver.url, "dead-1")
    await outbox.enqueue("email", "mail-1", {"to": ["a@example.se"], "subject": "s", "text": "t"})
    await outbox.worker.run_once()
    await outbox.enqueue("wis:node-1", "wis-1", {"secret": "not to be shown"})  # no channel
    outbox.advance(90)
    reply = await api.call("GET", "/api/v1/outbox", as_=ADMIN)
    assert reply.status == 200, reply.body
    body = reply.body
    counts = {d["destination"]: d for d in body["destinations"]}
    assert counts["email"] == {"destination": "email", "pending": 0, "delivered": 1, "dead": 0}
    assert counts["wis:node-1"]["pending"] == 1
    assert body["totals"] == {"destination": "*", "pending": 1, "delivered": 1, "dead": 1}
    assert body["oldest_pending_age_seconds"] == 90.0
    assert body["oldest_pending_at"].endswith("Z")
    assert body["open_breakers"] == []
    assert [m["message_id"] for m in body["messages"]] == ["wis-1", "mail-1", "dead-1"]
    assert all("payload" not in m for m in body["messages"])
    assert "not to be shown" not in str(body)

    dead = await api.call("GET", "/api/v1/outbox?status=dead", as_=ADMIN)
    [listed] = dead.body["messages"]
    assert (listed["message_id"], listed["status"], listed["last_error"]) == (
        "dead-1",
        "dead",
        "HTTP 400",
    )
    one = await api.call("GET", "/api/v1/outbox?destination=email&limit=1", as_=ADMIN)
    assert [m["message_id"] for m in one.body["messages"]] == ["mail-1"]
    bad = await api.call("GET", "/api/v1/outbox?status=lost", as_=ADMIN)
    assert_problem(bad, 422, "validation", loc=["query", "status"])


async def test_overview_shows_open_breakers(api: Api, outbox: Outbox) -> None:
    hook = await outbox.webhook("1442", f"http://127.0.0.1:{free_port()}/hook")
    for n in range(5):  # the breaker opens at the 5th failure
        await outbox.enqueue(hook.destination, f"m-{n}", {})
    await outbox.worker.run_once()
    reply = await api.call("GET", "/api/v1/outbox", as_=ADMIN)
    [breaker] = reply.body["open_breakers"]
    assert breaker["destination"] == hook.destination
    assert breaker["state"] == "open"


async def test_retry_of_a_dead_letter_delivers_it(
    api: Api, outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.statuses = [400]
    message = await _dead_letter(outbox, receiver.url)
    reply = await api.call("POST", f"/api/v1/outbox/{message}/retry", as_=ADMIN)
    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["attempts"]) == ("pending", 0)
    assert reply.body["next_attempt_at"].endswith("Z")
    assert await outbox.worker.run_once() == 1
    assert receiver.delivered_ids() == ["m-1"]
    again = await api.call("POST", f"/api/v1/outbox/{message}/retry", as_=ADMIN)
    assert_problem(again, 409, "conflict")


async def test_retry_of_an_unknown_message_is_404(api: Api) -> None:
    for target in ("999999", "abc", "99999999999999999999999"):
        reply = await api.call("POST", f"/api/v1/outbox/{target}/retry", as_=ADMIN)
        assert_problem(reply, 404, "not-found")


async def test_metrics_show_depth_deliveries_and_dead_letters(
    api: Api, outbox: Outbox, receivers: Start
) -> None:
    receiver = await receivers()
    receiver.statuses = [410]
    hook = await outbox.webhook("1442", receiver.url)
    await outbox.enqueue(hook.destination, "gone", {})
    await outbox.enqueue(hook.destination, "fine", {})
    await outbox.enqueue("wis", "waiting", {})
    await outbox.worker.run_once()
    await outbox.worker.refresh_depth()
    text = (await api.call("GET", "/metrics")).body
    dest = hook.destination
    assert f'lagesbild_outbox_messages{{destination="{dest}",status="dead"}} 1.0' in text
    assert 'lagesbild_outbox_messages{destination="wis",status="pending"} 1.0' in text
    assert (
        f'lagesbild_outbox_deliveries_total{{destination="{dest}",outcome="delivered"}} 1.0' in text
    )
    assert f'lagesbild_outbox_deliveries_total{{destination="{dest}",outcome="dead"}} 1.0' in text
    assert f'lagesbild_outbox_dead_letters_total{{destination="{dest}"}} 1.0' in text


async def test_cli_lists_dead_letters_and_retries_them_all(
    outbox: Outbox, receivers: Start, dsn: str, tmp_path: Path
) -> None:
    receiver = await receivers()
    receiver.statuses = [400, 400]
    first = await _dead_letter(outbox, receiver.url, "a")
    await outbox.enqueue("email", "b-mail", {"to": ["a@example.se"], "subject": "s", "text": "t"})
    hook_destination = (await outbox.rows())[0]["destination"]
    await outbox.enqueue(hook_destination, "b", {})
    await outbox.worker.run_once()
    listed = await lagesbild(
        "outbox", "list", "--status", "dead", database_url=dsn, data_dir=tmp_path
    )
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert [line.split("\t")[4] for line in lines] == ["b", "a"]
    assert lines[-1].startswith(f"{first}\tdead\t{hook_destination}\t")
    retried = await lagesbild("outbox", "retry", "--all-dead", database_url=dsn, data_dir=tmp_path)
    assert retried.code == 0, retried.err
    assert retried.out.startswith("2 ")
    # The command line has no test clock: it makes them due at the real time.
    outbox.clock.set(datetime.now(UTC) + timedelta(minutes=1))
    await outbox.worker.run_once()
    assert sorted(receiver.delivered_ids()) == ["a", "b"]
    one = await lagesbild("outbox", "retry", str(first), database_url=dsn, data_dir=tmp_path)
    assert one.code == 1
    assert "delivered already" in one.err


async def test_cli_creates_a_webhook_that_the_outbox_delivers_to(
    outbox: Outbox, receivers: Start, dsn: str, tmp_path: Path
) -> None:
    receiver = await receivers()
    made = await lagesbild(
        "webhook",
        "create",
        "--org",
        "1442",
        "--url",
        receiver.url,
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert made.code == 0, made.err
    hook_id, destination, url, secret = made.out.strip().split("\t")
    assert (destination, url) == (f"webhook:{hook_id}", receiver.url)
    assert secret.startswith("secret=")
    await outbox.enqueue(destination, "m-1", {"n": 1})
    await outbox.worker.run_once()
    [got] = receiver.received
    signature = got.headers["X-Lagesbild-Signature"]
    assert verify_signature(secret.removeprefix("secret="), signature, got.body, outbox.clock.now())
    listed = await lagesbild(
        "webhook", "list", "--org", "1442", database_url=dsn, data_dir=tmp_path
    )
    assert listed.out == f"{hook_id}\t{destination}\t{receiver.url}\tactive\n"
    assert "secret" not in listed.out
    unknown = await lagesbild(
        "webhook",
        "create",
        "--org",
        "9999",
        "--url",
        receiver.url,
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert unknown.code == 2
