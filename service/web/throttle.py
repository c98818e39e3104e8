"""Failed log-ins per address: after too many in a window, that address waits.

Kept in each instance's memory (several instances each count their own). Counted per
e-mail address, not per client address: behind the proxy every user shares one, and
a crisis room shares one network. A person who mistypes a few times is never
stopped; guessing a password is (argon2 alone would allow thousands of tries an hour).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class LoginThrottle:
    def __init__(self, *, max_failures: int, window: timedelta) -> None:
        self._max = max_failures
        self._window = window
        self._failures: dict[str, deque[datetime]] = {}

    def wait(self, email: str, now: datetime) -> timedelta | None:
        """How long `email` must wait before it may try again; None when it may now."""
        failures = self._recent(email, now)
        if len(failures) < self._max:
            return None
        return failures[0] + self._window - now

    def failed(self, email: str, now: datetime) -> None:
        self._recent(email, now).append(now)

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)

    def _recent(self, email: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(email, deque())
        while failures and failures[0] + self._window <= now:
            failures.popleft()
        if len(self._failures) > 100_000:  # bounded, whatever is thrown at it
            self._forget_idle(now)
        return failures

    def _forget_idle(self, now: datetime) -> None:
        for email in [e for e, f in self._failures.items() if not f or f[-1] + self._window <= now]:
            del self._failures[email]
