"""The summary's pure rules: the fold of `summary.published`, the prefill, blank sections
and requests tracked across summaries."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.summary import PublishedSummary, SummaryContent
from service.domain import summaries
from service.errors import PreconditionFailed, PreconditionRequired, ValidationFailed
from service.picture.fold import apply, rebuild

ACTIVATED = {
    "seq": 1,
    "kind": "incident.activated",
    "at": "2026-11-22T12:00:00Z",
    "actor": "LST-14",
    "data": {
        "incident": {"id": "i", "title": "Storm", "county": "14", "owner": "LST-14"},
        "participants": [{"code": "1442", "name": "Vårgårda"}],
        "due_at": None,
    },
}


def published_event(seq: int, number: int, corrects: int | None = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": "summary.published",
        "at": "2026-11-22T13:00:00Z",
        "actor": "LST-14",
        "data": {
            "number": number,
            "published_at": "2026-11-22T13:00:00Z",
            "published_by": "Anna",
            "picture_seq": seq - 1,
            "corrects": corrects,
            "summary": {
                "requests": [
                    {
                        "id": "gen",
                        "text": "Reservkraft",
                        "urgency": "high",
                        "status": "open",
                        "since": 1,
                    }
                ]
            },
        },
    }


def test_the_fold_keeps_the_latest_published_summary_without_nulls() -> None:
    picture = rebuild([ACTIVATED, published_event(2, 1)])
    assert picture["summary"] == {
        "number": 1,
        "published_at": "2026-11-22T13:00:00Z",
        "published_by": "Anna",
        "picture_seq": 1,
        "requests": [{"id": "gen", "text": "Reservkraft", "urgency": "high", "status": "open"}],
    }
    later, patch = apply(picture, published_event(3, 2, corrects=1))
    assert later["summary"]["number"] == 2
    assert later["summary"]["corrects"] == 1
    assert patch["summary"]["number"] == 2


def test_the_fold_ignores_a_summary_it_cannot_read() -> None:
    picture = rebuild([ACTIVATED])
    broken = published_event(2, 1)
    broken["data"]["number"] = "one"
    after, _ = apply(picture, broken)
    assert "summary" not in after
    assert after["seq"] == 2


def test_prefill_takes_the_pictures_worst_level_unless_overridden() -> None:
    picture = {"sectors": {"energy": {"worst": "serious"}, "water": {"worst": "unknown"}}}
    content = SummaryContent.model_validate(
        {"sectors": [{"sector": "water", "level": "critical", "reason": "Verket stängt"}]}
    )
    views = {view.sector: view for view in summaries.resolved_sectors(content, picture)}
    assert views["energy"].level == "serious"
    assert not views["energy"].overridden
    assert views["water"].level == "critical"
    assert views["water"].picture_level == "unknown"
    assert len(views) == 7


def test_an_override_without_reason_is_refused() -> None:
    content = SummaryContent.model_validate({"sectors": [{"sector": "food", "level": "none"}]})
    with pytest.raises(ValidationFailed):
        summaries.checked_content(content, {"sectors": {}})


def test_blank_sections_are_named() -> None:
    content = SummaryContent.model_validate({"assessment": "A", "measures_taken": ["B"]})
    assert summaries.blank_sections(content) == [
        "development",
        "measures_planned",
        "requests",
        "other",
    ]


def test_if_match_rules() -> None:
    with pytest.raises(PreconditionRequired):
        summaries.check_version(None, 0)
    with pytest.raises(PreconditionFailed):
        summaries.check_version('"1"', 2)
    summaries.check_version('W/"2"', 2)
    summaries.check_version('"1", "2"', 2)


def test_requests_keep_the_number_they_first_appeared_in() -> None:
    previous = PublishedSummary.model_validate(
        {
            "incident": {
                "id": "6f1c1b8e-5a43-4d0e-9a53-2c1f0e7d4b61",
                "title": "S",
                "county": "14",
                "owner": "LST-14",
                "owner_name": "L",
                "exercise": False,
                "activated_at": "2026-11-22T08:00:00Z",
            },
            "number": 3,
            "published_at": "2026-11-22T13:00:00Z",
            "published_by": "A",
            "picture_seq": 1,
            "corrects": None,
            "assessment": "",
            "sectors": [],
            "development": {"trend": "unknown", "text": ""},
            "measures_taken": [],
            "measures_planned": [],
            "other": "",
            "requests": [
                {"id": "gen", "text": "R", "urgency": "high", "status": "open", "since": 2}
            ],
            "reporting": {"expected": 1, "received": 1, "overdue": 0},
        }
    )
    content = SummaryContent.model_validate(
        {"requests": [{"id": "gen", "text": "R"}, {"id": "new", "text": "N"}]}
    )
    tracked = summaries.tracked_requests(content, previous, 4)
    assert [(r.id, r.since) for r in tracked] == [("gen", 2), ("new", 4)]
