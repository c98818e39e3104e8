"""The journal in the picture: a count, and the significant entries newest first."""

from __future__ import annotations

from typing import Any

from service.picture.fold import apply, rebuild

ACTIVATED = {
    "seq": 1,
    "kind": "incident.activated",
    "at": "2026-11-22T12:00:00+00:00",
    "actor": "LST-14",
    "data": {
        "incident": {
            "id": "5b0e8c52-3f0e-4f57-9d55-2a1c1c7e9a10",
            "title": "Storm",
            "county": "14",
        },
        "participants": [{"code": "1442", "name": "Vårgårda"}],
        "due_at": None,
    },
}


def entry(number: int, *, significant: bool = False, **data: Any) -> dict[str, Any]:
    return {
        "seq": number + 1,
        "kind": "journal.entry",
        "at": "2026-11-22T12:30:00+00:00",
        "actor": "LST-14",
        "data": {
            "number": number,
            "at": "2026-11-22T12:30:00+00:00",
            "author": "TiB",
            "organisation": "LST-14",
            "category": "event",
            "text": f"Anteckning {number}",
            "decided_by": None,
            "significant": significant,
            "corrects": None,
            **data,
        },
    }


def test_before_any_entry_the_picture_has_no_journal() -> None:
    assert "journal" not in rebuild([ACTIVATED])


def test_significant_entries_are_kept_newest_first_at_most_twenty() -> None:
    log = [ACTIVATED, *(entry(n, significant=n % 2 == 0) for n in range(1, 51))]
    journal = rebuild(log)["journal"]
    assert journal["count"] == 50
    assert [e["number"] for e in journal["significant"]] == list(range(50, 10, -2))
    assert journal["significant"][0] == {
        "number": 50,
        "at": "2026-11-22T12:30:00+00:00",
        "author": "TiB",
        "organisation": "LST-14",
        "category": "event",
        "text": "Anteckning 50",
        "significant": True,
    }


def test_an_entry_that_is_not_significant_patches_only_the_count() -> None:
    picture = rebuild([ACTIVATED, entry(1, significant=True)])
    _, patch = apply(picture, entry(2))
    assert patch == {"seq": 3, "journal": {"count": 2}}


def test_an_entry_the_fold_cannot_read_changes_only_seq() -> None:
    picture = rebuild([ACTIVATED, entry(1)])
    odd = entry(2)
    odd["data"]["number"] = "two"
    _, patch = apply(picture, odd)
    assert patch == {"seq": 3}


def test_a_correction_marks_the_significant_entry_it_corrects() -> None:
    picture = rebuild([ACTIVATED, entry(1, significant=True), entry(2, corrects=1)])
    (first,) = picture["journal"]["significant"]
    assert first["corrected_by"] == [2]
    assert first["text"] == "Anteckning 1"
