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
    """Delivers messages of one destination; raises `DeliveryFailed` when it cannot.

    `destination` is the channel's name: it delivers every message whose destination is
    that name or starts with that name and ':' (`webhook` delivers `webhook:12`). The
    worker bounds each `deliver` by a timeout and counts any other exception as a
    transient failure. `message.message_id` must reach the receiver, which drops repeats.

    A channel may also have a class attribute `ordered = True` (read with getattr, so it
    is optional): then each of its destinations gets its messages in the order they were
    enqueued, one batch at a time, and a transient failure holds back the messages after
    it until it is delivered or dead (a dead letter no longer holds anything back).
    """

    @property
    def destination(self) -> str: ...

    async def deliver(self, message: OutboxMessage) -> None: ...
