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
        actor=_text(origin.actor)[:320],
        organisation=None if origin.organisation is None else _text(origin.organisation),
        source=None if origin.source is None else _text(origin.source),
        request_id=None if origin.request_id is None else _text(origin.request_id),
        details=_json_safe(details),
    )


def _text(value: str) -> str:
    """Text PostgreSQL takes (no NUL, no lone surrogate): what an attacker typed must not
    fail the action."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON (anything else as its text), without the NUL that jsonb refuses."""
    safe: dict[str, Any] = _without_nul(json.loads(json.dumps(details, default=str)))
    return safe


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_text(key): _without_nul(item) for key, item in value.items()}
    return value
