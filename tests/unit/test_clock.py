"""The FixedClock's sleepers wake when the clock is moved to their moment, not before."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from service.clock import FixedClock, SystemClock

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_a_sleeper_wakes_when_the_fixed_clock_reaches_its_moment() -> None:
    clock = FixedClock(T0)
    sleeper = asyncio.ensure_future(clock.sleep_until(T0 + timedelta(hours=1)))
    await asyncio.sleep(0)
    clock.set(T0 + timedelta(minutes=59, seconds=59))
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.set(T0 + timedelta(hours=1))
    await asyncio.wait_for(sleeper, timeout=5)


async def test_sleeping_until_a_moment_already_passed_returns_at_once() -> None:
    await asyncio.wait_for(FixedClock(T0).sleep_until(T0), timeout=5)
    await asyncio.wait_for(SystemClock().sleep_until(datetime.now(UTC)), timeout=5)
