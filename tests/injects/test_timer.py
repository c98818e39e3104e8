"""The rounds timer wakes for an inject at its moment: an inject added pokes the timer,
which then sleeps until the inject's time on the app's clock (no tick in these tests)."""

from __future__ import annotations

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.injects.support import add_inject, exercise
from tests.rounds.support import at, log_of, z
from tests.rounds.test_timer import until
from tests.settings import with_changes
from tests.support import served


async def test_an_added_inject_is_delivered_at_its_moment_by_the_timer(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    timed = with_changes(settings, rounds_timer=True, rounds_tick_seconds=3600)
    async with served(create_app(timed, dsn=dsn, clock=clock), dsn) as api:
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(api, incident["id"], text="Elen går", offset_minutes=10)

        async def delivered() -> bool:
            return bool(await log_of(api, incident["id"], "inject.delivered"))

        clock.set(at("2026-11-22T13:10"))
        await until(delivered)
        [event] = await log_of(api, incident["id"], "inject.delivered")
        assert event["at"] == z("2026-11-22T13:10")
