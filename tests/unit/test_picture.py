"""The consolidated picture as a pure fold of events (docs/events.md)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import IMPACT_SCALE, IMPACTS, SECTORS, TRENDS
from service.picture.fold import Picture, apply, empty_picture, rebuild
from service.picture.merge_patch import merge

Event = dict[str, Any]

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NAMES = {
    "1440": "Ale",
    "1442": "Vårgårda",
    "1489": "Alingsås",
    "1401": "Härryda",
    "LST-14": "Länsstyrelsen i Västra Götalands län",
}
INCIDENT_ID = "5b0e8c52-3f0e-4f57-9d55-2a1c1c7e9a10"


# --- building events ---------------------------------------------------------------------


def _iso(hours: float, offset_hours: int = 0) -> str:
    """The instant `hours` after T0, written with the given UTC offset."""
    moment = T0 + timedelta(hours=hours)
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _envelope(seq: int, kind: str, data: dict[str, Any], actor: str = "LST-14") -> Event:
    return {"seq": seq, "kind": kind, "at": _iso(seq / 60), "actor": actor, "data": data}


def _participants(codes: Sequence[str]) -> list[dict[str, str]]:
    return [{"code": code, "name": NAMES[code]} for code in codes]


def _activated(
    codes: Sequence[str] = ("1440", "1442"), *, due_at: str | None = None, seq: int = 1
) -> Event:
    incident = {
        "id": INCIDENT_ID,
        "title": "Storm Ylva",
        "description": "Fallen trees over power lines",
        "county": "14",
        "owner": "LST-14",
        "severity": "high",
        "exercise": False,
        "status": "active",
        "schedule": {"kind": "interval", "interval_minutes": 240, "first_due_at": _iso(2)},
        "activated_at": _iso(0),
    }
    data = {"incident": incident, "participants": _participants(codes), "due_at": due_at}
    return _envelope(seq, "incident.activated", data)


def _updated(
    seq: int,
    *,
    changes: dict[str, Any] | None = None,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    due_at: str | None = None,
) -> Event:
    data = {
        "changes": changes or {},
        "participants_added": _participants(added),
        "participants_removed": list(removed),
        "due_at": due_at,
    }
    return _envelope(seq, "incident.updated", data)


def _need(
    need_id: str, status: str = "open", urgency: str = "high", text: str = ""
) -> dict[str, Any]:
    return {
        "need_id": need_id,
        "text": text or f"Need {need_id}",
        "urgency": urgency,
        "status": status,
    }


def _report(
    seq: int,
    organisation: str,
    *,
    sectors: Mapping[str, str] | None = None,
    trend: str = "stable",
    needs: Sequence[dict[str, Any]] = (),
    due_at: str | None = None,
    management: str | None = None,
    version: int = 1,
) -> Event:
    """A `report.submitted` event carrying a report as the API returns it (nulls included)."""
    report = {
        "report_id": f"00000000-0000-4000-8000-{seq:012d}",
        "incident_id": INCIDENT_ID,
        "organisation": organisation,
        "version": version,
        "as_of": _iso(seq / 60, offset_hours=1),
        "received_at": _iso(seq / 60),
        "submitted_by": "reporter-1",
        "due_at": due_at,
        "late": False,
        "unchanged": False,
        "supersedes": None,
        "situation": "",
        "development": {"trend": trend, "text": ""},
        "sectors": [
            {"sector": sector, "status": status, "text": ""}
            for sector, status in (sectors or {}).items()
        ],
        "measures_taken": [],
        "measures_planned": [],
        "needs": list(needs),
        "management": None if management is None else {"level": management, "text": ""},
        "public_information": "",
        "contact": None,
        "next_report_at": None,
    }
    return _envelope(seq, "report.submitted", {"report": report}, actor=organisation)


def _closed(seq: int) -> Event:
    data = {"summary": "Power restored everywhere.", "closed_at": _iso(9), "closed_by": "LST-14"}
    return _envelope(seq, "incident.closed", data)


def _unknown(seq: int) -> Event:
    """A kind the fold does not know (a later writer's)."""
    return _envelope(seq, "exchange.sent", {"due_at": _iso(2), "overdue": ["1440"]})


def _round_closed(
    seq: int, *, due_at: str, overdue: Sequence[str], next_due_at: str | None = None, n: int = 1
) -> Event:
    data = {
        "n": n,
        "due_at": due_at,
        "expected": sorted(overdue),
        "on_time": [],
        "late": [],
        "overdue": list(overdue),
        "next_due_at": next_due_at,
    }
    return _envelope(seq, "round.closed", data, actor="system")


def _fold(events: Sequence[Event]) -> list[tuple[Picture, dict[str, Any]]]:
    """Every (picture, patch) pair, step by step from the empty picture."""
    steps = []
    picture = empty_picture()
    for event in events:
        picture, patch = apply(picture, event)
        steps.append((picture, patch))
    return steps


def _zeros(keys: Sequence[str]) -> dict[str, int]:
    """Each key with a count of zero."""
    return dict.fromkeys(keys, 0)


def _nulls(value: Any, path: str = "") -> Iterator[str]:
    """Paths at which a JSON-like value holds None."""
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nulls(item, f"{path}/{index}")


# --- empty picture and activation --------------------------------------------------------


def test_empty_picture_has_every_sector_and_trend_at_zero() -> None:
    picture = empty_picture()
    assert picture["seq"] == 0
    assert "incident" not in picture
    assert set(picture["sectors"]) == set(SECTORS)
    for counts in picture["sectors"].values():
        assert counts == {**_zeros(IMPACTS), "worst": "unknown"}
    assert picture["trend"] == _zeros(TRENDS)
    assert picture["reporting"] == {"expected": 0, "received": 0, "overdue": []}


def test_activation_lists_participants_as_never_reported() -> None:
    picture, _ = apply(empty_picture(), _activated(("1440", "1442"), due_at=_iso(2)))
    assert picture["seq"] == 1
    assert picture["incident"]["status"] == "active"
    assert picture["incident"]["title"] == "Storm Ylva"
    assert picture["organisations"]["1442"] == {
        "name": "Vårgårda",
        "sectors": {},
        "impact": "unknown",
        "trend": "unknown",
        "open_needs": 0,
        "overdue": False,
    }
    assert picture["reporting"] == {
        "due_at": _iso(2),
        "expected": 2,
        "received": 0,
        "overdue": [],
    }


def test_never_reported_participant_counts_as_unknown_in_every_sector() -> None:
    picture = rebuild([_activated(("1440", "1442", "1489"))])
    for sector in SECTORS:
        assert picture["sectors"][sector] == {
            **_zeros(IMPACT_SCALE),
            "unknown": 3,
            "worst": "unknown",
        }
    assert picture["trend"] == {"improving": 0, "stable": 0, "worsening": 0, "unknown": 3}


def test_activation_without_deadline_leaves_due_at_out() -> None:
    picture = rebuild([_activated(due_at=None)])
    assert "due_at" not in picture["reporting"]


# --- reports -----------------------------------------------------------------------------


def test_report_fills_the_organisation_entry() -> None:
    report = _report(
        2,
        "1442",
        sectors={"energy": "serious", "water": "moderate"},
        trend="worsening",
        needs=[_need("gen-1"), _need("sandbags", status="resolved")],
        due_at=_iso(2),
        management="staff",
        version=3,
    )
    picture = rebuild([_activated(due_at=_iso(2)), report])
    reported = report["data"]["report"]
    assert picture["organisations"]["1442"] == {
        "name": "Vårgårda",
        "report_id": reported["report_id"],
        "version": 3,
        "as_of": reported["as_of"],
        "received_at": reported["received_at"],
        "sectors": {"energy": "serious", "water": "moderate"},
        "impact": "serious",
        "trend": "worsening",
        "management": "staff",
        "open_needs": 1,
        "overdue": False,
        "due_at": _iso(2),
    }


def test_report_moves_the_organisation_between_counts() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442")),
            _report(2, "1442", sectors={"energy": "critical"}, trend="worsening"),
        ]
    )
    assert picture["sectors"]["energy"] == {
        "none": 0,
        "moderate": 0,
        "significant": 0,
        "serious": 0,
        "critical": 1,
        "unknown": 1,
        "worst": "critical",
    }
    assert picture["sectors"]["water"]["unknown"] == 2
    assert picture["trend"] == {"improving": 0, "stable": 0, "worsening": 1, "unknown": 1}


def test_later_report_replaces_the_earlier_contribution() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442")),
            _report(2, "1442", sectors={"energy": "critical"}, trend="worsening"),
            _report(3, "1442", sectors={"energy": "moderate"}, trend="improving", version=2),
        ]
    )
    assert picture["sectors"]["energy"]["critical"] == 0
    assert picture["sectors"]["energy"]["moderate"] == 1
    assert picture["sectors"]["energy"]["worst"] == "moderate"
    assert picture["trend"] == {"improving": 1, "stable": 0, "worsening": 0, "unknown": 1}


def test_sector_a_report_leaves_out_counts_as_unknown() -> None:
    picture = rebuild(
        [
            _activated(("1442",)),
            _report(2, "1442", sectors={"energy": "serious", "water": "none"}),
            _report(3, "1442", sectors={"energy": "serious"}, version=2),
        ]
    )
    assert picture["organisations"]["1442"]["sectors"] == {"energy": "serious"}
    assert picture["sectors"]["water"]["none"] == 0
    assert picture["sectors"]["water"]["unknown"] == 1
    assert picture["sectors"]["water"]["worst"] == "unknown"


def test_sector_worst_is_the_most_severe_known_level() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442", "1489")),
            _report(2, "1440", sectors={"care": "significant"}),
            _report(3, "1442", sectors={"care": "none"}),
            _report(4, "1489", sectors={"care": "unknown"}),
        ]
    )
    assert picture["sectors"]["care"]["worst"] == "significant"
    assert picture["sectors"]["care"]["unknown"] == 1


def test_organisation_impact_is_unknown_when_no_sector_is_known() -> None:
    picture = rebuild(
        [_activated(("1442",)), _report(2, "1442", sectors={"care": "unknown"}, trend="bogus")]
    )
    entry = picture["organisations"]["1442"]
    assert entry["impact"] == "unknown"
    assert entry["trend"] == "unknown"
    assert "management" not in entry
    assert "due_at" not in entry


def test_report_from_non_participant_only_advances_seq() -> None:
    before = rebuild([_activated(("1442",))])
    after, patch = apply(before, _report(2, "1489", sectors={"energy": "critical"}))
    assert patch == {"seq": 2}
    assert after == {**before, "seq": 2}


# --- needs -------------------------------------------------------------------------------


def test_open_need_keeps_the_since_of_its_first_report() -> None:
    first = _report(2, "1442", needs=[_need("gen-1", urgency="medium")])
    picture = rebuild(
        [
            _activated(("1442",)),
            first,
            _report(3, "1442", needs=[_need("gen-1", urgency="critical")], version=2),
        ]
    )
    assert picture["needs"] == {
        "1442/gen-1": {
            "organisation": "1442",
            "text": "Need gen-1",
            "urgency": "critical",
            "since": first["data"]["report"]["received_at"],
        }
    }
    assert picture["organisations"]["1442"]["open_needs"] == 1


def test_resolved_need_leaves_the_needs_map() -> None:
    picture = rebuild(
        [
            _activated(("1442",)),
            _report(2, "1442", needs=[_need("gen-1"), _need("water-2")]),
            _report(3, "1442", needs=[_need("gen-1", status="resolved"), _need("water-2")]),
        ]
    )
    assert set(picture["needs"]) == {"1442/water-2"}
    assert picture["organisations"]["1442"]["open_needs"] == 1


def test_need_left_out_of_a_later_report_leaves_the_needs_map() -> None:
    picture = rebuild(
        [
            _activated(("1442",)),
            _report(2, "1442", needs=[_need("gen-1")]),
            _report(3, "1442", needs=[]),
        ]
    )
    assert picture["needs"] == {}
    assert picture["organisations"]["1442"]["open_needs"] == 0


def test_reopened_need_is_open_since_the_report_that_reopened_it() -> None:
    reopening = _report(4, "1442", needs=[_need("gen-1")])
    picture = rebuild(
        [
            _activated(("1442",)),
            _report(2, "1442", needs=[_need("gen-1")]),
            _report(3, "1442", needs=[_need("gen-1", status="resolved")]),
            reopening,
        ]
    )
    assert picture["needs"]["1442/gen-1"]["since"] == reopening["data"]["report"]["received_at"]


def test_needs_of_different_organisations_do_not_collide() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442")),
            _report(2, "1440", needs=[_need("gen-1")]),
            _report(3, "1442", needs=[_need("gen-1")]),
            _report(4, "1442", needs=[]),
        ]
    )
    assert set(picture["needs"]) == {"1440/gen-1"}


# --- participants and incident changes ---------------------------------------------------


def test_removed_participant_leaves_counts_and_needs() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442"), due_at=_iso(2)),
            _report(
                2, "1442", sectors={"energy": "critical"}, needs=[_need("gen-1")], due_at=_iso(2)
            ),
            _report(3, "1440", sectors={"energy": "none"}, needs=[_need("gen-1")], due_at=_iso(2)),
            _updated(4, removed=["1442"]),
        ]
    )
    assert set(picture["organisations"]) == {"1440"}
    assert set(picture["needs"]) == {"1440/gen-1"}
    assert picture["sectors"]["energy"]["critical"] == 0
    assert picture["sectors"]["energy"]["worst"] == "none"
    assert sum(picture["sectors"]["water"][level] for level in IMPACTS) == 1
    assert picture["trend"]["stable"] == 1
    assert picture["reporting"]["expected"] == 1
    assert picture["reporting"]["received"] == 1


def test_added_participant_starts_as_never_reported() -> None:
    picture = rebuild([_activated(("1442",)), _updated(2, added=["1489"])])
    assert picture["organisations"]["1489"]["impact"] == "unknown"
    assert picture["organisations"]["1489"]["name"] == "Alingsås"
    assert picture["sectors"]["energy"]["unknown"] == 2
    assert picture["reporting"]["expected"] == 2


def test_adding_a_present_participant_keeps_its_report() -> None:
    picture = rebuild(
        [
            _activated(("1442",)),
            _report(2, "1442", sectors={"energy": "serious"}),
            _updated(3, added=["1442"]),
        ]
    )
    assert picture["organisations"]["1442"]["impact"] == "serious"
    assert picture["reporting"]["expected"] == 1


def test_incident_update_changes_only_the_changeable_fields() -> None:
    schedule = {"kind": "daily", "times": ["08:00", "20:00"], "timezone": "Europe/Stockholm"}
    picture = rebuild(
        [
            _activated(),
            _updated(
                2,
                changes={
                    "title": "Storm Ylva, day 2",
                    "schedule": schedule,
                    "description": None,
                    "status": "closed",
                },
            ),
        ]
    )
    assert picture["incident"]["title"] == "Storm Ylva, day 2"
    assert picture["incident"]["schedule"] == schedule
    assert picture["incident"]["status"] == "active"
    assert picture["incident"]["severity"] == "high"
    assert picture["incident"]["description"] == "Fallen trees over power lines"


# --- deadlines and received --------------------------------------------------------------


def test_received_counts_reports_for_current_deadline() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442", "1489"), due_at=_iso(2)),
            _report(2, "1440", due_at=_iso(2)),
            _report(3, "1442", due_at=_iso(6)),
            _report(4, "1489", due_at=None),
        ]
    )
    assert picture["reporting"]["due_at"] == _iso(6)
    assert picture["reporting"]["received"] == 1
    assert picture["reporting"]["expected"] == 3


def test_later_deadline_counts_received_again() -> None:
    events = [
        _activated(("1440", "1442"), due_at=_iso(2)),
        _report(2, "1440", due_at=_iso(2)),
        _report(3, "1442", due_at=_iso(2)),
    ]
    assert rebuild(events)["reporting"]["received"] == 2
    later = rebuild([*events, _updated(4, due_at=_iso(6))])
    assert later["reporting"]["due_at"] == _iso(6)
    assert later["reporting"]["received"] == 0


def test_earlier_deadline_does_not_replace_the_current_one() -> None:
    picture = rebuild([_activated(due_at=_iso(6)), _updated(2, due_at=_iso(2))])
    assert picture["reporting"]["due_at"] == _iso(6)


def test_deadlines_compare_as_instants_not_as_strings() -> None:
    # 13:00+01:00 is 12:00 UTC, earlier than 12:30+00:00 though it sorts later as text.
    first = _iso(0, offset_hours=1)
    second = _iso(0.5, offset_hours=0)
    assert first > second
    picture = rebuild([_activated(due_at=second), _updated(2, due_at=first)])
    assert picture["reporting"]["due_at"] == second
    same_instant = rebuild(
        [
            _activated(("1442",), due_at=_iso(2, offset_hours=0)),
            _report(2, "1442", due_at=_iso(2, offset_hours=1)),
        ]
    )
    assert same_instant["reporting"]["due_at"] == _iso(2, offset_hours=0)
    assert same_instant["reporting"]["received"] == 1


def test_without_deadline_any_report_counts_as_received() -> None:
    picture = rebuild([_activated(("1440", "1442")), _report(2, "1442")])
    assert picture["reporting"]["received"] == 1


# --- closing, unknown kinds, order -------------------------------------------------------


def test_closing_marks_status_and_drops_due_at() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442"), due_at=_iso(6)),
            _report(2, "1442", due_at=_iso(2)),
            _closed(3),
        ]
    )
    assert picture["incident"]["status"] == "closed"
    assert picture["incident"]["closed_at"] == _iso(9)
    assert picture["incident"]["closed_by"] == "LST-14"
    assert "due_at" not in picture["reporting"]
    assert picture["reporting"]["received"] == 1
    assert picture["seq"] == 3


def test_closed_incident_takes_no_new_deadline() -> None:
    picture = rebuild([_activated(due_at=_iso(2)), _closed(2), _updated(3, due_at=_iso(6))])
    assert "due_at" not in picture["reporting"]


def test_unknown_event_kind_only_advances_seq() -> None:
    before = rebuild([_activated(("1442",), due_at=_iso(2)), _report(2, "1442")])
    after, patch = apply(before, _unknown(3))
    assert patch == {"seq": 3}
    assert after == {**before, "seq": 3}


# --- rounds ------------------------------------------------------------------------------


def test_round_closed_lists_the_overdue_and_names_the_next_deadline() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442", "1489"), due_at=_iso(2)),
            _report(2, "1442", due_at=_iso(2)),
            _round_closed(3, due_at=_iso(2), overdue=["1440", "1489"], next_due_at=_iso(6)),
        ]
    )
    assert picture["reporting"]["overdue"] == ["1440", "1489"]
    assert picture["reporting"]["due_at"] == _iso(6)
    assert picture["reporting"]["received"] == 0  # nobody has reported for 6 hours yet
    assert picture["organisations"]["1440"]["overdue"] is True
    assert picture["organisations"]["1442"]["overdue"] is False


def test_any_report_after_the_round_takes_its_sender_off_the_overdue_list() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442"), due_at=_iso(2)),
            _round_closed(2, due_at=_iso(0), overdue=["1440", "1442"], next_due_at=_iso(6)),
            _report(3, "1440", due_at=_iso(0)),  # late, for the closed round
        ]
    )
    assert picture["reporting"]["overdue"] == ["1442"]
    assert picture["organisations"]["1440"]["overdue"] is False
    assert picture["organisations"]["1442"]["overdue"] is True


def test_round_closed_after_reports_received_later_leaves_their_senders_out() -> None:
    # A round caught up late: 1442 reported (after the deadline) before the round closed.
    picture = rebuild(
        [
            _activated(("1440", "1442"), due_at=_iso(0)),
            _report(2, "1442", due_at=_iso(6)),
            _round_closed(3, due_at=_iso(0), overdue=["1440", "1442"], next_due_at=_iso(6)),
        ]
    )
    assert picture["reporting"]["overdue"] == ["1440"]


def test_next_round_replaces_the_overdue_list() -> None:
    picture = rebuild(
        [
            _activated(("1440", "1442"), due_at=_iso(0)),
            _round_closed(2, due_at=_iso(0), overdue=["1440", "1442"], next_due_at=_iso(0.1)),
            _round_closed(3, due_at=_iso(0.1), overdue=["1442"], next_due_at=_iso(6), n=2),
        ]
    )
    assert picture["reporting"]["overdue"] == ["1442"]
    assert picture["organisations"]["1440"]["overdue"] is False


def test_round_closed_with_unreadable_data_only_advances_seq() -> None:
    before = rebuild([_activated(("1442",), due_at=_iso(2))])
    for data in (
        {"overdue": ["1442"]},
        {"due_at": "soon", "overdue": []},
        {"due_at": _iso(2)},
        {"due_at": _iso(2), "overdue": "1442"},
    ):
        after, patch = apply(before, _envelope(2, "round.closed", data))
        assert patch == {"seq": 2}
        assert after == {**before, "seq": 2}


def test_events_before_activation_only_advance_seq() -> None:
    picture, patch = apply(empty_picture(), _report(1, "1442"))
    assert patch == {"seq": 1}
    picture, patch = apply(picture, _updated(2, added=["1442"], due_at=_iso(2)))
    assert patch == {"seq": 2}
    assert picture == {**empty_picture(), "seq": 2}


# --- purity and patches ------------------------------------------------------------------


def _busy_log() -> list[Event]:
    return [
        _activated(("1440", "1442", "1489"), due_at=_iso(2)),
        _report(2, "1442", sectors={"energy": "serious"}, needs=[_need("gen-1")], due_at=_iso(2)),
        _report(3, "1440", sectors={"water": "critical"}, trend="worsening", due_at=_iso(2)),
        _updated(4, added=["1401"], removed=["1489"], changes={"severity": "very_high"}),
        _report(5, "1442", needs=[_need("gen-1", status="resolved")], due_at=_iso(6)),
        _unknown(6),
        _round_closed(7, due_at=_iso(2), overdue=["1401"], next_due_at=_iso(6)),
        _closed(8),
    ]


def test_apply_does_not_mutate_its_input() -> None:
    picture = empty_picture()
    for event in _busy_log():
        picture_before, event_before = copy.deepcopy(picture), copy.deepcopy(event)
        new, _ = apply(picture, event)
        assert picture == picture_before
        assert event == event_before
        picture = new


def test_untouched_organisations_are_shared_between_pictures() -> None:
    before = rebuild(_busy_log()[:3])
    after, patch = apply(before, _report(4, "1442", sectors={"energy": "critical"}))
    assert after["organisations"]["1440"] is before["organisations"]["1440"]
    assert after["organisations"]["1489"] is before["organisations"]["1489"]
    assert after["needs"] is not before["needs"]
    assert set(patch["organisations"]) == {"1442"}


def test_patch_turns_each_picture_into_the_next() -> None:
    previous = empty_picture()
    for picture, patch in _fold(_busy_log()):
        assert merge(previous, patch) == picture
        previous = picture


def test_picture_never_holds_null() -> None:
    for picture, _ in _fold(_busy_log()):
        assert list(_nulls(picture)) == []


def test_picture_is_plain_json() -> None:
    picture = rebuild(_busy_log())
    assert json.loads(json.dumps(picture)) == picture


def test_new_picture_carries_the_event_seq() -> None:
    assert [picture["seq"] for picture, _ in _fold(_busy_log())] == [1, 2, 3, 4, 5, 6, 7, 8]


# --- properties against an independent reference ---------------------------------------


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@dataclass
class _Reference:
    """A deliberately naive model of the picture: remember the latest reports, count later."""

    activated: bool = False
    closed: bool = False
    participants: dict[str, str] = field(default_factory=dict)
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)
    since: dict[str, str] = field(default_factory=dict)
    due_at: str | None = None
    overdue: list[str] = field(default_factory=list)

    def take(self, event: Event) -> None:
        kind, data = event["kind"], event["data"]
        if kind == "incident.activated":
            self.activated, self.closed, self.due_at = True, False, None
            self.participants = {p["code"]: p["name"] for p in data["participants"]}
            self.latest, self.since, self.overdue = {}, {}, []
            self.name_deadline(data["due_at"])
        elif not self.activated:
            return
        elif kind == "incident.updated":
            for code in data["participants_removed"]:
                self.participants.pop(code, None)
                self.latest.pop(code, None)
                self.overdue = [other for other in self.overdue if other != code]
                self.since = {k: v for k, v in self.since.items() if not k.startswith(code + "/")}
            for participant in data["participants_added"]:
                self.participants.setdefault(participant["code"], participant["name"])
            self.name_deadline(data["due_at"])
        elif kind == "report.submitted":
            self.take_report(data["report"])
        elif kind == "incident.closed":
            self.closed = True
            self.due_at = None
        elif kind == "round.closed":
            self.overdue = []
            for code in data["overdue"]:
                latest = self.latest.get(code)
                since = latest is not None and _instant(latest["received_at"]) > _instant(
                    data["due_at"]
                )
                if code in self.participants and not since and code not in self.overdue:
                    self.overdue.append(code)
            self.name_deadline(data["next_due_at"])

    def take_report(self, report: dict[str, Any]) -> None:
        code = report["organisation"]
        if code not in self.participants:
            return
        still_open = {}
        for need in report["needs"]:
            key = f"{code}/{need['need_id']}"
            if need["status"] == "open":
                still_open[key] = self.since.get(key, report["received_at"])
        self.since = {k: v for k, v in self.since.items() if not k.startswith(code + "/")}
        self.since.update(still_open)
        self.latest[code] = report
        self.overdue = [other for other in self.overdue if other != code]
        self.name_deadline(report["due_at"])

    def name_deadline(self, due_at: str | None) -> None:
        if due_at is None or self.closed:
            return
        if self.due_at is None or _instant(due_at) > _instant(self.due_at):
            self.due_at = due_at

    def level(self, code: str, sector: str) -> str:
        report = self.latest.get(code)
        if report is None:
            return "unknown"
        for entry in report["sectors"]:
            if entry["sector"] == sector:
                return str(entry["status"])
        return "unknown"

    def trend_of(self, code: str) -> str:
        report = self.latest.get(code)
        return "unknown" if report is None else str(report["development"]["trend"])

    def received(self, code: str) -> bool:
        report = self.latest.get(code)
        if report is None:
            return False
        if self.due_at is None:
            return True
        return report["due_at"] is not None and _instant(report["due_at"]) >= _instant(self.due_at)


def _worst_of(levels: list[str]) -> str:
    worst = "unknown"
    for level in IMPACT_SCALE:
        if level in levels:
            worst = level
    return worst


def _expected_sectors(ref: _Reference) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for sector in SECTORS:
        counts: dict[str, Any] = _zeros(IMPACTS)
        for code in ref.participants:
            counts[ref.level(code, sector)] += 1
        counts["worst"] = _worst_of([ref.level(code, sector) for code in ref.participants])
        result[sector] = counts
    return result


def _expected_trend(ref: _Reference) -> dict[str, int]:
    counts = _zeros(TRENDS)
    for code in ref.participants:
        counts[ref.trend_of(code)] += 1
    return counts


def _expected_needs(ref: _Reference) -> dict[str, Any]:
    needs = {}
    for code, report in ref.latest.items():
        for need in report["needs"]:
            if need["status"] == "open":
                key = f"{code}/{need['need_id']}"
                needs[key] = {
                    "organisation": code,
                    "text": need["text"],
                    "urgency": need["urgency"],
                    "since": ref.since[key],
                }
    return needs


def _expected_reporting(ref: _Reference) -> dict[str, Any]:
    reporting: dict[str, Any] = {
        "expected": len(ref.participants),
        "received": sum(1 for code in ref.participants if ref.received(code)),
        "overdue": ref.overdue,
    }
    if ref.due_at is not None:
        reporting["due_at"] = ref.due_at
    return reporting


def _assert_matches_reference(picture: Picture, ref: _Reference) -> None:
    assert set(picture["organisations"]) == set(ref.participants)
    for code, entry in picture["organisations"].items():
        levels = [ref.level(code, sector) for sector in SECTORS]
        assert entry["name"] == ref.participants[code]
        assert entry["impact"] == _worst_of(levels)
        assert entry["trend"] == ref.trend_of(code)
        assert entry["open_needs"] == sum(1 for key in ref.since if key.startswith(code + "/"))
        assert entry["overdue"] == (code in ref.overdue)
        latest = ref.latest.get(code)
        assert entry.get("report_id") == (None if latest is None else latest["report_id"])
    assert picture["sectors"] == _expected_sectors(ref)
    assert picture["trend"] == _expected_trend(ref)
    assert picture["needs"] == _expected_needs(ref)
    assert picture["reporting"] == _expected_reporting(ref)
    assert picture["incident"]["status"] == ("closed" if ref.closed else "active")


CODES = tuple(NAMES)
SECTOR_NAMES: tuple[str, ...] = SECTORS
LEVELS: tuple[str, ...] = IMPACTS
NEED_IDS = ("gen-1", "water-2", "staff-3")
URGENCIES = ("low", "medium", "high", "critical")
_TIMES = st.builds(_iso, st.integers(0, 8), st.sampled_from([0, 1, 2, -5]))


@st.composite
def _report_events(draw: st.DrawFn, seq: int) -> Event:
    sectors = draw(st.dictionaries(st.sampled_from(SECTOR_NAMES), st.sampled_from(LEVELS)))
    needs = draw(
        st.lists(
            st.builds(
                _need,
                st.sampled_from(NEED_IDS),
                st.sampled_from(["open", "resolved"]),
                st.sampled_from(URGENCIES),
                st.sampled_from(["Generators", "Drinking water"]),
            ),
            unique_by=lambda need: need["need_id"],
            max_size=3,
        )
    )
    return _report(
        seq,
        draw(st.sampled_from(CODES)),
        sectors=sectors,
        trend=draw(st.sampled_from(TRENDS)),
        needs=needs,
        due_at=draw(st.none() | _TIMES),
        management=draw(st.none() | st.sampled_from(["staff", "crisis_board"])),
    )


@st.composite
def _update_events(draw: st.DrawFn, seq: int) -> Event:
    return _updated(
        seq,
        changes=draw(st.sampled_from([{}, {"severity": "very_high"}, {"title": "Ylva II"}])),
        added=draw(st.lists(st.sampled_from(CODES), unique=True, max_size=2)),
        removed=draw(st.lists(st.sampled_from(CODES), unique=True, max_size=2)),
        due_at=draw(st.none() | _TIMES),
    )


@st.composite
def _round_events(draw: st.DrawFn, seq: int) -> Event:
    return _round_closed(
        seq,
        due_at=draw(_TIMES),
        overdue=draw(st.lists(st.sampled_from(CODES), max_size=4)),
        next_due_at=draw(st.none() | _TIMES),
    )


@st.composite
def _logs(draw: st.DrawFn) -> list[Event]:
    """Activation, then a random mix of reports, updates and unknown kinds, maybe a close."""
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, min_size=1))
    events = [_activated(codes, due_at=draw(st.none() | _TIMES))]
    for _ in range(draw(st.integers(0, 25))):
        seq = len(events) + 1
        kind = draw(st.sampled_from(["report", "report", "report", "update", "round", "unknown"]))
        if kind == "report":
            events.append(draw(_report_events(seq)))
        elif kind == "round":
            events.append(draw(_round_events(seq)))
        elif kind == "update":
            events.append(draw(_update_events(seq)))
        else:
            events.append(_unknown(seq))
    if draw(st.booleans()):
        events.append(_closed(len(events) + 1))
    return events


@settings(max_examples=150, deadline=None)
@given(events=_logs())
def test_fold_matches_rebuild_and_an_independent_reference(events: list[Event]) -> None:
    ref = _Reference()
    for index, (picture, _) in enumerate(_fold(events)):
        ref.take(events[index])
        _assert_matches_reference(picture, ref)
        assert picture["seq"] == events[index]["seq"]
    assert picture == rebuild(events)


@settings(max_examples=150, deadline=None)
@given(events=_logs())
def test_every_patch_turns_the_old_picture_into_the_new(events: list[Event]) -> None:
    previous = empty_picture()
    for event in events:
        before = copy.deepcopy(previous)
        picture, patch = apply(previous, event)
        assert previous == before, "apply mutated its input"
        assert merge(previous, patch) == picture
        assert json.loads(json.dumps(merge(before, patch))) == picture
        assert list(_nulls(picture)) == []
        assert patch["seq"] == event["seq"]
        previous = picture
