"""The demo's own mail server: reminders of the demo county land here, not in real inboxes.

`lagesbild demo` with no `LAGESBILD_SMTP_HOST` starts this SMTP sink on a free local
port and points the e-mail channel at it. Each message is saved as an `.eml` file in
`<data_dir>/demo-mail/` and announced with one line on the console.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from service.demo.ports import free_port


class _Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802  # aiosmtpd's hook name
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.count += 1
        path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(content)
        subject = message_from_bytes(content, policy=policy.default).get("Subject", "")
        # One write, line break included: this thread's line must not split the
        # service's log lines on the same terminal.
        print(
            f"Demo mail: to {', '.join(envelope.rcpt_tos)}: {subject}  ({path})\n",
            end="",
            flush=True,
        )
        return "250 OK"


def start_mail_sink(data_dir: Path) -> tuple[Controller, int]:
    """Start the sink in a thread of its own; the controller (to stop) and its port."""
    folder = data_dir / "demo-mail"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    controller = Controller(_Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port
