"""Drills: the app with its inbound mail server, a real SMTP sink the outbox sends the
notifications to, and contacts of three municipalities of Västra Götaland (county 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.config import Settings
from tests.outbox.support import OUTBOX_LIMITS, SmtpSink, smtp_server
from tests.rounds.support import add_contacts
from tests.settings import with_changes
from tests.support import Api

CONTACTS = {
    "1440": "krisledning@ale.example.se",
    "1442": "isk@vargarda.example.se",
    "1443": "beredskap@bollebygd.example.se",
}


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, int]]:
    async with smtp_server() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, smtp: tuple[SmtpSink, int]) -> Settings:
    return with_changes(
        settings,
        **OUTBOX_LIMITS,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_from="lagesbild@lst14.example.se",
        mail_in_port=0,
        mail_in_address="rapport@lst14.example.se",
        public_url="https://lagesbild.lst14.example.se",
    )


@pytest.fixture
async def contacts(api: Api) -> dict[str, str]:
    await add_contacts(api, CONTACTS)
    return CONTACTS
