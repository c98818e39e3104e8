"""`lagesbild sms-send`: deliver an SMS to a Lägesbild as a gateway does (signed), from a
shell: for the demo and for checking a gateway's set-up."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from service.outbox import webhooks
from service.plugins import CliContext

if TYPE_CHECKING:
    from service.plugins import Commands


def add_commands(commands: Commands) -> Sequence[str]:
    send = commands.add_parser(
        "sms-send", help="deliver an SMS to Lägesbild as the SMS gateway does (signed)"
    )
    send.add_argument("text", help="the message; '-' reads it from standard input")
    send.add_argument("--from", dest="sender", required=True, help="the sender's number")
    send.add_argument("--to", default="+46700000000", help="the gateway's number")
    send.add_argument("--url", default=None, help="the service (default: its host and port)")
    send.add_argument("--message-id", default=None, help="the gateway's id (default: random)")
    send.add_argument("--secret-file", type=Path, help="the shared secret, in a file")
    return ["sms-send"]


def run(args: argparse.Namespace, context: CliContext) -> int:
    settings = context.settings
    secret = (
        args.secret_file.read_text().strip()
        if args.secret_file is not None
        else settings.sms_secret
    )
    if not secret:
        print("lagesbild: give --secret-file or set LAGESBILD_SMS_SECRET", file=sys.stderr)
        return 2
    text = sys.stdin.read() if args.text == "-" else args.text
    body = json.dumps(
        {
            "message_id": args.message_id or f"cli-{uuid.uuid4()}",
            "from": args.sender,
            "to": args.to,
            "text": text,
            "received_at": datetime.now(UTC).isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    base = args.url or f"http://{settings.host}:{settings.port}"
    request = urllib.request.Request(  # noqa: S310  # the operator's own service URL
        base.rstrip("/") + "/api/v1/exchange/sms",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            webhooks.SIGNATURE_HEADER: webhooks.sign(secret, body, timestamp=int(time.time())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # as above
            print(response.read().decode())
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(), file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"lagesbild: cannot reach {base}: {exc.reason}", file=sys.stderr)
        return 1
