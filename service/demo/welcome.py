"""The demo's closing lines: where it serves, whom to log in as, what runs beside it.

A person who types `make run` reads the bottom of the terminal, so these lines come
last: once the service serves *and* its outbox has sent what the demo queued at start
(the mock WIS node is new at every start, so the demo sends it the exercise's whole
history, a burst of delivery log lines). Printed any earlier, they would scroll away
under that burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiohttp import web

from service import keys
from service.demo.county import DEMO_CONTACTS, DEMO_SUMMARY_RECIPIENT, DEMO_TITLE
from service.repo import DATABASE_ERRORS

log = structlog.get_logger(__name__)

# Shown by then even when a destination is slow to take the burst.
SETTLE_LIMIT_SECONDS = 30.0


@dataclass
class Welcome:
    """The lines to show; `note` adds one about something that runs beside the service."""

    data_dir: Path
    notes: list[str] = field(default_factory=list)
    _shown: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def note(self, line: str) -> None:
        self.notes.append(line)

    def lines(self, url: str) -> list[str]:
        tokens = self.data_dir / "demo-tokens.txt"
        users = self.data_dir / "demo-users.txt"
        lines = [
            "",
            f"Demo: the exercise '{DEMO_TITLE}': 49 municipalities, a day of reports, past rounds",
            "Demo: reminders are addressed to krisledning-<code>@example.se for "
            + ", ".join(DEMO_CONTACTS),
            "Demo: the county board has published summary 1 (Sammanställningar on the "
            f"dashboard), sent to {DEMO_SUMMARY_RECIPIENT} and the mock WIS node",
            "Demo: the exercise's script (Inspel) delivered inject 1 two hours ago; inject 2 "
            "arrives 15 minutes from now",
            "Demo: as the duty officer, start a reporting drill for the county under "
            "Övningar (/drills); answer its mail with python -m adapters.mail.answer",
        ]
        if tokens.exists():
            lines.append(
                "Demo: API tokens for a reporter (1442), a viewer and a duty officer (LST-14) "
                f"are in {tokens}"
            )
        lines += self.notes
        if users.exists():
            lines.append(f"Demo: log in at {url}/ as one of these (also in {users}):")
            rows = users.read_text(encoding="utf-8").splitlines()[1:]
            lines += [f"  {row}" for row in rows if row.strip()]
        lines.append(f"Lägesbild serves on {url}  (Ctrl+C stops it)")
        return lines

    def announcer(self, app: web.Application, url: str) -> Callable[[str], None]:
        """The `print` for `web.run_app`: show the lines once the outbox has settled."""

        def announce(_: str) -> None:
            task = asyncio.get_running_loop().create_task(self._show(app, url))
            self._shown.add(task)  # held until done, so the task is not collected
            task.add_done_callback(self._shown.discard)

        return announce

    async def _show(self, app: web.Application, url: str) -> None:
        if app[keys.settings].outbox_worker:
            try:
                async with asyncio.timeout(SETTLE_LIMIT_SECONDS):
                    await app[keys.outbox_worker].settled()
            except TimeoutError:
                log.info("demo.outbox_still_busy", waited_seconds=SETTLE_LIMIT_SECONDS)
            except DATABASE_ERRORS as exc:
                log.warning("demo.outbox_unreadable", error=str(exc))
        # One write, so a line from the mail sink's thread cannot land inside the block.
        print("\n".join(self.lines(url)) + "\n", end="", flush=True)
