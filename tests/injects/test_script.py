"""Writing an exercise's script: adding, changing, withdrawing injects, and who sees them."""

from __future__ import annotations

from service.clock import FixedClock
from tests.injects.support import OFFICER, add_inject, exercise, injects_seen
from tests.rounds.support import at, z
from tests.support import Api, assert_problem


async def test_an_inject_relative_to_the_start_is_scheduled_after_the_activation(
    api: Api,
) -> None:
    incident = await exercise(api)
    inject = await add_inject(api, incident["id"], text="Elen går i Borås", offset_minutes=30)
    assert inject["number"] == 1
    assert inject["state"] == "scheduled"
    assert inject["deliver_at"] == z("2026-11-22T13:30")
    assert inject["offset_minutes"] == 30
    assert inject["audience"] is None


async def test_an_inject_on_a_real_incident_is_refused(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/injects",
        as_=OFFICER,
        json_body={"text": "Inspel", "offset_minutes": 5},
    )
    assert_problem(reply, 409, "not-exercise")


async def test_an_audience_outside_the_participants_is_refused(api: Api) -> None:
    incident = await exercise(api, participants=["1440", "1442"])
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/injects",
        as_=OFFICER,
        json_body={"text": "Inspel", "offset_minutes": 5, "audience": ["1443"]},
    )
    assert_problem(reply, 422, loc=["audience"])
    assert await injects_seen(api, incident["id"], OFFICER) == []


async def test_a_time_both_relative_and_absolute_is_refused(api: Api) -> None:
    incident = await exercise(api)
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/injects",
        as_=OFFICER,
        json_body={"text": "Inspel", "offset_minutes": 5, "at": "2026-11-22T14:00:00+01:00"},
    )
    assert_problem(reply, 422)


async def test_a_changed_inject_keeps_its_number_and_moves(api: Api) -> None:
    incident = await exercise(api)
    inject = await add_inject(api, incident["id"], text="Elen går", offset_minutes=30)
    reply = await api.call(
        "PUT",
        f"/api/v1/incidents/{incident['id']}/injects/{inject['id']}",
        as_=OFFICER,
        json_body={"text": "Elen går i Ale", "at": "2026-11-22T15:00:00+01:00"},
    )
    assert reply.status == 200, reply.body
    assert reply.body["number"] == 1
    assert reply.body["text"] == "Elen går i Ale"
    assert reply.body["deliver_at"] == z("2026-11-22T15:00")
    assert reply.body["offset_minutes"] is None


async def test_a_withdrawn_inject_is_kept_marked_and_cannot_be_withdrawn_again(
    api: Api, clock: FixedClock
) -> None:
    incident = await exercise(api)
    inject = await add_inject(api, incident["id"], text="Elen går", offset_minutes=30)
    clock.set(at("2026-11-22T13:10"))
    path = f"/api/v1/incidents/{incident['id']}/injects/{inject['id']}"
    reply = await api.call("POST", path + "/withdraw", as_=OFFICER)
    assert reply.status == 200, reply.body
    assert reply.body["state"] == "withdrawn"
    assert reply.body["withdrawn_at"] == z("2026-11-22T13:10")
    assert_problem(await api.call("POST", path + "/withdraw", as_=OFFICER), 409, "inject-withdrawn")
    change = await api.call("PUT", path, as_=OFFICER, json_body={"text": "x", "offset_minutes": 1})
    assert_problem(change, 409, "inject-withdrawn")
    [kept] = await injects_seen(api, incident["id"], OFFICER)
    assert kept["state"] == "withdrawn"


async def test_a_participant_sees_no_inject_before_it_is_delivered(api: Api) -> None:
    incident = await exercise(api)
    await add_inject(api, incident["id"], text="Elen går", offset_minutes=30)
    assert await injects_seen(api, incident["id"], ("1442", "reporter")) == []
    assert await injects_seen(api, incident["id"], ("LST-14", "viewer")) == []
    assert len(await injects_seen(api, incident["id"], OFFICER)) == 1


async def test_a_reporter_may_not_write_the_script(api: Api) -> None:
    incident = await exercise(api)
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/injects",
        as_=("1442", "reporter"),
        json_body={"text": "Inspel", "offset_minutes": 5},
    )
    assert_problem(reply, 403)
