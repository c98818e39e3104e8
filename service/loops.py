"""The event loop a served Lägesbild runs on (`LAGESBILD_EVENT_LOOP`).

uvloop by default: libuv's loop, written in C, so that a write to each of a thousand
stream sockets and the wake-ups around it cost less than in Python's own loop (see
docs/DECISIONS.md, "The event loop"). Python's loop when asked for, or when uvloop is
not installed (it does not exist for Windows). The test suite's in-process servers run
on pytest's loop; every test that starts `lagesbild serve` as a process runs on this
one.
"""

from __future__ import annotations

import asyncio

import structlog

from service.config import Settings

log = structlog.get_logger(__name__)


def new_event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    """A new loop of the kind the settings ask for."""
    if settings.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("loop.uvloop_missing", using="asyncio")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()
