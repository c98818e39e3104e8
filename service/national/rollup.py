"""The national roll-up, pure: each active incident's picture summed up per county.

`entry(picture)` reads what the roll-up needs from one incident's picture;
`rollup(entries)` puts the entries together, real incidents and exercises apart, so
that an exercise's figures are never counted with real ones. Like the picture, the
roll-up never holds `null` and is keyed by code, so a JSON Merge Patch carries every
change of it (the `national` topic of the stream).

The latest published summary is read from `picture["summary"]`
(`{"number", "published_at", "published_by", "picture_seq", "corrects", "requests"}`,
written by the fold for `summary.published`); an incident without it has published
none yet, and its requests to national level are none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from schemas.common import SECTORS, worst_impact

Entry = dict[str, Any]
Rollup = dict[str, Any]

KINDS = ("real", "exercise")


def entry(picture: Mapping[str, Any]) -> Entry | None:
    """What the roll-up shows of one incident; None unless it is an active incident."""
    incident: Mapping[str, Any] = picture.get("incident", {})
    if incident.get("status") != "active" or "id" not in incident:
        return None
    sectors: Mapping[str, Any] = picture.get("sectors", {})
    worst = {s: str(sectors.get(s, {}).get("worst", "unknown")) for s in SECTORS}
    reporting: Mapping[str, Any] = picture.get("reporting", {})
    needs: Mapping[str, Any] = picture.get("needs", {})
    found: Entry = {
        "id": str(incident["id"]),
        "title": str(incident.get("title", "")),
        "county": str(incident.get("county", "")),
        "owner": str(incident.get("owner", "")),
        "severity": str(incident.get("severity", "")),
        "exercise": bool(incident.get("exercise", False)),
        "activated_at": str(incident.get("activated_at", "")),
        "seq": int(picture.get("seq", 0)),
        "sectors": worst,
        "impact": worst_impact(worst.values()),
        "reporting": {
            "expected": int(reporting.get("expected", 0)),
            "received": int(reporting.get("received", 0)),
            "overdue": len(reporting.get("overdue", [])),
        },
        "open_needs": len(needs),
        "critical_needs": sum(
            1 for need in needs.values() if need.get("urgency") in ("high", "critical")
        ),
        "requests": _open_requests(picture),
    }
    if reporting.get("due_at"):
        found["reporting"]["due_at"] = str(reporting["due_at"])
    summary = _summary(picture)
    if summary is not None:
        found["summary"] = summary
    return found


def _summary(picture: Mapping[str, Any]) -> dict[str, Any] | None:
    published = picture.get("summary")
    if not isinstance(published, Mapping) or "number" not in published:
        return None
    return {
        "number": int(published["number"]),
        "published_at": str(published.get("published_at", "")),
        "published_by": str(published.get("published_by", "")),
    }


def _open_requests(picture: Mapping[str, Any]) -> list[dict[str, Any]]:
    published = picture.get("summary")
    if not isinstance(published, Mapping):
        return []
    return [
        {
            "id": str(request.get("id", "")),
            "text": str(request.get("text", "")),
            "urgency": str(request.get("urgency", "medium")),
        }
        for request in published.get("requests", [])
        if isinstance(request, Mapping) and request.get("status", "open") == "open"
    ]


def rollup(entries: Iterable[Entry]) -> Rollup:
    """The country: per kind (`real`, `exercise`), the incidents, each county's figures
    over its incidents, and the totals. Nothing of an exercise reaches `real`."""
    every = list(entries)
    return {kind: _part(_of_kind(every, kind)) for kind in KINDS}


def updated(previous: Rollup, entries: Iterable[Entry], *, exercise: bool, county: str) -> Rollup:
    """`rollup(entries)` when only incidents of one kind and county changed since
    `previous`: everything else is taken over as the same objects, so the change is
    cheap to make and to diff (equal to `rollup(entries)`, a property test says)."""
    kind = KINDS[1] if exercise else KINDS[0]
    chosen = _of_kind(entries, kind)
    counties = dict(previous[kind]["counties"])
    here = [e for e in chosen if e["county"] == county]
    if here:
        counties[county] = _county(here)
    else:
        counties.pop(county, None)
    return {**previous, kind: _assembled(chosen, dict(sorted(counties.items())))}


def _of_kind(entries: Iterable[Entry], kind: str) -> list[Entry]:
    exercise = kind == KINDS[1]
    return sorted(
        (e for e in entries if e["exercise"] is exercise),
        key=lambda e: (e["county"], e["activated_at"], e["id"]),
    )


def _part(entries: list[Entry]) -> dict[str, Any]:
    by_county: dict[str, list[Entry]] = {}
    for e in entries:
        by_county.setdefault(e["county"], []).append(e)
    return _assembled(entries, {code: _county(of) for code, of in sorted(by_county.items())})


def _county(entries: list[Entry]) -> dict[str, Any]:
    county = _empty_county()
    for e in entries:
        county["incidents"].append(e["id"])
        for sector in SECTORS:
            county["sectors"][sector] = worst_impact(
                (county["sectors"][sector], e["sectors"][sector])
            )
        for key in ("expected", "received", "overdue"):
            county["reporting"][key] += e["reporting"][key]
        county["open_needs"] += e["open_needs"]
        county["critical_needs"] += e["critical_needs"]
        county["requests"] += [{**r, "incident_id": e["id"]} for r in e["requests"]]
        summary = e.get("summary")
        if summary is not None and (
            "summary" not in county or summary["published_at"] > county["summary"]["published_at"]
        ):
            county["summary"] = {**summary, "incident_id": e["id"]}
    county["impact"] = worst_impact(county["sectors"].values())
    return county


def _assembled(entries: list[Entry], counties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "incidents": {e["id"]: e for e in entries},
        "counties": counties,
        "totals": {
            "incidents": len(entries),
            "counties": len(counties),
            "expected": sum(e["reporting"]["expected"] for e in entries),
            "received": sum(e["reporting"]["received"] for e in entries),
            "overdue": sum(e["reporting"]["overdue"] for e in entries),
            "open_needs": sum(e["open_needs"] for e in entries),
            "requests": sum(len(e["requests"]) for e in entries),
        },
    }


def _empty_county() -> dict[str, Any]:
    return {
        "incidents": [],
        "sectors": dict.fromkeys(SECTORS, "unknown"),
        "impact": "unknown",
        "reporting": {"expected": 0, "received": 0, "overdue": 0},
        "open_needs": 0,
        "critical_needs": 0,
        "requests": [],
    }


def age_minutes(published_at: str, now: datetime) -> int | None:
    """Whole minutes since a summary was published (None for an unreadable time)."""
    try:
        then = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    return max(0, int((now - then).total_seconds() // 60))


def with_ages(part: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The part as the API answers it: each summary with its age in minutes at `now`."""

    def aged(item: Mapping[str, Any]) -> dict[str, Any]:
        if "summary" not in item:
            return dict(item)
        summary = dict(item["summary"])
        age = age_minutes(summary["published_at"], now)
        if age is not None:
            summary["age_minutes"] = age
        return {**item, "summary": summary}

    return {
        **part,
        "incidents": {key: aged(value) for key, value in part["incidents"].items()},
        "counties": {key: aged(value) for key, value in part["counties"].items()},
    }
