"""EDXL envelopes take turns (adapters/edxl/http.py `ImportLane`): one imported at a time
per process, the others waiting with their bodies read, for a bounded time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Gauge

from adapters.edxl import exchange
from adapters.edxl.http import RETRY_AFTER_SECONDS, ImportLane
from service.clock import FixedClock
from service.config import Settings
from service.errors import ServiceUnavailable
from tests.adapters.test_edxl import FULL_CONTENT, _import, _single_envelope, _stored
from tests.settings import suite_settings, with_changes
from tests.support import Api, assert_problem, report

WAIT = 0.3  # seconds an envelope may wait for its turn here


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_changes(suite_settings(tmp_path), edxl_import_wait_seconds=WAIT)


class Imports:
    """`exchange.import_envelope`, counted: how many ran at once, at most."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold: float) -> None:
        self.running = 0
        self.most = 0
        self.hold = hold
        self._real = exchange.import_envelope
        monkeypatch.setattr(exchange, "import_envelope", self)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(self.hold)  # the other requests arrive meanwhile
            return await self._real(*args, **kwargs)
        finally:
            self.running -= 1


async def _envelope(api: Api, clock: FixedClock, incident: dict[str, Any], code: str) -> bytes:
    """An envelope from `code` carrying its report, submitted as JSON first."""
    assert (await api.submit(incident["id"], report(code, **FULL_CONTENT))).status == 201
    stored = (await _stored(api, incident["id"], code))[0]
    return await _single_envelope(api, incident, stored, clock)


async def test_envelopes_sent_at_once_are_imported_one_at_a_time_and_each_is_answered(
    api: Api, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = await _envelope(api, clock, await api.activate(), "1442")
    imports = Imports(monkeypatch, hold=0.03)
    answers = await asyncio.gather(
        *(_import(api, document, ("1442", "reporter")) for _ in range(4))
    )
    assert sorted(answer.status for answer in answers) == [200, 200, 200, 201]
    assert imports.most == 1
    assert len({answer.body["reports"][0]["report_id"] for answer in answers}) == 1


async def test_an_envelope_that_waits_too_long_is_refused_with_retry_after_and_stores_nothing(
    api: Api, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = await api.activate()
    first_document = await _envelope(api, clock, incident, "1442")
    second_document = await _envelope(api, clock, incident, "1443")
    Imports(monkeypatch, hold=WAIT * 4)  # the first holds its turn past the second's wait
    first = asyncio.create_task(_import(api, first_document, ("1442", "reporter")))
    await asyncio.sleep(WAIT / 3)
    second = await _import(api, second_document, ("1443", "reporter"))
    assert_problem(second, 503, "unavailable")
    assert second.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert (await first).status == 201
    assert len(await _stored(api, incident["id"], "1443")) == 1  # the JSON report alone
    assert (await _import(api, second_document, ("1443", "reporter"))).status == 201


async def test_a_turn_is_given_back_however_the_import_ends() -> None:
    waiting = Gauge("waiting", "envelopes waiting", registry=CollectorRegistry())
    lane = ImportLane(1, 0.05, waiting)
    with pytest.raises(RuntimeError):
        async with lane.turn():
            raise RuntimeError("the import broke")
    async with lane.turn():
        with pytest.raises(ServiceUnavailable) as refused:
            async with lane.turn():
                pytest.fail("a second turn while the first is taken")
        assert refused.value.retry_after == RETRY_AFTER_SECONDS
        assert waiting._value.get() == 0
        waiter = asyncio.create_task(_take(lane))
        await asyncio.sleep(0.01)
        assert waiting._value.get() == 1
        waiter.cancel()  # its client went away while it waited
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert waiting._value.get() == 0
    async with lane.turn():  # neither the refused nor the cancelled one kept a turn
        pass


async def _take(lane: ImportLane) -> None:
    async with lane.turn():
        pass
