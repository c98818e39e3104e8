"""A body the WIS-style node can take: shortened to its size limit, saying so.

A report valid in Lägesbild (up to `LAGESBILD_MAX_BODY_BYTES` of UTF-8) can be larger as
a node body (the answer repeats it in the node's shape) than the node takes (it answers
413, which no retry changes: a dead letter). Before such a body is sent, its free text
is shortened: every text field longer than a common cap is cut to that cap, the largest
cap that fits, and each cut field ends with `NOTE`. Identifiers, levels and times are
never touched. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service import jsontext

# The node's free-text fields (docs/exchange.md): what may be shortened.
TEXT_FIELDS = frozenset(
    {
        "tillstånd",
        "händelseutveckling",
        "vidtagna_åtgärder",
        "planerade_åtgärder",
        "kommentar",
        "text",
        "beskrivning",
        "sammanfattning",
    }
)
NOTE = " […] [Förkortat av Lägesbild: för stort för WIS-noden. Hela texten finns i Lägesbild.]"
# A cut text keeps at least this many characters (and the note).
MIN_KEPT = 200


def encoded(body: Mapping[str, Any]) -> bytes:
    """The body as sent: JSON in UTF-8 (Swedish letters as themselves, not `\\u00e5`)."""
    return jsontext.dumps_bytes(body)


def _capped(value: Any, cap: int, key: str | None = None) -> Any:
    if isinstance(value, str):
        if key in TEXT_FIELDS and len(value) > cap:
            return value[:cap].rstrip() + NOTE
        return value
    if isinstance(value, Mapping):
        return {k: _capped(v, cap, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(item, cap, key) for item in value]
    return value


def _longest(value: Any, key: str | None = None) -> int:
    if isinstance(value, str):
        return len(value) if key in TEXT_FIELDS else 0
    if isinstance(value, Mapping):
        return max((_longest(v, k) for k, v in value.items()), default=0)
    if isinstance(value, list):
        return max((_longest(item, key) for item in value), default=0)
    return 0


def fitted(body: Mapping[str, Any], max_bytes: int) -> tuple[dict[str, Any], bool]:
    """`body` at most `max_bytes` encoded, and whether it had to be shortened. When even
    the shortest cut is too large, that cut is returned (the node decides)."""
    if len(encoded(body)) <= max_bytes:
        return dict(body), False
    low, high = MIN_KEPT, max(_longest(body), MIN_KEPT)
    best = _capped(body, low)
    while low <= high:  # the largest cap whose body fits
        cap = (low + high) // 2
        candidate = _capped(body, cap)
        if len(encoded(candidate)) <= max_bytes:
            best, low = candidate, cap + 1
        else:
            high = cap - 1
    return best, True
