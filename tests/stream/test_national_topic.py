"""The `national` topic over real sockets: snapshot, patches, resume, who may follow it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.common import Role
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.picture.merge_patch import merge
from tests.command import lagesbild
from tests.stream.test_stream import submit_reports, varied_report
from tests.stream.wsclient import Frame, StreamClient, Streams
from tests.support import Api, report, served

AGENCY: tuple[str, Role] = ("MSB", "viewer")
NATIONAL = "national"


async def _snapshot(client: StreamClient) -> Frame:
    await client.subscribe(NATIONAL)
    snapshot = await client.expect("snapshot", NATIONAL)
    assert snapshot["picture"]["seq"] == snapshot["seq"]
    return snapshot


async def _api_rollup(api: Api) -> dict[str, Any]:
    """The roll-up as GET /api/v1/national gives it, without what only the API adds."""
    reply = await api.call("GET", "/api/v1/national", as_=AGENCY)
    assert reply.status == 200, reply.body
    found: dict[str, Any] = {}
    for kind in ("real", "exercise"):
        part = reply.body[kind]
        counties = {
            code: {k: v for k, v in county.items() if k != "name"}
            for code, county in part["counties"].items()
        }
        found[kind] = {**part, "counties": counties}
    found["seq"] = reply.body["seq"]
    return found


async def test_an_agency_gets_a_snapshot_then_a_patch_for_each_change(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    msb = await streams.open(*AGENCY)
    snapshot = await _snapshot(msb)
    assert list(snapshot["picture"]["real"]["incidents"]) == [incident["id"]]
    assert snapshot["picture"] == await _api_rollup(api)

    await submit_reports(api, incident, 4)
    frames = await msb.events(4, NATIONAL)
    assert [f["seq"] for f in frames] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 5))
    rollup = snapshot["picture"]
    for frame in frames:
        assert frame["incident_id"] == incident["id"]
        assert frame["event"]["kind"] == "report.submitted"
        rollup = {**merge(rollup, frame["patch"]), "seq": frame["seq"]}
    assert rollup == await _api_rollup(api)


async def test_an_activation_elsewhere_reaches_the_national_topic(
    api: Api, streams: Streams
) -> None:
    msb = await streams.open(*AGENCY)
    snapshot = await _snapshot(msb)
    assert snapshot["picture"]["real"]["incidents"] == {}
    incident = await api.activate(by="LST-13", county="13", participants=["1380"])
    (frame,) = await msb.events(1, NATIONAL)
    assert frame["event"]["kind"] == "incident.activated"
    assert frame["patch"]["real"]["counties"]["13"]["incidents"] == [incident["id"]]


async def test_frames_carry_figures_never_what_a_report_says(api: Api, streams: Streams) -> None:
    incident = await api.activate()
    msb = await streams.open(*AGENCY)
    await _snapshot(msb)
    secret = "Kommunens reservvattentäkt vid Ödegärdet"
    assert (await api.submit(incident["id"], report("1442", situation=secret))).status == 201
    (frame,) = await msb.events(1, NATIONAL)
    assert secret not in json.dumps(frame, ensure_ascii=False)
    assert "data" not in frame["event"]


async def test_an_exercise_changes_only_the_exercise_part(api: Api, streams: Streams) -> None:
    await api.activate()
    exercise = await api.activate(title="ÖVNING", exercise=True)
    msb = await streams.open(*AGENCY)
    await _snapshot(msb)
    assert (await api.submit(exercise["id"], varied_report(0))).status == 201
    (frame,) = await msb.events(1, NATIONAL)
    assert list(frame["patch"]) == ["exercise"]


async def test_only_agencies_and_admins_may_follow_the_national_topic(
    api: Api, streams: Streams
) -> None:
    await api.activate()
    for who in (("LST-14", "viewer"), ("LST-14", "duty_officer"), ("1442", "reporter")):
        client = await streams.open(*who)
        await client.subscribe(NATIONAL)
        error = await client.expect("error")
        assert error["code"] == "not_found"
        assert error["topic"] == NATIONAL
    admin = await streams.open("LST-14", "admin")
    await _snapshot(admin)


async def test_resume_with_since_replays_exactly_the_missed_frames(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    first = await streams.open(*AGENCY)
    snapshot = await _snapshot(first)
    await submit_reports(api, incident, 2)
    seen = await first.events(2, NATIONAL)
    await submit_reports(api, incident, 3, start=2)
    missed = await first.events(3, NATIONAL)

    back = await streams.open(*AGENCY)
    await back.subscribe(NATIONAL, since=seen[-1]["seq"])
    assert await back.events(3, NATIONAL) == missed
    # At the latest seq: nothing replayed, then live.
    latest = await streams.open(*AGENCY)
    await latest.subscribe(NATIONAL, since=missed[-1]["seq"])
    await submit_reports(api, incident, 1, start=5)
    (live,) = await latest.events(1, NATIONAL)
    assert live["seq"] == missed[-1]["seq"] + 1
    assert snapshot["seq"] + 6 == live["seq"]


async def test_since_ahead_gets_resync_and_a_snapshot_and_too_old_a_snapshot(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    first = await streams.open(*AGENCY)
    snapshot = await _snapshot(first)
    ahead = await streams.open(*AGENCY)
    await ahead.subscribe(NATIONAL, since=snapshot["seq"] + 10)
    assert (await ahead.expect("error", NATIONAL))["code"] == "resync"
    assert (await ahead.expect("snapshot", NATIONAL))["seq"] == snapshot["seq"]

    await submit_reports(api, incident, 51)  # stream_replay_limit=50 in the test settings
    old = await streams.open(*AGENCY)
    await old.subscribe(NATIONAL, since=snapshot["seq"])
    fresh = await old.next_frame()
    assert fresh["type"] == "snapshot", fresh
    assert fresh["seq"] == snapshot["seq"] + 51
    assert fresh["picture"] == await _api_rollup(api)


async def test_a_since_from_another_instance_gets_a_snapshot_there(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with (
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as api_a,
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as api_b,
        Streams(api_a) as streams,
    ):
        incident = await api_a.activate()
        on_a = await streams.open(*AGENCY, base=api_a.base)
        snapshot_a = await _snapshot(on_a)
        await submit_reports(api_a, incident, 2)
        frames_a = await on_a.events(2, NATIONAL)
        on_b = await streams.open(*AGENCY, base=api_b.base)
        await on_b.subscribe(NATIONAL, since=frames_a[-1]["seq"])
        frame = await on_b.next_frame()
        if frame["type"] == "error":  # ahead of B's numbers
            assert frame["code"] == "resync"
            frame = await on_b.expect("snapshot", NATIONAL)
        assert frame["type"] == "snapshot", frame
        # Both instances agree on the figures, whatever their numbers.
        figures_a = merge(merge(snapshot_a["picture"], frames_a[0]["patch"]), frames_a[1]["patch"])
        assert {k: v for k, v in frame["picture"].items() if k != "seq"} == {
            k: v for k, v in figures_a.items() if k != "seq"
        }


async def test_lagesbild_watch_follows_the_national_topic(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    await api.activate()
    token = await api.token(*AGENCY)
    ran = await lagesbild(
        "watch",
        "national",
        "--token",
        token,
        "--url",
        api.base,
        "--count",
        "1",
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 0, ran.err
    (line,) = ran.out.splitlines()
    frame = json.loads(line)
    assert frame["type"] == "snapshot"
    assert frame["topic"] == NATIONAL
    assert frame["picture"]["real"]["totals"]["incidents"] == 1
