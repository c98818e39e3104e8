"""Per-organisation caps on reports: size (413) and rate (429), refused before the body is
read or parsed, and the EDXL sender checked before the envelope is parsed."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters import xml_safety
from adapters.edxl import codec, exchange
from adapters.refusals import CodecError
from service.access.rate import RateLimit
from service.access.report_caps import ReportCaps
from service.clock import FixedClock
from service.config import Settings
from service.errors import TooManyRequests
from service.offload import Offload
from tests.adapters.sms_support import PHONE_1442, SECRET, deliver, register_phone, sms
from tests.api.test_invitations import invite, send
from tests.settings import suite_settings, with_changes
from tests.support import T0, Api, assert_problem, report

DE = "urn:oasis:names:tc:emergency:EDXL:DE:2.0"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_changes(
        suite_settings(tmp_path),
        report_rate_per_second=1.0,
        report_rate_burst=2,
        report_max_bytes=4096,
        sms_secret=SECRET,
    )


async def stored(api: Api, incident: dict[str, Any]) -> int:
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/reports", as_=("LST-14", "viewer")
    )
    return len(reply.body["reports"])


async def test_a_report_larger_than_the_cap_is_refused_and_stores_nothing(api: Api) -> None:
    incident = await api.activate()
    big = report("1442", situation="å" * 3000)
    refused = await api.submit(incident["id"], big)
    assert_problem(refused, 413, "report-too-large")
    assert "4096" in refused.body["detail"]

    async def chunks() -> Any:
        yield json.dumps(big).encode()

    token = await api.token("1442", "reporter")
    assert api._session is not None  # a chunked body: no Content-Length
    async with api._session.post(
        f"{api.base}/api/v1/incidents/{incident['id']}/reports",
        data=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ) as chunked:
        assert chunked.status == 413
        assert (await chunked.json())["type"] == "/problems/report-too-large"
    assert await stored(api, incident) == 0
    assert (await api.submit(incident["id"], report("1442", situation="Lugnt"))).status == 201


async def test_an_organisation_past_its_burst_waits_and_others_do_not(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    for _ in range(2):
        assert (await api.submit(incident["id"], report("1442"))).status == 201
    refused = await api.submit(incident["id"], report("1442"))
    assert_problem(refused, 429, "too-many-requests")
    assert refused.headers["Retry-After"] == "1"
    assert (await api.submit(incident["id"], report("1443"))).status == 201
    assert await stored(api, incident) == 3
    clock.set(clock.now() + timedelta(seconds=1))
    assert (await api.submit(incident["id"], report("1442"))).status == 201


async def test_a_report_by_invitation_link_is_held_to_the_same_caps(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    link = (await invite(api, incident["id"]))["link"]
    assert_problem(
        await send(api, link, report("1442", situation="å" * 3000)), 413, "report-too-large"
    )
    assert [(await send(api, link, report("1442"))).status for _ in range(2)] == [201, 201]
    refused = await send(api, link, report("1442"))
    assert_problem(refused, 429, "too-many-requests")
    assert refused.headers["Retry-After"] == "1"
    assert await stored(api, incident) == 2
    clock.set(clock.now() + timedelta(seconds=1))
    assert (await send(api, link, report("1442"))).status == 201


async def test_an_sms_past_the_organisations_rate_is_429_to_the_gateway_and_stores_nothing(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    texts = [sms(f"Läge: Rapport {n}.", message_id=f"m-{n}") for n in range(3)]
    for text in texts[:2]:
        answer = await deliver(api, text, at=clock.now())
        assert answer.body["outcome"] == "stored", answer.body
    refused = await deliver(api, texts[2], at=clock.now())
    assert_problem(refused, 429, "too-many-requests")
    assert refused.headers["Retry-After"] == "1"
    # One that would only be answered (it names no active incident) is held back too.
    nowhere = await deliver(
        api, sms("Händelse: XXX-XXX\nLäge: Lugnt", message_id="m-x"), at=clock.now()
    )
    assert_problem(nowhere, 429, "too-many-requests")
    assert await stored(api, incident) == 2
    # The gateway sends it again later: stored then, once.
    clock.set(clock.now() + timedelta(seconds=1))
    again = await deliver(api, texts[2], at=clock.now())
    assert again.body["outcome"] == "stored", again.body
    assert await stored(api, incident) == 3


async def test_an_envelope_for_another_sender_is_refused_before_it_is_parsed(api: Api) -> None:
    incident = await api.activate()
    # The head names 1443; the rest is not even well-formed: parsing would answer 400.
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><edxlDistribution xmlns="{DE}">'
        "<distributionID>x</distributionID><senderID>1443</senderID>"
        "<content><contentObject><broken></content>"
    ).encode()
    refused = await api.call(
        "POST",
        "/api/v1/exchange/edxl",
        as_=("1442", "reporter"),
        data=document,
        headers={"Content-Type": "application/xml"},
    )
    assert_problem(refused, 403, "wrong-organisation")
    own = await api.call(
        "POST",
        "/api/v1/exchange/edxl",
        as_=("1443", "reporter"),
        data=document,
        headers={"Content-Type": "application/xml"},
    )
    assert_problem(own, 400)
    assert await stored(api, incident) == 0


async def test_envelopes_count_against_the_senders_rate(api: Api) -> None:
    document = b"<not-edxl/>"
    answers = [
        await api.call(
            "POST",
            "/api/v1/exchange/edxl",
            as_=("1442", "reporter"),
            data=document,
            headers={"Content-Type": "application/xml"},
        )
        for _ in range(3)
    ]
    assert [answer.status for answer in answers[:2]] == [422, 422]
    assert_problem(answers[2], 429, "too-many-requests")


def test_the_sender_is_read_from_the_head_alone() -> None:
    head = (
        f'<edxlDistribution xmlns="{DE}"><distributionID>d</distributionID>'
        "<senderID> 1442 </senderID>"
    )
    assert codec.peek_sender((head + "<content>" + "<x>" * 10).encode()) == "1442"
    assert codec.peek_sender(b"<?xml version='1.0'?><!DOCTYPE x []><x/>") is None
    assert codec.peek_sender(f'<edxlDistribution xmlns="{DE}"/>'.encode()) is None
    assert xml_safety.first_text(b"<a><b/><b/><c>t</c></a>", "c", within=2) is None


async def test_offloaded_work_runs_in_another_process_and_its_refusals_come_back() -> None:
    offload = Offload(1)
    assert await offload.run(os.getpid) != os.getpid()
    with pytest.raises(CodecError) as refused:
        await offload.run(exchange.read_document, b"<x/>", 1024, 8)
    assert refused.value.errors
    assert await Offload(0).run(os.getpid) == os.getpid()


def test_a_message_for_several_organisations_takes_from_each_or_from_none() -> None:
    # A sender who reports for two organisations (one e-mail address, one phone).
    caps = ReportCaps(RateLimit(rate=1.0, burst=1))
    now = T0
    caps.check(["1440"], now)  # 1440's one report is taken
    with pytest.raises(TooManyRequests):
        caps.check(["1441", "1440"], now)
    caps.check(["1441"], now)  # the refused message took nothing from 1441
    with pytest.raises(TooManyRequests):
        caps.check(["1441"], now)
