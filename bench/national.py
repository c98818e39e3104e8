"""National: what the `national` topic adds to each event the hub folds, no database.

One active incident in each of the 21 counties, with all of that county's
municipalities as participants (290 in all), then random report events spread over
them (seeded). Per event, the hub folds the incident's picture (`fold.apply`, the
baseline: what every event costs already) and then folds the new picture into the
national roll-up (`NationalFeed.update`: the incident's entry, the roll-up of all 21,
the merge patch, the frame).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from bench.common import municipalities, print_table, random_uuid, ratio, summarise, us
from bench.fold import activation, report_events
from service.picture.fold import Picture, apply, rebuild
from service.stream.national import NationalFeed

EVENTS = 10_000
QUICK_EVENTS = 2_000
SEED = 21


def _counties() -> dict[str, list[tuple[str, str]]]:
    by_county: dict[str, list[tuple[str, str]]] = {}
    for code, name in municipalities():
        by_county.setdefault(code[:2], []).append((code, name))
    return by_county


def run(*, quick: bool) -> None:
    count = QUICK_EVENTS if quick else EVENTS
    rng = random.Random(SEED)
    pictures: dict[str, Picture] = {}
    logs: dict[str, list[dict[str, Any]]] = {}
    for county, participants in sorted(_counties().items()):
        incident_id = random_uuid(rng)
        first = activation(participants, incident_id)
        first["data"]["incident"]["county"] = county
        pictures[incident_id] = rebuild([first])
        per_incident = max(1, count // 21)
        logs[incident_id] = report_events(
            rng, [code for code, _ in participants], incident_id, per_incident
        )
    feed = NationalFeed(replay_limit=1000, start=0)
    for picture in pictures.values():
        feed.update(picture)
    order = [incident_id for incident_id, events in logs.items() for _ in events]
    rng.shuffle(order)
    cursors = dict.fromkeys(logs, 0)
    fold_times: list[float] = []
    national_times: list[float] = []
    frame_sizes: list[int] = []
    for incident_id in order:
        event = logs[incident_id][cursors[incident_id]]
        cursors[incident_id] += 1
        began = time.perf_counter()
        picture, _patch = apply(pictures[incident_id], event)
        folded = time.perf_counter()
        frame = feed.update(picture, event)
        done = time.perf_counter()
        pictures[incident_id] = picture
        fold_times.append(folded - began)
        national_times.append(done - folded)
        frame_sizes.append(len(frame.text.encode()) if frame else 0)
    print(f"\n## national: 21 incidents (290 participants), {len(order)} report events")
    folded_s, national_s = summarise(fold_times), summarise(national_times)
    rows = [
        [
            "per event p50",
            us(national_s.p50),
            us(folded_s.p50),
            ratio(national_s.p50, folded_s.p50),
        ],
        [
            "per event p99",
            us(national_s.p99),
            us(folded_s.p99),
            ratio(national_s.p99, folded_s.p99),
        ],
        [
            "per event mean",
            us(national_s.mean),
            us(folded_s.mean),
            ratio(national_s.mean, folded_s.mean),
        ],
        ["frame size, mean", f"{statistics.mean(frame_sizes):.0f} B", "", ""],
    ]
    print_table(
        "national roll-up update per event (baseline: the fold of the incident's picture)",
        ["figure", "national update", "fold.apply", "×"],
        rows,
    )
