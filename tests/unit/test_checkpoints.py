"""Checkpoints of the picture: where they fall, and that folding on from one is the fold
of the whole log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.picture.checkpoints import fold_after, is_checkpoint
from service.picture.fold import rebuild
from tests.unit.incident_support import events, incident, stored_report

CODES = ["1440", "1441", "1442"]
LEVELS = ["none", "moderate", "significant", "serious", "critical", "unknown"]


def log() -> list[dict[str, Any]]:
    reports = [
        stored_report(
            CODES[n % 3],
            {"energy": LEVELS[n % 6], "water": LEVELS[(n * 5) % 6]},
            needs=[
                {"need_id": f"n{n % 4}", "text": "Vatten", "status": ["open", "resolved"][n % 2]}
            ],
        )
        for n in range(17)
    ]
    made = events(incident(CODES), reports)
    made[9] = {  # a closed round in the middle, as the rounds job writes it
        **made[9],
        "kind": "round.closed",
        "actor": "system",
        "data": {"n": 1, "due_at": made[9]["at"], "overdue": ["1441"], "next_due_at": None},
    }
    return made


def test_a_checkpoint_falls_on_every_nth_seq_and_on_each_closed_round() -> None:
    kept = [event["seq"] for event in log() if is_checkpoint(event, 4)]
    assert kept == [4, 8, 10, 12, 16]


@pytest.mark.parametrize("start_at", [0, 1, 4, 9, 10, 17])
def test_folding_on_from_any_checkpoint_gives_the_fold_of_the_whole_log(start_at: int) -> None:
    whole = log()
    # As stored: a checkpoint comes back from the database as JSON.
    start = json.loads(json.dumps(rebuild(whole[:start_at]))) if start_at else None
    picture, crossed = fold_after(start, whole[start_at:], 4)
    assert picture == rebuild(whole)
    assert [p["seq"] for p in crossed] == [s for s in (4, 8, 10, 12, 16) if s > start_at]
    for kept in crossed:
        assert kept == rebuild(whole[: kept["seq"]])
