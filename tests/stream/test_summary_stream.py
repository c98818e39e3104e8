"""A published summary reaches subscribers as a `summary.published` event whose patch
sets the picture's `summary`."""

from __future__ import annotations

from schemas.common import Role
from service.picture.merge_patch import merge
from tests.stream.wsclient import Streams
from tests.support import Api

VIEWER: tuple[str, Role] = ("LST-14", "viewer")


async def test_publishing_is_an_event_on_the_stream_with_the_summary_in_its_patch(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = f"incident:{incident['id']}"
    viewer = await streams.open(*VIEWER)
    await viewer.subscribe(topic)
    snapshot = await viewer.expect("snapshot", topic)
    assert "summary" not in snapshot["picture"]

    reply = await api.call(
        "POST", f"/api/v1/incidents/{incident['id']}/summaries", as_=("LST-14", "duty_officer")
    )
    assert reply.status == 201, reply.body
    [frame] = await viewer.events(1, topic)
    assert frame["seq"] == 2
    assert frame["event"]["kind"] == "summary.published"
    assert frame["event"]["data"]["number"] == 1
    picture = merge(snapshot["picture"], frame["patch"])
    assert picture["summary"]["number"] == 1
    assert picture["summary"]["picture_seq"] == 1
    live = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    assert picture == live.body
