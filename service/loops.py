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
import sys

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


# How long a thread that holds the interpreter may keep it while another waits (Python's
# default is 5 ms). The loop thread shares the interpreter with the threads that encode
# an export's chunks and read worker processes' results: each time it wants the
# interpreter back it waits up to this long, and a journal entry's way to its viewers
# takes a dozen such turns (measured in `bench loop`: delivery p99 during an export
# download 87–142 ms at 5 ms, 41–50 ms at 0.5 ms).
SWITCH_INTERVAL_SECONDS = 0.0005


def favour_the_loop() -> None:
    """A served process hands the interpreter to a waiting thread after 0.5 ms, not 5."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
