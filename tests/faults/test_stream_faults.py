"""The stream under faults: cuts, a SIGKILLed instance, a slow consumer, a dead link, and a
crowd coming back after a restart (small versions; bench/faults.py runs them in full)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import dead_peer, reconnect_crowd, slow_consumer, stream_cuts

# Real processes started, killed and started again: more than the suite's default minute.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


async def test_a_viewer_cut_at_random_points_resumes_with_since_without_gap_or_repeat(
    dsn: str, tmp_path: Path
) -> None:
    run = await stream_cuts(dsn, tmp_path, events=200, cuts=20, seed=3)

    assert run.cuts >= 20
    # Reports are written in batches, so several cut points can fall in one read of the
    # stream and cut the same connection: at least one resume, each without gap or repeat.
    assert run.viewer.connections >= 2
    assert run.viewer.unbroken, (run.viewer.gaps, run.viewer.duplicates, run.viewer.snapshots)
    assert run.viewer.seqs == list(range(run.figures["first_seq"] + 1, run.last_seq + 1))


async def test_a_viewer_whose_instance_is_killed_resumes_on_the_other_without_gap(
    dsn: str, tmp_path: Path
) -> None:
    run = await stream_cuts(dsn, tmp_path, events=200, cuts=10, seed=4, kill_viewers_instance=True)

    assert run.kills == 1
    assert run.viewer.unbroken, (run.viewer.gaps, run.viewer.duplicates, run.viewer.snapshots)
    assert run.viewer.seqs == list(range(run.figures["first_seq"] + 1, run.last_seq + 1))


async def test_a_viewer_that_stops_reading_is_closed_as_too_slow_and_the_others_read_on(
    dsn: str, tmp_path: Path
) -> None:
    run = await slow_consumer(
        dsn,
        tmp_path,
        events=200,
        others=5,
        seed=5,
        # Small, so the stalled viewer is closed within a second or two; but four runs
        # (a run is up to 16 frames), so a viewer that reads on is not closed by one
        # group commit's burst arriving while its buffer is above the high-water mark.
        LAGESBILD_STREAM_QUEUE_SIZE="64",
        LAGESBILD_STREAM_SEND_TIMEOUT_SECONDS="2",
        LAGESBILD_STREAM_SOCKET_SEND_BUFFER="4096",
    )

    assert run.slow_closes >= 1
    assert run.closed_after is not None
    assert run.others_unbroken, run


async def test_a_dead_link_is_given_up_by_the_heartbeat(dsn: str, tmp_path: Path) -> None:
    seconds = await dead_peer(dsn, tmp_path, seed=6, LAGESBILD_STREAM_HEARTBEAT_SECONDS="1")

    assert seconds is not None, "the service kept a dead link open"


async def test_viewers_come_back_after_a_restart_with_since_and_none_is_refused(
    dsn: str, tmp_path: Path
) -> None:
    run = await reconnect_crowd(dsn, tmp_path, viewers=50, jitter=1.0, seed=7)

    assert run.refused == 0
    assert run.unbroken
