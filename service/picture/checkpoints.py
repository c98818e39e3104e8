"""Where the picture is checkpointed, and the fold that starts from a checkpoint (pure).

A checkpoint is the picture at some `seq`: the fold of the log up to it. The picture at
any seq S is then the latest checkpoint at or before S with the events after it folded
on, which is what `rebuild` of the first S events gives (the fold depends on nothing but
the events, in order).
"""

from __future__ import annotations

from collections.abc import Iterable

from service.picture.fold import Event, Picture, advance, empty_picture


def is_checkpoint(event: Event, every: int) -> bool:
    """Whether the picture after `event` is kept: every `every`-th seq, and each closed
    round (the picture at a deadline is the one looked back at most)."""
    seq: int = event["seq"]
    return seq % every == 0 or event.get("kind") == "round.closed"


def fold_after(
    start: Picture | None, events: Iterable[Event], every: int
) -> tuple[Picture, list[Picture]]:
    """Fold `events`, the log right after `start`'s seq in order, onto `start` (the empty
    picture when None). Returns the picture and those met on the way that are checkpoints,
    so a caller can keep what was missing."""
    picture = empty_picture() if start is None else start
    crossed: list[Picture] = []
    for event in events:
        picture = advance(picture, event)
        if is_checkpoint(event, every):
            crossed.append(picture)
    return picture, crossed
