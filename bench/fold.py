"""Fold: the pure picture fold (`service.picture.fold`), its speed and memory, no database.

A national incident with all 290 municipalities as participants, then 10,000 random
report events (seeded, so every run folds the same log). Events are made through the
wire model (`StoredReport`), so they have exactly the shape the log holds.

- per event: `apply(picture, event)` against the baseline `json.loads(json.dumps(event))`,
  the cost of merely copying the event once;
- the whole log: `rebuild(events)` against copying every event that way;
- memory: what the final picture keeps alive (tracemalloc, during `rebuild`) and the
  peak while folding, against the picture's size as compact UTF-8 JSON and against a
  plain `json.loads` copy of it;
- the stream: the mean size of the merge patch each event produces, against the event.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.common import (
    BOARD,
    DAILY,
    kib,
    municipalities,
    print_table,
    random_uuid,
    ratio,
    report_content,
    summarise,
    us,
)
from schemas.report import StoredReport
from service.clock import iso
from service.picture.fold import Picture, apply, rebuild

EVENTS = 10_000
QUICK_EVENTS = 10_000  # the fold takes seconds; --quick keeps the full log
REPEATS = 3
QUICK_REPEATS = 1
SEED = 290
T0 = datetime.fromisoformat("2026-11-22T13:00:00+01:00")
ROUND = timedelta(hours=6)


def deadline_after(moment: datetime) -> datetime:
    """The first deadline at or after `moment`: every six hours from T0."""
    rounds = -(-(moment - T0) // ROUND)  # ceiling division
    return T0 + rounds * ROUND


def activation(participants: list[tuple[str, str]], incident_id: str) -> dict[str, Any]:
    return {
        "seq": 1,
        "kind": "incident.activated",
        "at": iso(T0),
        "actor": BOARD,
        "data": {
            "incident": {
                "id": incident_id,
                "title": "Nationell elbrist (benchmark)",
                "description": "Roterande frånkoppling i hela landet",
                "county": "14",
                "owner": BOARD,
                "severity": "very_high",
                "exercise": True,
                "status": "active",
                "schedule": DAILY,
                "activated_at": iso(T0),
            },
            "participants": [{"code": code, "name": name} for code, name in participants],
            "due_at": iso(deadline_after(T0)),
        },
    }


def report_events(
    rng: random.Random, codes: list[str], incident_id: str, count: int
) -> list[dict[str, Any]]:
    """`count` report.submitted events from random participants, seq 2, 3, …"""
    latest: dict[str, tuple[int, str]] = {}  # code → (version, report_id)
    moment = T0
    made: list[dict[str, Any]] = []
    for number in range(count):
        moment += timedelta(seconds=rng.randint(1, 40))
        code = rng.choice(codes)
        version, previous = latest.get(code, (0, None))
        report_id = random_uuid(rng)
        due_at = deadline_after(moment)
        report = StoredReport.model_validate(
            {
                **report_content(rng),
                "report_id": report_id,
                "incident_id": incident_id,
                "organisation": code,
                "version": version + 1,
                "as_of": moment - timedelta(minutes=rng.randint(0, 30)),
                "received_at": moment,
                "submitted_by": f"rapportör {code}",
                "supersedes": previous,
                "unchanged": False,
                "late": False,
                "due_at": due_at,
            }
        ).model_dump(mode="json")
        latest[code] = (version + 1, report_id)
        made.append(
            {
                "seq": number + 2,
                "kind": "report.submitted",
                "at": iso(moment),
                "actor": code,
                "data": {"report": report},
            }
        )
    return made


def copy(value: Any) -> Any:
    """The baseline: copying a value once through JSON."""
    return json.loads(json.dumps(value))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def timed_apply(start: Picture, events: list[dict[str, Any]]) -> tuple[list[float], list[int]]:
    """Seconds per `apply`, and the size of each patch as JSON."""
    picture = start
    times: list[float] = []
    patches: list[dict[str, Any]] = []
    for event in events:
        began = time.perf_counter()
        picture, patch = apply(picture, event)
        times.append(time.perf_counter() - began)
        patches.append(patch)
    return times, [len(dumps(patch).encode()) for patch in patches]


def timed_copy(events: list[dict[str, Any]]) -> list[float]:
    times: list[float] = []
    for event in events:
        began = time.perf_counter()
        copy(event)
        times.append(time.perf_counter() - began)
    return times


def best_total(work: Callable[[], object], repeats: int) -> float:
    """The median wall time of `repeats` runs of `work`."""
    totals: list[float] = []
    for _ in range(repeats):
        gc.collect()
        began = time.perf_counter()
        work()
        totals.append(time.perf_counter() - began)
    return statistics.median(totals)


def traced(work: Callable[[], Any]) -> tuple[Any, int, int]:
    """`work()`, the bytes its result keeps alive, and the peak bytes while it ran."""
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, kept, peak


def run(*, quick: bool) -> None:
    count = QUICK_EVENTS if quick else EVENTS
    repeats = QUICK_REPEATS if quick else REPEATS
    participants = municipalities()
    if len(participants) != 290:
        raise SystemExit(f"expected 290 municipalities, found {len(participants)}")
    rng = random.Random(SEED)
    incident_id = random_uuid(rng)
    first = activation(participants, incident_id)
    events = report_events(rng, [code for code, _name in participants], incident_id, count)
    log = [first, *events]
    print(f"\n## fold: 1 activation with 290 participants, {count} report events")

    start = rebuild([first])
    apply_times, patch_sizes = timed_apply(start, events)
    copy_times = timed_copy(events)
    event_sizes = [len(dumps(event).encode()) for event in events]
    rebuild_total = best_total(lambda: rebuild(log), repeats)
    copy_total = best_total(lambda: [copy(event) for event in log], repeats)

    # Memory: fold events decoded one at a time from their JSON, as the hub folds rows read
    # from the database, so that the strings the picture keeps count as the picture's and
    # the peak is the fold's own (not the whole log held at once).
    texts = [dumps(event) for event in log]
    picture, kept, peak = traced(lambda: rebuild(json.loads(text) for text in texts))
    as_json = dumps(picture).encode()
    copied, copy_kept, _copy_peak = traced(lambda: json.loads(as_json))
    if copy(picture) != copied:
        raise SystemExit("the picture does not survive a JSON round trip")
    if picture["seq"] != count + 1 or picture["reporting"]["expected"] != len(participants):
        raise SystemExit(f"the fold ended at seq {picture['seq']}, not {count + 1}")

    applied, copied_event = summarise(apply_times), summarise(copy_times)
    rows = [
        [
            "per event p50",
            us(applied.p50),
            us(copied_event.p50),
            ratio(applied.p50, copied_event.p50),
        ],
        [
            "per event p99",
            us(applied.p99),
            us(copied_event.p99),
            ratio(applied.p99, copied_event.p99),
        ],
        [
            "per event mean",
            us(applied.mean),
            us(copied_event.mean),
            ratio(applied.mean, copied_event.mean),
        ],
        [
            f"whole log ({len(log)} events)",
            f"{rebuild_total * 1000:.0f} ms",
            f"{copy_total * 1000:.0f} ms",
            ratio(rebuild_total, copy_total),
        ],
        ["picture kept (vs JSON size)", kib(kept), kib(len(as_json)), ratio(kept, len(as_json))],
        ["picture kept (vs json.loads copy)", kib(kept), kib(copy_kept), ratio(kept, copy_kept)],
        [
            "peak while folding (vs JSON size)",
            kib(peak),
            kib(len(as_json)),
            ratio(peak, len(as_json)),
        ],
        [
            "patch size, mean (vs event size)",
            f"{statistics.mean(patch_sizes):.0f} B",
            f"{statistics.mean(event_sizes):.0f} B",
            ratio(statistics.mean(patch_sizes), statistics.mean(event_sizes)),
        ],
    ]
    print_table(
        f"fold, 290 participants, {count} reports (baseline: copy the event via JSON)",
        ["figure", "Lägesbild", "baseline", "×"],
        rows,
    )
