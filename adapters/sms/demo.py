"""The SMS gateway in `lagesbild demo`: a secret of its own and a registered number, so
an SMS can be "sent" from a shell with `lagesbild sms-send`."""

from __future__ import annotations

import secrets
from pathlib import Path

from aiohttp import web

from service import keys
from service.config import Settings
from service.plugins import DemoPart
from service.rounds import repo as contacts

# Ale (1440), a participant of the demo incident, reports from this number.
DEMO_ORGANISATION = "1440"
DEMO_PHONE = "+46700001440"


def demo_part(settings: Settings, data_dir: Path) -> DemoPart | None:
    """Without LAGESBILD_SMS_SECRET: one kept in the data directory."""
    if settings.sms_secret is not None:
        return None
    path = data_dir / "demo-sms-secret.txt"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    secret = path.read_text().strip()

    async def register(app: web.Application) -> None:
        async with app[keys.pool].acquire() as conn:
            await contacts.add_phone(conn, DEMO_ORGANISATION, DEMO_PHONE, app[keys.clock].now())

    def attach(app: web.Application) -> None:
        app.on_startup.append(register)

    return DemoPart(
        settings=settings.replace(sms_secret=secret),
        lines=[
            f"Demo: an SMS as Ale (1440): lagesbild sms-send --secret-file {path} "
            f"--from {DEMO_PHONE} 'Läge: Vägarna farbara'",
        ],
        attach=attach,
    )
