"""With the SMS gateway configured, a drill also texts each registered number once, and
no message of a drill, by any channel, goes out without ÖVNING."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from service.clock import FixedClock
from service.config import Settings
from service.domain.plaintext import incident_code
from service.outbox import repo as outbox_repo
from service.outbox import webhooks
from tests.adapters.sms_support import PHONE_1442, SECRET, deliver, register_phone, sms
from tests.drills.support import by_code, result_of, start_drill
from tests.rounds.support import add_contacts
from tests.settings import with_changes
from tests.support import Api

PHONE = PHONE_1442


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The gateway's address is never reached: the test does not deliver."""
    return with_changes(settings, sms_gateway_url="http://127.0.0.1:9/sms", sms_secret=SECRET)


async def test_each_registered_number_gets_one_sms_naming_the_incident(api: Api, dsn: str) -> None:
    await register_phone(dsn, "1442", PHONE)

    drill = await start_drill(api, participants=["1442", "1443"])

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT destination, payload FROM outbox WHERE destination = 'sms'")
    finally:
        await conn.close()
    [row] = rows
    payload = json.loads(row["payload"])
    assert payload["to"] == PHONE
    [text] = payload["parts"]
    assert text.startswith("ÖVNING")
    assert "Händelse: " in text
    entries = by_code(await result_of(api, drill["id"]))
    assert [c["channel"] for c in entries["1442"]["channels"]] == ["sms"]
    assert entries["1443"]["channels"] == []


async def test_an_answer_by_sms_is_credited_to_sms_with_its_time(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    await register_phone(dsn, "1442", PHONE)
    start = clock.now()
    drill = await start_drill(api, participants=["1442"])
    code = incident_code(uuid.UUID(drill["incident_id"]))

    clock.set(start + timedelta(minutes=9))
    answered = await deliver(api, sms(f"Händelse: {code}\nLäge: Lugnt.\n"), at=clock.now())
    assert answered.status == 200, answered.body

    [entry] = (await result_of(api, drill["id"]))["participants"]
    assert entry["responded_by_channel"] == "sms"
    assert entry["response_seconds"] == 9 * 60
    assert entry["in_time"] is True


async def test_no_drill_message_goes_out_without_the_exercise_mark(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    await register_phone(dsn, "1442", PHONE)
    await add_contacts(api, {"1442": "isk@vargarda.example.se"})
    conn = await asyncpg.connect(dsn)
    try:
        await outbox_repo.insert_webhook(
            conn,
            organisation="1442",
            url="https://hooks.vargarda.example.se/lagesbild",
            secret=webhooks.new_secret(),
            at=clock.now(),
        )
    finally:
        await conn.close()

    drill = await start_drill(api, participants=["1442"])

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT destination, payload FROM outbox ORDER BY id")
    finally:
        await conn.close()
    sent = {row["destination"].split(":")[0]: json.loads(row["payload"]) for row in rows}
    assert sorted(sent) == ["email", "sms", "webhook"]
    assert sent["email"]["subject"].startswith("ÖVNING")
    assert "ÖVNING" in sent["email"]["text"]
    assert sent["webhook"]["exercise"] is True
    assert sent["webhook"]["subject"].startswith("ÖVNING")
    assert all(part.startswith("ÖVNING") for part in sent["sms"]["parts"])
    assert drill["exercise"] is True
