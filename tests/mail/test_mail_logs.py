"""Reading mail logs no address, subject or text of it, aiosmtpd's own logger included."""

from __future__ import annotations

import json
import uuid

import pytest
from aiohttp import web

from service.config import Settings
from service.domain.plaintext import incident_code
from tests.logcapture import capture_library_logs, use_json_logs
from tests.mail.support import mail, send
from tests.rounds.support import add_contacts, log_of
from tests.support import Api


@pytest.mark.usefixtures("restore_logging")
async def test_reading_mail_logs_neither_addresses_nor_subjects_nor_report_text(
    api: Api,
    app: web.Application,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_json_logs(settings)
    capture_library_logs()  # aiosmtpd's "mail.log" too, at DEBUG: it is our server here
    capsys.readouterr()
    local = f"isk-{uuid.uuid4().hex}"
    contact = f"{local}@vargarda.example.se"
    stranger = f"stranger-{uuid.uuid4().hex}@example.org"
    situation = f"situation-{uuid.uuid4().hex}"
    subject = f"subject-{uuid.uuid4().hex}"
    await add_contacts(api, {"1442": contact})
    incident = await api.activate()
    text = f"Händelse: {incident_code(uuid.UUID(incident['id']))}\nLäge: {situation}\n"

    assert await send(app, mail(text, sender=contact, subject=subject)) == 250
    assert await send(app, mail(text, sender=stranger, subject=subject)) == 250
    assert await send(app, mail("Blommor: vackra\n", sender=contact, subject=subject)) == 250

    assert len(await log_of(api, incident["id"], "report.submitted")) == 1
    captured = capsys.readouterr()
    everything = captured.err + captured.out
    entries = [json.loads(line) for line in everything.splitlines() if line.startswith("{")]
    outcomes = [e.get("outcome") for e in entries if e.get("event") == "mail_in.received"]
    assert outcomes == ["stored", "unknown-sender", "unreadable"]  # the logs were captured
    for secret in (local, stranger, situation, subject, "vackra"):
        assert secret not in everything, f"in the logs: {secret}"
