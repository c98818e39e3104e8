"""Answer a reminder mail from the shell, as its recipient's mail program would.

    python -m adapters.mail.answer var/demo-mail --port 2525 --situation "Vägarna röjda"

PATH is a saved reminder (`.eml`, as the demo's mail sink keeps them) or a folder of
them (the newest one that can be answered is taken). The answer comes from the
reminder's recipient, goes to its Reply-To, threads under it (In-Reply-To,
References) and quotes it below, as a mail program does. With `--situation`, a line
`Läge: …` is written above the quote; without, the quoted template is sent back as it
is (the organisation's latest report, again). It is sent over SMTP with smtplib.
"""

from __future__ import annotations

import argparse
import smtplib
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

ANSWERABLE = "Svara på det här mejlet för att rapportera"  # what reminders say


def _reminder(path: Path) -> EmailMessage | None:
    if path.is_file():
        return _read(path)
    for candidate in sorted(path.glob("*.eml"), reverse=True):
        found = _read(candidate)
        if found is not None and found.get("Reply-To") is not None:
            return found
    return None


def _read(path: Path) -> EmailMessage | None:
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = mail.get_body(preferencelist=("plain",))
    if body is None or ANSWERABLE not in str(body.get_content()):
        return None
    return mail


def answer(reminder: EmailMessage, situation: str | None) -> EmailMessage:
    """The reply to `reminder`: the sender's line above the quoted reminder."""
    body = reminder.get_body(preferencelist=("plain",))
    text = "" if body is None else str(body.get_content())
    sender = parseaddr(str(reminder["To"]))[1]
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(reminder.get("Reply-To") or reminder["From"])
    reply["Subject"] = f"Re: {reminder['Subject']}"
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    reply["In-Reply-To"] = str(reminder["Message-ID"])
    reply["References"] = str(reminder["Message-ID"])
    quoted = "".join(f"> {line}\n" if line else ">\n" for line in text.split("\n"))
    said = f"Läge: {situation}\n\n" if situation else ""
    reply.set_content(f"{said}{reminder['From']} skrev:\n{quoted}")
    return reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.mail.answer", description="answer a reminder mail over SMTP"
    )
    parser.add_argument("path", type=Path, help="a reminder (.eml) or a folder of them")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--situation", help="the new situation (Läge) to report")
    args = parser.parse_args(argv)
    reminder = _reminder(args.path)
    if reminder is None:
        print(f"no reminder to answer in {args.path}", file=sys.stderr)
        return 1
    reply = answer(reminder, args.situation)
    with smtplib.SMTP(args.host, args.port, timeout=30) as client:
        client.send_message(reply)
    print(f"Answered “{reminder['Subject']}” as {reply['From']} to {reply['To']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
