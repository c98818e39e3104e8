"""A mail past its organisation's report caps is deferred in the SMTP session (451):
nothing is stored and nobody is answered (not even a mail that would only be answered),
and the sender's server sending it again later stores it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web

from service.clock import FixedClock
from service.config import Settings
from tests.mail.support import answers, mail, new_id, send
from tests.mail.test_mail_reports import code_of
from tests.rounds.support import log_of
from tests.settings import with_changes
from tests.support import Api, report


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_changes(settings, report_rate_per_second=1.0, report_rate_burst=2)


async def test_a_mail_past_the_organisations_rate_is_deferred_and_stored_when_sent_again(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, contact: str
) -> None:
    incident = await api.activate()
    code = code_of(incident)
    first, second, third = (
        mail(f"Händelse: {code}\nLäge: Rapport {n}.\n", message_id=new_id()) for n in (1, 2, 3)
    )
    assert await send(app, first) == 250
    assert await send(app, second) == 250

    assert await send(app, third) == 451
    # A mail that would only be answered (it cannot be read) is held back as well.
    assert await send(app, mail("Det här är ingen rapport", message_id=new_id())) == 451
    assert len(await log_of(api, incident["id"], "report.submitted")) == 2
    assert len(await answers(dsn)) == 2
    # Another organisation's reports are not held back by Vårgårda's.
    assert (await api.submit(incident["id"], report("1443"))).status == 201

    clock.set(clock.now() + timedelta(seconds=1))
    assert await send(app, third) == 250
    stored = [
        event["data"]["report"] for event in await log_of(api, incident["id"], "report.submitted")
    ]
    assert [r["situation"] for r in stored if r["organisation"] == "1442"] == [
        "Rapport 1.",
        "Rapport 2.",
        "Rapport 3.",
    ]
    assert len(await answers(dsn)) == 3
