"""The national roll-up, pure: entries from pictures, counties, exercises apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.common import IMPACTS, SECTORS
from service.national.rollup import age_minutes, entry, rollup, updated, with_ages
from service.picture.merge_patch import diff, merge


def picture(
    incident_id: str,
    *,
    county: str = "14",
    exercise: bool = False,
    status: str = "active",
    worst: dict[str, str] | None = None,
    expected: int = 3,
    received: int = 1,
    overdue: int = 0,
    needs: int = 0,
    summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "incident": {
            "id": incident_id,
            "title": f"Händelse {incident_id}",
            "county": county,
            "owner": f"LST-{county}",
            "severity": "high",
            "exercise": exercise,
            "status": status,
            "activated_at": "2026-11-22T08:00:00Z",
        },
        "seq": 5,
        "organisations": {},
        "sectors": {s: {"worst": (worst or {}).get(s, "unknown")} for s in SECTORS},
        "needs": {f"1442/n{i}": {"urgency": "high" if i == 0 else "low"} for i in range(needs)},
        "reporting": {
            "expected": expected,
            "received": received,
            "overdue": [f"14{i:02}" for i in range(overdue)],
            "due_at": "2026-11-22T13:00:00Z",
        },
    }
    if summary is not None:
        found["summary"] = summary
    return found


def _summary(number: int, at: str, *requests: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": number,
        "published_at": at,
        "published_by": "TiB",
        "picture_seq": 4,
        "corrects": None,
        "requests": list(requests),
    }


def _entries(*pictures: dict[str, Any]) -> list[dict[str, Any]]:
    found = [entry(p) for p in pictures]
    return [e for e in found if e is not None]


def test_a_county_takes_the_worst_level_of_each_sector_over_its_incidents() -> None:
    part = rollup(
        _entries(
            picture("a", worst={"energy": "serious", "water": "none"}, overdue=2, needs=1),
            picture("b", worst={"energy": "moderate", "water": "critical"}, needs=2),
            picture("c", county="13", worst={"food": "significant"}),
        )
    )["real"]
    county = part["counties"]["14"]
    assert county["sectors"]["energy"] == "serious"
    assert county["sectors"]["water"] == "critical"
    assert county["sectors"]["food"] == "unknown"
    assert county["impact"] == "critical"
    assert county["reporting"] == {"expected": 6, "received": 2, "overdue": 2}
    assert county["open_needs"] == 3
    assert county["critical_needs"] == 2
    assert part["counties"]["13"]["impact"] == "significant"
    assert part["totals"]["incidents"] == 3


def test_exercise_figures_never_reach_the_real_part() -> None:
    both = rollup(
        _entries(
            picture("real", worst={"energy": "none"}, expected=2, received=2),
            picture("drill", exercise=True, worst={"energy": "critical"}, expected=40, needs=5),
            picture("drill-13", county="13", exercise=True, worst={"care": "serious"}),
        )
    )
    assert list(both["real"]["incidents"]) == ["real"]
    assert list(both["real"]["counties"]) == ["14"]
    assert both["real"]["counties"]["14"]["sectors"]["energy"] == "none"
    assert both["real"]["totals"]["expected"] == 2
    assert both["real"]["totals"]["open_needs"] == 0
    assert sorted(both["exercise"]["incidents"]) == ["drill", "drill-13"]
    assert both["exercise"]["counties"]["14"]["sectors"]["energy"] == "critical"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["01", "13", "14"]),
            st.booleans(),
            st.sampled_from(IMPACTS),
            st.integers(0, 50),
            st.integers(0, 5),
        ),
        max_size=8,
    )
)
def test_the_real_part_is_the_same_whatever_exercises_run_beside_it(
    incidents: list[tuple[str, bool, str, int, int]],
) -> None:
    pictures = [
        picture(f"i{n}", county=c, exercise=x, worst={"energy": w}, expected=e, needs=k)
        for n, (c, x, w, e, k) in enumerate(incidents)
    ]
    only_real = [p for p in pictures if not p["incident"]["exercise"]]
    assert rollup(_entries(*pictures))["real"] == rollup(_entries(*only_real))["real"]


def test_closed_incidents_are_not_in_the_roll_up() -> None:
    assert entry(picture("a", status="closed")) is None
    assert entry({"seq": 0}) is None


def test_the_latest_summary_of_a_county_and_its_open_requests_to_national_level() -> None:
    part = rollup(
        _entries(
            picture(
                "a",
                summary=_summary(
                    3,
                    "2026-11-22T10:00:00+00:00",
                    {"id": "r1", "text": "Reservkraft", "urgency": "high", "status": "open"},
                    {"id": "r2", "text": "Klart", "urgency": "low", "status": "resolved"},
                ),
            ),
            picture("b", summary=_summary(1, "2026-11-22T11:30:00+00:00")),
            picture("c"),
        )
    )["real"]
    county = part["counties"]["14"]
    assert county["summary"] == {
        "number": 1,
        "published_at": "2026-11-22T11:30:00+00:00",
        "published_by": "TiB",
        "incident_id": "b",
    }
    assert county["requests"] == [
        {"id": "r1", "text": "Reservkraft", "urgency": "high", "incident_id": "a"}
    ]
    assert part["incidents"]["a"]["summary"]["number"] == 3
    assert "summary" not in part["incidents"]["c"]
    assert part["totals"]["requests"] == 1
    aged = with_ages(part, datetime.fromisoformat("2026-11-22T12:00:00+00:00"))
    assert aged["counties"]["14"]["summary"]["age_minutes"] == 30
    assert aged["incidents"]["a"]["summary"]["age_minutes"] == 120
    assert "age_minutes" not in part["counties"]["14"]["summary"]  # the roll-up keeps no ages


def test_a_summary_age_is_whole_minutes_and_never_negative() -> None:
    now = datetime.fromisoformat("2026-11-22T12:00:00+00:00")
    assert age_minutes("2026-11-22T11:58:59+00:00", now) == 1
    assert age_minutes("2026-11-22T12:05:00+00:00", now) == 0
    assert age_minutes("not a time", now) is None


def test_every_change_of_the_roll_up_is_a_merge_patch_without_nulls() -> None:
    before = rollup(_entries(picture("a"), picture("b", exercise=True)))
    after = rollup(_entries(picture("a", worst={"energy": "serious"}), picture("c", county="01")))
    assert merge(before, diff(before, after)) == after

    def no_nulls(value: Any) -> bool:
        if isinstance(value, dict):
            return all(v is not None and no_nulls(v) for v in value.values())
        if isinstance(value, list):
            return all(no_nulls(v) for v in value)
        return value is not None

    assert no_nulls(after)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["01", "13", "14"]),
            st.booleans(),
            st.sampled_from(IMPACTS),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_changing_one_incident_at_a_time_gives_the_roll_up_made_afresh(
    steps: list[tuple[int, str, bool, str, bool]],
) -> None:
    entries: dict[str, dict[str, Any]] = {}
    places: dict[str, tuple[str, bool]] = {}
    current = rollup(())
    for number, county, exercise, level, closed in steps:
        key = f"i{number}"
        county, exercise = places.setdefault(key, (county, exercise))
        found = entry(
            picture(
                key,
                county=county,
                exercise=exercise,
                status="closed" if closed else "active",
                worst={"water": level},
            )
        )
        if found is None:
            entries.pop(key, None)
        else:
            entries[key] = found
        current = updated(current, entries.values(), exercise=exercise, county=county)
        assert current == rollup(entries.values())
