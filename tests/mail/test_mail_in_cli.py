"""`lagesbild mail-in` runs the inbound server alone, beside a service on the same database."""

from __future__ import annotations

import asyncio
import sys
import uuid

from service.demo.ports import free_port
from service.domain.plaintext import incident_code
from tests.command import ROOT, child_environment
from tests.mail.support import mail, send
from tests.rounds.support import log_of
from tests.support import Api


async def test_mail_in_alone_stores_a_mailed_report_until_stopped(
    api: Api, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "mail-in",
        "--port",
        str(port),
        cwd=ROOT,
        env=child_environment(DATABASE_URL=dsn, LAGESBILD_LOG_LEVEL="warning"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert f"127.0.0.1:{port}" in line.decode()
        text = f"Händelse: {incident_code(uuid.UUID(incident['id']))}\nLäge: Lugnt.\n"

        assert await send(port, mail(text)) == 250

        [event] = await log_of(api, incident["id"], "report.submitted")
        assert event["data"]["report"]["situation"] == "Lugnt."
    finally:
        process.terminate()
        _, err = await process.communicate()
    assert process.returncode == 0, err.decode()
