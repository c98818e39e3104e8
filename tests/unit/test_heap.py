"""A served process freezes its heap before it starts serving (service/heap.py)."""

from __future__ import annotations

import gc

from service.heap import freeze_heap


class Thing:
    """An object the collector tracks (a dict of strings alone it does not)."""


def _walked(obj: object) -> bool:
    """Whether the collector's generations hold `obj` (frozen objects are not in them)."""
    return any(found is obj for found in gc.get_objects())


def test_what_the_process_holds_is_frozen_and_what_it_makes_later_is_not() -> None:
    before = Thing()
    assert _walked(before)
    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
        assert not _walked(before)
        assert _walked(Thing())
    finally:
        gc.unfreeze()
