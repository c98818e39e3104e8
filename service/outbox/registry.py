"""The channels an instance can deliver through, by name."""

from __future__ import annotations

from service.outbox.channel import Channel


def channel_name(destination: str) -> str:
    """The channel of a destination: `webhook:12` → `webhook`, `email` → `email`."""
    return destination.partition(":")[0]


class Channels:
    """Channels by name. Register at startup; the worker looks up each pass, so a channel
    registered late (another cleanup context) is picked up, and messages for a channel
    no one registered simply wait, pending."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> None:
        name = channel.destination
        if not name or ":" in name:
            raise ValueError(f"a channel's name has no ':' ({name!r})")
        if name in self._channels:
            raise ValueError(f"channel {name!r} is registered already")
        self._channels[name] = channel

    def unregister(self, name: str) -> None:
        self._channels.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._channels)

    def for_destination(self, destination: str) -> Channel | None:
        return self._channels.get(channel_name(destination))

    def ordered(self, destination: str) -> bool:
        """Whether the destination's channel wants its messages strictly in order."""
        return bool(getattr(self.for_destination(destination), "ordered", False))
