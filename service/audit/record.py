"""Recording a security event.

Ordering: an event that goes with a change in the database (a token revoked, a user
removed, an incident activated, a log-out) is recorded on the same connection inside the
change's transaction, so both are committed or neither: no change without its row. An
event that changes nothing (a failed log-in, a refusal, an export) is recorded in a
transaction of its own before the answer is sent; if that insert fails, the export is
not sent (the service cannot account for it), and a refusal is still a refusal, with the
whole event written to the error log (`audit.not_recorded`) so it is never lost
silently. Details are made JSON-safe here, so recording never fails on their content.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.audit import repo
from service.audit.kinds import KINDS, Kind
from service.repo import Conn


@dataclass(frozen=True, slots=True)
class Origin:
    """Who acted, for which organisation, from which address, in which request."""

    actor: str
    organisation: str | None = None
    source: str | None = None
    request_id: str | None = None


def command_line() -> Origin:
    """The operator at the `lagesbild` command (the account that runs it)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "?"
    return Origin(actor=f"lagesbild command ({user})")


async def record(conn: Conn, kind: Kind, origin: Origin, *, at: datetime, **details: Any) -> None:
    """Insert one audit row (on `conn`, inside whatever transaction it is in)."""
    if kind not in KINDS:
        raise ValueError(f"not an audit kind: {kind!r}")
    await repo.insert(
        conn,
        at=at,
        kind=kind,
        actor=origin.actor[:320],
        organisation=origin.organisation,
        source=origin.source,
        request_id=origin.request_id,
        details=_json_safe(details),
    )


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(details, default=str, ensure_ascii=False))
    return safe
