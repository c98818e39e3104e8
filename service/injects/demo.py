"""The demo exercise's script: two injects, one delivered in the exercise's past and
one that falls due a quarter of an hour after the demo starts (seen to arrive)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from schemas.inject import Inject, InjectBody
from service.access.principal import Principal
from service.injects import script

EARLIER = timedelta(hours=2)
LATER = timedelta(minutes=15)


def demo_script(now: datetime, audience: list[str] | None = None) -> list[InjectBody]:
    """Inject 1 to every participant two hours before `now`; inject 2 to `audience`
    (every participant when None) a quarter of an hour after."""
    return [
        InjectBody(
            text="Elnätsbolaget meddelar att reservkraften vid vattenverket i Borås har "
            "stannat. Hur påverkas er kommun, och vilka åtgärder vidtar ni?",
            offset_minutes=None,
            at=now - EARLIER,
        ),
        InjectBody.model_validate(
            {
                "text": "SMHI har utfärdat en orange varning för fortsatt hård vind i "
                "natt. Rapportera senast vid nästa rapporteringstid om ni behöver stöd.",
                "attachments": [
                    {"name": "Varning från SMHI", "text": "Orange varning: vind 25 m/s i byarna."}
                ],
                "audience": audience,
                "at": now + LATER,
            }
        ),
    ]


async def add_demo_script(
    pool: asyncpg.Pool,
    board: Principal,
    incident_id: uuid.UUID,
    now: datetime,
    *,
    written_at: datetime,
    audience: list[str] | None = None,
) -> list[Inject]:
    """Write the demo's two injects into the exercise's script, as the county board's
    duty officer at `written_at` (the rounds job delivers them at their times)."""
    return [
        await script.add(pool, board, incident_id, body, written_at)
        for body in demo_script(now, audience)
    ]
