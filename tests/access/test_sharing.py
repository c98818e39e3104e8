"""Sharing an incident with the county board of another county (a neighbour hit by the
same storm): its users then read the incident as participants do; sharing and
unsharing are events in the log."""

from __future__ import annotations

from typing import Any

from tests.stream.wsclient import Streams
from tests.support import Api, Who, assert_problem, report

OWNER: Who = ("LST-14", "duty_officer")
NEIGHBOUR = "LST-13"  # Halland


def share_path(incident: dict[str, Any], organisation: str = NEIGHBOUR) -> str:
    return f"/api/v1/incidents/{incident['id']}/shares/{organisation}"


async def reads(api: Api, incident: dict[str, Any], who: Who) -> list[int]:
    """The status of every read of the incident, as `who`."""
    base = f"/api/v1/incidents/{incident['id']}"
    paths = [base, *(f"{base}/{tail}" for tail in ("picture", "log", "reports", "timeline"))]
    paths += [f"{base}/rounds", f"{base}/export?format=json"]
    return [(await api.call("GET", path, as_=who)).status for path in paths]


async def listed(api: Api, who: Who) -> list[str]:
    reply = await api.call("GET", "/api/v1/incidents", as_=who)
    assert reply.status == 200, reply.body
    return [incident["id"] for incident in reply.body["incidents"]]


async def test_a_county_board_without_a_share_gets_404_and_with_one_reads_like_a_participant(
    api: Api,
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", situation="Stormen"))).status == 201
    viewer: Who = (NEIGHBOUR, "viewer")

    assert await reads(api, incident, viewer) == [404] * 7
    assert incident["id"] not in await listed(api, viewer)

    reply = await api.call("PUT", share_path(incident), as_=OWNER)
    assert reply.status == 201, reply.body
    assert reply.body["shared_with"] == [NEIGHBOUR]

    assert await reads(api, incident, viewer) == [200] * 7
    assert await reads(api, incident, (NEIGHBOUR, "duty_officer")) == [200] * 7
    assert incident["id"] in await listed(api, viewer)
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=viewer)
    assert picture.body["incident"]["shared_with"] == [NEIGHBOUR]
    assert picture.body["organisations"]["1442"]["report_id"]

    # Reading is not taking part: the neighbour neither reports nor changes the incident.
    refused = await api.submit(incident["id"], report(NEIGHBOUR))
    assert_problem(refused, 403, "not-participant")
    changed = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=(NEIGHBOUR, "duty_officer"),
        json_body={"title": "Annan"},
    )
    assert_problem(changed, 403, "forbidden")

    gone = await api.call("DELETE", share_path(incident), as_=OWNER)
    assert gone.status == 204
    assert await reads(api, incident, viewer) == [404] * 7
    assert incident["id"] not in await listed(api, viewer)


async def test_sharing_and_unsharing_are_events_in_the_log_and_repeats_write_nothing(
    api: Api,
) -> None:
    incident = await api.activate()
    assert (await api.call("PUT", share_path(incident), as_=OWNER)).status == 201
    again = await api.call("PUT", share_path(incident), as_=OWNER)
    assert again.status == 200
    assert again.body["shared_with"] == [NEIGHBOUR]
    assert (await api.call("PUT", share_path(incident, "LST-01"), as_=OWNER)).status == 201
    assert (await api.call("DELETE", share_path(incident), as_=OWNER)).status == 204
    assert (await api.call("DELETE", share_path(incident), as_=OWNER)).status == 204

    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=OWNER)
    written = [(e["kind"], e["actor"], e["data"]) for e in log.body["events"][1:]]
    assert written == [
        ("incident.shared", "LST-14", {"organisation": NEIGHBOUR}),
        ("incident.shared", "LST-14", {"organisation": "LST-01"}),
        ("incident.unshared", "LST-14", {"organisation": NEIGHBOUR}),
    ]
    got = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=OWNER)
    assert got.body["shared_with"] == ["LST-01"]
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=OWNER)
    assert picture.body["incident"]["shared_with"] == ["LST-01"]


async def test_only_who_may_change_the_incident_shares_it_and_only_with_other_county_boards(
    api: Api,
) -> None:
    incident = await api.activate()
    callers: list[Who] = [("LST-14", "viewer"), ("1442", "duty_officer"), ("LST-14", "admin")]
    for who in callers:
        assert_problem(await api.call("PUT", share_path(incident), as_=who), 403, "forbidden")
    # An outsider is not told that the incident exists.
    assert_problem(await api.call("PUT", share_path(incident), as_=("LST-13", "duty_officer")), 404)
    for target in ("1442", "LST-14", "MSB"):
        refused = await api.call("PUT", share_path(incident, target), as_=OWNER)
        assert_problem(refused, 422, "validation", loc=["path", "organisation"])
    assert_problem(await api.call("PUT", share_path(incident, "LST-99"), as_=OWNER), 404)
    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=OWNER)
    assert [e["kind"] for e in log.body["events"]] == ["incident.activated"]


async def test_a_share_opens_the_stream_to_the_neighbour_and_unsharing_closes_it(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = f"incident:{incident['id']}"
    neighbour = await streams.open(NEIGHBOUR, "viewer")
    await neighbour.subscribe(topic)
    assert (await neighbour.expect("error", topic))["code"] == "not_found"

    watcher = await streams.open(NEIGHBOUR, "viewer")
    await watcher.subscribe("incidents")
    await watcher.expect("snapshot", "incidents")
    assert (await api.call("PUT", share_path(incident), as_=OWNER)).status == 201
    announced = await watcher.expect("event", "incidents")
    assert announced["event"]["kind"] == "incident.shared"
    assert announced["incident"]["shared_with"] == [NEIGHBOUR]

    await neighbour.subscribe(topic)
    snapshot = await neighbour.expect("snapshot", topic)
    assert snapshot["picture"]["incident"]["shared_with"] == [NEIGHBOUR]

    assert (await api.call("DELETE", share_path(incident), as_=OWNER)).status == 204
    assert (await neighbour.expect("error", topic))["code"] == "forbidden"
