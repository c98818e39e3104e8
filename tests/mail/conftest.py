"""Reports by e-mail: the app with its inbound SMTP server on a free local port, 1442's
registered contact, and a real SMTP sink the outbox sends the answers to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.config import Settings
from tests.mail.support import CONTACT
from tests.outbox.support import OUTBOX_LIMITS, SmtpSink, smtp_server
from tests.rounds.support import add_contacts
from tests.settings import with_changes
from tests.support import Api


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
    )


@pytest.fixture
async def contact(api: Api) -> str:
    """1442 Vårgårda's registered contact address."""
    await add_contacts(api, {"1442": CONTACT})
    return CONTACT
