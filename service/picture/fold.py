"""The consolidated picture (samlad lägesbild): a pure fold of an incident's events.

`apply(picture, event)` returns the next picture and the JSON Merge Patch (RFC 7396)
between the two; `rebuild(events)` folds a whole log. The contract is docs/events.md.

Pictures are plain JSON-like dicts that are never mutated once built. `apply` makes new
dicts only along the paths an event changes and shares everything else with the previous
picture, so a report from one of 290 organisations copies one organisation map, not 290
organisation entries, and the patch is found by identity almost everywhere.

Counts (`sectors`, `trend`, `reporting.expected`, `reporting.received`) are kept in step
incrementally: changing an organisation entry subtracts its old contribution and adds its
new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

from schemas.common import IMPACT_SCALE, IMPACTS, SECTORS, TRENDS, worst_impact
from service.picture.merge_patch import diff

Picture: TypeAlias = dict[str, Any]
Event: TypeAlias = Mapping[str, Any]
Entry: TypeAlias = dict[str, Any]

_UNKNOWN = "unknown"
# The incident fields `incident.updated` may change (docs/events.md); others are ignored.
_CHANGEABLE = ("title", "description", "severity", "schedule")


def empty_picture() -> Picture:
    """The picture before any event: seq 0, no incident, no participants, all counts zero."""
    return {
        "seq": 0,
        "organisations": {},
        "sectors": _fresh_sectors(0),
        "trend": _fresh_trend(0),
        "needs": {},
        "reporting": {"expected": 0, "received": 0, "overdue": []},
    }


def advance(picture: Picture, event: Event) -> Picture:
    """Fold one event into `picture` and return the new picture (`picture` is not mutated).

    A kind the fold does not know, any event but `incident.activated` before an
    activation, and an event whose data the fold cannot read (a missing field, a
    malformed time) change nothing but `seq`: the fold is total, so one bad event can
    never stop a live picture.
    """
    handler = _HANDLERS.get(event.get("kind", ""))
    changed = picture
    if handler is not None and ("incident" in picture or handler is _on_activated):
        try:
            changed = handler(picture, event)
        except (KeyError, TypeError, ValueError, AttributeError):
            changed = picture
    return {**changed, "seq": event["seq"]}


def apply(picture: Picture, event: Event) -> tuple[Picture, dict[str, Any]]:
    """`advance`, and the patch from the old picture to the new (what the stream sends).
    Folds that only want the picture (a past moment, a rebuild) call `advance`: the
    patch costs as much as the fold itself."""
    new = advance(picture, event)
    return new, diff(picture, new)


def rebuild(events: Iterable[Event]) -> Picture:
    """Fold a whole log, in order, starting from `empty_picture()`."""
    picture = empty_picture()
    for event in events:
        picture = advance(picture, event)
    return picture


# --- event kinds -------------------------------------------------------------------------


def _on_activated(picture: Picture, event: Event) -> Picture:
    """Start a fresh picture: the incident, its participants (none reported yet), a deadline."""
    data = event["data"]
    incident = _without_nulls(data.get("incident") or {})
    incident.setdefault("status", "active")
    organisations = {
        participant["code"]: _never_reported(participant.get("name"))
        for participant in data.get("participants") or []
    }
    fresh: Picture = {
        "incident": incident,
        "seq": event["seq"],
        "organisations": organisations,
        "sectors": _fresh_sectors(len(organisations)),
        "trend": _fresh_trend(len(organisations)),
        "needs": {},
        "reporting": {"expected": len(organisations), "received": 0, "overdue": []},
    }
    return _with_deadline(fresh, data.get("due_at"))


def _on_updated(picture: Picture, event: Event) -> Picture:
    """Change incident fields, remove then add participants, and note a new deadline."""
    data = event["data"]
    picture = _with_incident_changes(picture, data.get("changes") or {})
    for code in data.get("participants_removed") or []:
        picture = _without_participant(picture, code)
    for participant in data.get("participants_added") or []:
        picture = _with_participant(picture, participant["code"], participant.get("name"))
    return _with_deadline(picture, data.get("due_at"))


def _on_report(picture: Picture, event: Event) -> Picture:
    """Make the report its organisation's latest: entry, counts, needs, deadline."""
    report: Mapping[str, Any] = event["data"].get("report") or {}
    code = report.get("organisation")
    if not isinstance(code, str) or code not in picture["organisations"]:
        return picture
    previous = picture["organisations"][code]
    needs = _needs_after_report(picture["needs"], code, report)
    open_needs = len({need["need_id"] for need in _open_needs(report)})
    entry = _reported_entry(previous, report, open_needs=open_needs)
    picture = _with_deadline(picture, report.get("due_at"))
    picture = _with_organisation(picture, code, entry)
    return _replaced(picture, {"needs": needs, "reporting": _not_overdue(picture, code)})


def _on_round_closed(picture: Picture, event: Event) -> Picture:
    """A deadline passed: its overdue participants, less any that have reported since,
    become the overdue list; the next deadline becomes current."""
    data = event["data"]
    due_at = _instant(data["due_at"])
    if not isinstance(data["overdue"], list):
        raise TypeError("overdue is a list of organisation codes")
    organisations = picture["organisations"]
    overdue = [
        code
        for code in dict.fromkeys(data["overdue"])
        if isinstance(code, str)
        and code in organisations
        and not _reported_after(organisations[code], due_at)
    ]
    flagged = set(overdue)
    for code, entry in organisations.items():
        if entry.get("overdue", False) != (code in flagged):
            picture = _with_organisation(picture, code, {**entry, "overdue": code in flagged})
    reporting = picture["reporting"]
    if reporting.get("overdue") != overdue:
        picture = _replaced(picture, {"reporting": {**reporting, "overdue": overdue}})
    return _with_deadline(picture, data.get("next_due_at"))


def _on_closed(picture: Picture, event: Event) -> Picture:
    """Mark the incident closed; the reporting deadline leaves the picture."""
    data = event["data"]
    incident = _replaced(
        picture["incident"],
        _present(
            {
                "status": "closed",
                "closed_at": data.get("closed_at"),
                "closed_by": data.get("closed_by"),
                "summary": data.get("summary"),
            }
        ),
    )
    reporting = {key: value for key, value in picture["reporting"].items() if key != "due_at"}
    reporting["received"] = _count_received(picture["organisations"], None)
    return _replaced(
        picture,
        {"incident": incident, "reporting": _kept_if_equal(picture["reporting"], reporting)},
    )


def _on_summary_published(picture: Picture, event: Event) -> Picture:
    """The latest published summary: its number, when and by whom, the picture it was
    made against, what it corrects, and its requests to national level."""
    data = event["data"]
    number = data["number"]
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError("a summary's number is an integer")
    requests = [
        {
            "id": str(request["id"]),
            "text": str(request["text"]),
            "urgency": str(request["urgency"]),
            "status": str(request["status"]),
        }
        for request in data["summary"].get("requests") or []
    ]
    summary = _present(
        {
            "number": number,
            "published_at": data.get("published_at"),
            "published_by": data.get("published_by"),
            "picture_seq": data.get("picture_seq"),
            "corrects": data.get("corrects"),
            "requests": requests,
        }
    )
    return _replaced(picture, {"summary": summary})


def _on_shared(picture: Picture, event: Event) -> Picture:
    """Add the organisation to `incident.shared_with` (sorted, without repeats)."""
    return _with_shares(picture, lambda codes: codes | {_code(event)})


def _on_unshared(picture: Picture, event: Event) -> Picture:
    """Take the organisation out of `incident.shared_with`; the key leaves with the last."""
    return _with_shares(picture, lambda codes: codes - {_code(event)})


def _on_evaluated(picture: Picture, event: Event) -> Picture:
    """The latest evaluation replaces an earlier one (the log keeps both)."""
    data = event["data"]
    evaluation = {
        "by": str(data["by"]),
        "at": str(data["at"]),
        "worked": str(data.get("worked") or ""),
        "did_not_work": str(data.get("did_not_work") or ""),
        "actions": [
            _present({"text": str(a["text"]), "owner": str(a["owner"]), "due": a.get("due")})
            for a in data.get("actions") or []
        ],
    }
    return _replaced(picture, {"evaluation": evaluation})


def _code(event: Event) -> str:
    code = event["data"]["organisation"]
    if not isinstance(code, str):
        raise TypeError("organisation is an organisation code")
    return code


def _with_shares(picture: Picture, change: Callable[[set[str]], set[str]]) -> Picture:
    incident = picture["incident"]
    shared = sorted(change(set(incident.get("shared_with", ()))))
    if shared == incident.get("shared_with", []):
        return picture
    updated = {key: value for key, value in incident.items() if key != "shared_with"}
    if shared:
        updated["shared_with"] = shared
    return _replaced(picture, {"incident": updated})


# The journal's fields a picture's significant entry keeps (nulls left out).
_JOURNAL_FIELDS = (
    "number",
    "at",
    "author",
    "organisation",
    "category",
    "text",
    "decided_by",
    "significant",
    "corrects",
)
_SIGNIFICANT_KEPT = 20


def _on_journal_entry(picture: Picture, event: Event) -> Picture:
    """Count the entry; a significant one goes first in `journal.significant` (at most 20,
    newest first); a correction of a significant entry adds its number to that entry's
    `corrected_by`."""
    data = event["data"]
    if not isinstance(data["number"], int) or not isinstance(data["text"], str):
        raise TypeError("a journal entry has a number and a text")
    journal = picture.get("journal", {"count": 0, "significant": []})
    significant = journal["significant"]
    corrects = data.get("corrects")
    if isinstance(corrects, int) and any(e["number"] == corrects for e in significant):
        # A significant entry that is corrected says so (its text stays as written).
        significant = [
            {**e, "corrected_by": [*e.get("corrected_by", []), data["number"]]}
            if e["number"] == corrects
            else e
            for e in significant
        ]
    if data.get("significant") is True:
        entry = _present({field: data.get(field) for field in _JOURNAL_FIELDS})
        significant = [entry, *significant][:_SIGNIFICANT_KEPT]
    return _replaced(
        picture, {"journal": {"count": journal["count"] + 1, "significant": significant}}
    )


_HANDLERS: Mapping[str, Callable[[Picture, Event], Picture]] = {
    "journal.entry": _on_journal_entry,
    "incident.activated": _on_activated,
    "incident.updated": _on_updated,
    "report.submitted": _on_report,
    "incident.closed": _on_closed,
    "round.closed": _on_round_closed,
    "summary.published": _on_summary_published,
    "incident.shared": _on_shared,
    "incident.unshared": _on_unshared,
    "incident.evaluated": _on_evaluated,
}


# --- incident and deadline ---------------------------------------------------------------


def _with_incident_changes(picture: Picture, changes: Mapping[str, Any]) -> Picture:
    """Set the changeable incident fields given in `changes`; a `None` value changes nothing."""
    incident = dict(picture["incident"])
    for key in _CHANGEABLE:
        if changes.get(key) is not None:
            incident[key] = _without_nulls(changes[key])
    return _replaced(picture, {"incident": _kept_if_equal(picture["incident"], incident)})


def _with_deadline(picture: Picture, named: str | None) -> Picture:
    """Make `named` the current deadline if it is later than the current one.

    A closed incident has no deadline, so it takes none. A new deadline changes which
    reports count as received, so `received` is counted again.
    """
    if named is None or picture["incident"].get("status") == "closed":
        return picture
    reporting = picture["reporting"]
    current = reporting.get("due_at")
    if current is not None and _instant(named) <= _instant(current):
        return picture
    received = _count_received(picture["organisations"], named)
    return _replaced(picture, {"reporting": {**reporting, "due_at": named, "received": received}})


# --- participants and organisation entries -----------------------------------------------


def _never_reported(name: str | None) -> Entry:
    """The entry of a participant that has not reported yet."""
    return _present(
        {
            "name": name,
            "sectors": {},
            "impact": _UNKNOWN,
            "trend": _UNKNOWN,
            "open_needs": 0,
            "overdue": False,
        }
    )


def _with_participant(picture: Picture, code: str, name: str | None) -> Picture:
    """Add a participant that has not reported; one that already takes part is kept as is."""
    if code in picture["organisations"]:
        return picture
    return _with_organisation(picture, code, _never_reported(name))


def _without_participant(picture: Picture, code: str) -> Picture:
    """Remove a participant from organisations, counts, needs and the overdue list."""
    if code not in picture["organisations"]:
        return picture
    picture = _with_organisation(picture, code, None)
    needs = _without_needs_of(picture["needs"], code)
    reporting = picture["reporting"]
    if code in reporting.get("overdue", []):
        overdue = [other for other in reporting["overdue"] if other != code]
        reporting = {**reporting, "overdue": overdue}
    return _replaced(picture, {"needs": needs, "reporting": reporting})


def _not_overdue(picture: Picture, code: str) -> dict[str, Any]:
    """The reporting block with `code` out of the overdue list (it has reported since)."""
    reporting: dict[str, Any] = picture["reporting"]
    if code not in reporting.get("overdue", []):
        return reporting
    return {**reporting, "overdue": [other for other in reporting["overdue"] if other != code]}


def _reported_after(entry: Entry, moment: datetime) -> bool:
    """Whether the organisation's latest report was received after `moment`."""
    received_at = entry.get("received_at")
    return isinstance(received_at, str) and _instant(received_at) > moment


def _reported_entry(previous: Entry, report: Mapping[str, Any], open_needs: int) -> Entry:
    """The entry of an organisation whose latest report is `report`.

    The name comes from the participant list; a report ends being overdue.
    """
    sectors = _reported_sectors(report.get("sectors") or [])
    management = report.get("management") or {}
    entry = {
        "name": previous.get("name"),
        "report_id": report.get("report_id"),
        "version": report.get("version"),
        "as_of": report.get("as_of"),
        "received_at": report.get("received_at"),
        "sectors": sectors,
        "impact": worst_impact(sectors.values()),
        "trend": _known_or_unknown((report.get("development") or {}).get("trend"), TRENDS),
        "management": management.get("level"),
        "open_needs": open_needs,
        "overdue": False,
        "due_at": report.get("due_at"),
    }
    return _kept_if_equal(previous, _present(entry))


def _reported_sectors(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Sector → impact as a report states it; unknown sectors are left out, odd levels unknown."""
    return {
        entry["sector"]: _known_or_unknown(entry.get("status"), IMPACTS)
        for entry in entries
        if entry.get("sector") in SECTORS
    }


def _with_organisation(picture: Picture, code: str, entry: Entry | None) -> Picture:
    """Put (or, with `None`, remove) one organisation entry and keep every count in step."""
    organisations = picture["organisations"]
    before = organisations.get(code)
    if before is entry:
        return picture
    changed = dict(organisations)
    if entry is None:
        del changed[code]
    else:
        changed[code] = entry
    reporting = picture["reporting"]
    due_at = reporting.get("due_at")
    received = (
        reporting["received"]
        - _counts_as_received(before, due_at)
        + _counts_as_received(entry, due_at)
    )
    return _replaced(
        picture,
        {
            "organisations": changed,
            "sectors": _shift_sectors(picture["sectors"], before, entry),
            "trend": _shift_trend(picture["trend"], before, entry),
            "reporting": _replaced(reporting, {"expected": len(changed), "received": received}),
        },
    )


# --- counts ------------------------------------------------------------------------------


def _fresh_sectors(unknown: int) -> dict[str, Any]:
    """Sector counts when `unknown` participants know nothing: every level zero but unknown."""
    return {
        sector: {**dict.fromkeys(IMPACTS, 0), _UNKNOWN: unknown, "worst": _UNKNOWN}
        for sector in SECTORS
    }


def _fresh_trend(unknown: int) -> dict[str, int]:
    """Trend counts when `unknown` participants have not reported."""
    return {**dict.fromkeys(TRENDS, 0), _UNKNOWN: unknown}


def _sector_level(entry: Entry | None, sector: str) -> str | None:
    """What an organisation counts as in one sector; `None` when it does not take part."""
    if entry is None:
        return None
    return _known_or_unknown(entry["sectors"].get(sector), IMPACT_SCALE)


def _shift_sectors(sectors: Picture, before: Entry | None, after: Entry | None) -> Picture:
    """Move one organisation's contribution to the sector counts from `before` to `after`."""
    changed: dict[str, Any] = {}
    for sector in SECTORS:
        old_level, new_level = _sector_level(before, sector), _sector_level(after, sector)
        if old_level == new_level:
            continue
        counts = dict(sectors[sector])
        if old_level is not None:
            counts[old_level] -= 1
        if new_level is not None:
            counts[new_level] += 1
        counts["worst"] = worst_impact(level for level in IMPACT_SCALE if counts[level] > 0)
        changed[sector] = counts
    return _replaced(sectors, changed)


def _shift_trend(trend: Picture, before: Entry | None, after: Entry | None) -> Picture:
    """Move one organisation's contribution to the trend counts from `before` to `after`."""
    old_trend = None if before is None else before["trend"]
    new_trend = None if after is None else after["trend"]
    if old_trend == new_trend:
        return trend
    counts = dict(trend)
    if old_trend is not None:
        counts[old_trend] -= 1
    if new_trend is not None:
        counts[new_trend] += 1
    return counts


def _counts_as_received(entry: Entry | None, due_at: str | None) -> int:
    """1 if the organisation's latest report counts for `due_at` or a later deadline, else 0.

    Without a current deadline, any report counts.
    """
    if entry is None or "report_id" not in entry:
        return 0
    if due_at is None:
        return 1
    counts_for = entry.get("due_at")
    return int(counts_for is not None and _instant(counts_for) >= _instant(due_at))


def _count_received(organisations: Mapping[str, Entry], due_at: str | None) -> int:
    """`reporting.received` counted from scratch, for when the deadline changes."""
    return sum(_counts_as_received(entry, due_at) for entry in organisations.values())


# --- needs -------------------------------------------------------------------------------


def _need_prefix(code: str) -> str:
    """Keys of an organisation's needs start with this (organisation codes have no `/`)."""
    return f"{code}/"


def _open_needs(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The needs a report states as open."""
    return [need for need in report.get("needs") or [] if need.get("status", "open") == "open"]


def _without_needs_of(needs: dict[str, Entry], code: str) -> dict[str, Entry]:
    """The needs map without `code`'s needs (the same object when it had none)."""
    prefix = _need_prefix(code)
    kept = {key: need for key, need in needs.items() if not key.startswith(prefix)}
    return needs if len(kept) == len(needs) else kept


def _needs_after_report(
    needs: dict[str, Entry], code: str, report: Mapping[str, Any]
) -> dict[str, Entry]:
    """The needs map once `report` is `code`'s latest: its open needs replace the old ones."""
    prefix = _need_prefix(code)
    result = {key: need for key, need in needs.items() if not key.startswith(prefix)}
    for need in _open_needs(report):
        key = prefix + need["need_id"]
        result[key] = _open_need(code, need, needs.get(key), report.get("received_at"))
    return needs if result == needs else result


def _open_need(
    code: str, need: Mapping[str, Any], previous: Entry | None, received_at: str | None
) -> Entry:
    """One `needs` entry; `since` is kept from the entry of the report before, if any."""
    since = previous["since"] if previous is not None and "since" in previous else received_at
    entry = _present(
        {
            "organisation": code,
            "text": need.get("text"),
            "urgency": need.get("urgency"),
            "since": since,
        }
    )
    return entry if previous is None else _kept_if_equal(previous, entry)


# --- small pure helpers ------------------------------------------------------------------


def _replaced(mapping: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`mapping` with `changes` laid over it, or `mapping` itself when nothing differs.

    Returning the very same object when nothing changed is what keeps pictures
    structurally shared, so later diffs skip it by identity.
    """
    if all(key in mapping and _same(mapping[key], value) for key, value in changes.items()):
        return mapping
    return {**mapping, **changes}


def _kept_if_equal(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`previous` when `new` holds the same, so an unchanged value stays the same object."""
    return previous if previous == new else new


def _same(old: Any, new: Any) -> bool:
    """Identical objects, or equal scalars of one type (`1`, `1.0` and `True` differ in JSON)."""
    if old is new:
        return True
    return type(old) is type(new) and not isinstance(new, dict | list) and bool(old == new)


def _present(members: Mapping[str, Any]) -> dict[str, Any]:
    """The members of `members` that are not `None` (the picture never holds null)."""
    return {key: value for key, value in members.items() if value is not None}


def _without_nulls(value: Any) -> Any:
    """A copy of a JSON-like value with every `None` object member left out."""
    if isinstance(value, Mapping):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _known_or_unknown(value: Any, vocabulary: Iterable[str]) -> str:
    """`value` if it is one of `vocabulary`, else `unknown`."""
    return value if isinstance(value, str) and value in vocabulary else _UNKNOWN


def _instant(iso: str) -> datetime:
    """Parse an ISO 8601 time; compare times this way, never as strings (offsets differ)."""
    return datetime.fromisoformat(iso)
