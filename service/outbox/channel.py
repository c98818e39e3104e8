"""What the outbox worker delivers through: one `Channel` per destination."""

from __future__ import annotations

from typing import Protocol

from service.outbox.repo import OutboxMessage


class DeliveryFailed(Exception):
    """A delivery did not happen. `permanent` failures go to the dead letter at once."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Channel(Protocol):
    """Delivers messages of one destination; raises `DeliveryFailed` when it cannot."""

    @property
    def destination(self) -> str: ...

    async def deliver(self, message: OutboxMessage) -> None: ...
