"""With the SMS gateway configured, a drill also texts each registered number once."""

from __future__ import annotations

import json

import asyncpg
import pytest

from service.config import Settings
from tests.drills.support import by_code, result_of, start_drill
from tests.settings import with_changes
from tests.support import Api

PHONE = "+46701234567"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The gateway's address is never reached: the test does not deliver."""
    return with_changes(settings, sms_gateway_url="http://127.0.0.1:9/sms", sms_secret="s" * 32)


async def test_each_registered_number_gets_one_sms_naming_the_incident(api: Api, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO organisation_phones (organisation, phone) VALUES ('1442', $1)", PHONE
        )
    finally:
        await conn.close()

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
