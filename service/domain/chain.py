"""The log's hash chain, reproduced in Python: anyone holding a JSON export can check it.

The database is the authority (migrations/0017_chain.sql computes and checks every
hash); this module is the same definition, written out for readers outside it:

    canonical = incident_id "\\n" seq "\\n" kind "\\n" at "\\n" actor "\\n" data
    hash      = sha256_hex(prev_hash "\\n" canonical)

`at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`; `data` in PostgreSQL's jsonb text form
(object keys ordered by their UTF-8 length, then bytewise; `", "` and `": "` between
items; strings escaped only where JSON must). The first event's `prev_hash` is 64 zeros.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    # PostgreSQL keeps a JSON number as numeric and prints it without an exponent.
    return format(Decimal(repr(value)) if isinstance(value, float) else value, "f")


def jsonb_text(value: Any) -> str:
    """`value` as PostgreSQL prints it as jsonb (`data::text`)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float, Decimal)):
        return _number(value)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return "{" + ", ".join(f"{_string(key)}: {jsonb_text(value[key])}" for key in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(jsonb_text(item) for item in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _utc(at: str) -> str:
    moment = datetime.fromisoformat(at).astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def canonical(incident_id: str, event: Mapping[str, Any]) -> str:
    """The text of one event that its hash covers."""
    return "\n".join(
        [
            str(incident_id),
            str(event["seq"]),
            str(event["kind"]),
            _utc(str(event["at"])),
            str(event["actor"]),
            jsonb_text(event["data"]),
        ]
    )


def event_hash(prev_hash: str, incident_id: str, event: Mapping[str, Any]) -> str:
    text = prev_hash + "\n" + canonical(incident_id, event)
    return hashlib.sha256(text.encode()).hexdigest()


def first_break(incident_id: str, events: Iterable[Mapping[str, Any]]) -> int | None:
    """The first seq (of events in log order, each with `prev_hash` and `hash`) at which
    the chain does not hold, or None when it holds throughout."""
    previous_hash, previous_seq = GENESIS, 0
    for event in events:
        seq = int(event["seq"])
        if (
            seq != previous_seq + 1
            or event.get("prev_hash") != previous_hash
            or event.get("hash") != event_hash(previous_hash, incident_id, event)
        ):
            return seq
        previous_hash, previous_seq = str(event["hash"]), seq
    return None
