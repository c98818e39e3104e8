"""Limits on failed log-ins, shared by every instance (the counts live in PostgreSQL).

Three counts, each forgotten `window` after its last failure:

- per **account and address**: after `free` failures each further attempt from that
  address for that account waits, 1 s after the last failure and twice as long after
  each one more, up to `max_delay`. Guessing one person's password from one place
  slows to a few tries an hour; a person who mistypes is never stopped for long.
- per **address**, over every account: the same after `free_per_address` failures
  (spraying one password over many accounts). Set high: a crisis room shares an address.
- per **account**, over every address: once it reaches `free_per_account` (guessing
  from many addresses), the first rule counts from zero, so every address that has
  failed for that account waits at once.

No rule ever holds back an address that has not failed: a stranger cannot keep a
person out, because the right password from the person's own address (with no
failures of its own) still gets in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.config import Settings
from service.repo import Conn
from service.repo import login_failures as repo

FIRST_DELAY = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    free: int
    free_per_address: int
    free_per_account: int
    max_delay: timedelta
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(
            free=settings.login_max_failures,
            free_per_address=settings.login_address_max_failures,
            free_per_account=settings.login_account_max_failures,
            max_delay=timedelta(seconds=settings.login_max_delay_seconds),
            window=timedelta(minutes=settings.login_failure_window_minutes),
        )


def delay(failures: int, free: int, max_delay: timedelta) -> timedelta:
    """How long after the last failure the next attempt waits: none for the first `free`
    failures, then 1 s, doubling with each failure, never more than `max_delay`."""
    if failures < free:
        return timedelta(0)
    return min(max_delay, FIRST_DELAY * (1 << min(failures - free, 40)))


def wait_for(
    limits: LoginLimits,
    counts: dict[repo.Key, tuple[int, datetime]],
    keys: tuple[repo.Key, repo.Key, repo.Key],
    now: datetime,
) -> timedelta | None:
    """How long an attempt must wait (None: it may try now), from the three counts."""
    pair, address, account = keys
    account_failures = counts.get(account, (0, now))[0]
    free_pair = 0 if account_failures >= limits.free_per_account else limits.free
    waits = []
    for key, free in ((pair, free_pair), (address, limits.free_per_address)):
        if key in counts:
            failures, last = counts[key]
            waits.append(last + delay(failures, free, limits.max_delay) - now)
    longest = max(waits, default=timedelta(0))
    return longest if longest > timedelta(0) else None


def _keys(account: str, address: str) -> tuple[repo.Key, repo.Key, repo.Key]:
    return (("pair", f"{account}|{address}"), ("address", address), ("account", account))


async def wait(
    conn: Conn, limits: LoginLimits, account: str, address: str, now: datetime
) -> timedelta | None:
    """How long this attempt must wait; None when it may go on. Call it in the
    transaction that checks the password: attempts of one account and address wait for
    each other there until the outcome is counted."""
    keys = _keys(account, address)
    await repo.serialise(conn, keys[0])
    counts = await repo.counts(conn, keys, since=now - limits.window)
    return wait_for(limits, counts, keys, now)


async def failed(
    conn: Conn, limits: LoginLimits, account: str, address: str, now: datetime
) -> None:
    await repo.add_failure(conn, _keys(account, address), at=now, window=limits.window)


async def succeeded(conn: Conn, account: str, address: str) -> None:
    """The right password: this address's failures for the account are forgotten (the
    address's and the account's own counts go on, or one known password would reset them)."""
    await repo.forget(conn, _keys(account, address)[0])
