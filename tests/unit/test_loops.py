"""The loop a served Lägesbild runs on: uvloop unless the settings say Python's."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvloop

from service.loops import SWITCH_INTERVAL_SECONDS, favour_the_loop, new_event_loop
from tests.settings import suite_settings, with_changes


def test_a_served_instance_runs_on_uvloop_unless_asked_for_pythons_loop(tmp_path: Path) -> None:
    settings = suite_settings(tmp_path)
    chosen = new_event_loop(settings)
    python = new_event_loop(with_changes(settings, event_loop="asyncio"))
    try:
        assert isinstance(chosen, uvloop.Loop)
        assert not isinstance(python, uvloop.Loop)
        assert isinstance(python, asyncio.AbstractEventLoop)
        assert chosen.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        chosen.close()
        python.close()


def test_a_served_process_hands_the_interpreter_to_a_waiting_thread_sooner() -> None:
    default = sys.getswitchinterval()
    try:
        favour_the_loop()
        assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS < default
    finally:
        sys.setswitchinterval(default)
