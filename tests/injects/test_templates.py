"""A script kept as a template and copied into the next exercise with new times."""

from __future__ import annotations

from service.clock import FixedClock
from tests.injects.support import OFFICER, add_inject, exercise, injects_seen
from tests.rounds.support import at, z
from tests.support import Api, assert_problem


async def test_a_saved_script_is_copied_into_the_next_exercise_at_new_times(
    api: Api, clock: FixedClock
) -> None:
    first = await exercise(api, participants=["1440", "1442"])
    await add_inject(api, first["id"], text="Elen går", offset_minutes=20, audience=["1442"])
    await add_inject(api, first["id"], text="Vattnet stiger", at="2026-11-22T14:00:00+01:00")
    dropped = await add_inject(api, first["id"], text="Struket", offset_minutes=90)
    withdraw = f"/api/v1/incidents/{first['id']}/injects/{dropped['id']}/withdraw"
    assert (await api.call("POST", withdraw, as_=OFFICER)).status == 200
    saved = await api.call(
        "POST",
        "/api/v1/inject-templates",
        as_=OFFICER,
        json_body={"name": "Kvartalsövning el", "incident_id": first["id"]},
    )
    assert saved.status == 201, saved.body
    assert [(i["text"], i["offset_minutes"], i["audience"]) for i in saved.body["injects"]] == [
        ("Elen går", 20, ["1442"]),
        ("Vattnet stiger", 60, None),
    ]
    listed = await api.call("GET", "/api/v1/inject-templates", as_=OFFICER)
    assert [t["name"] for t in listed.body["templates"]] == ["Kvartalsövning el"]

    clock.set(at("2027-02-20T09:00"))
    second = await exercise(api, participants=["1442", "1443"])
    copied = await api.call(
        "POST",
        f"/api/v1/incidents/{second['id']}/injects/from-template",
        as_=OFFICER,
        json_body={"template_id": saved.body["id"], "start": "2027-02-20T10:00:00+01:00"},
    )
    assert copied.status == 201, copied.body
    script = await injects_seen(api, second["id"], OFFICER)
    assert [(i["number"], i["deliver_at"], i["audience"]) for i in script] == [
        (1, z("2027-02-20T10:20"), ["1442"]),
        (2, z("2027-02-20T11:00"), None),
    ]


async def test_another_organisations_template_is_not_found(api: Api) -> None:
    first = await exercise(api)
    await add_inject(api, first["id"], text="Elen går", offset_minutes=20)
    saved = await api.call(
        "POST",
        "/api/v1/inject-templates",
        as_=OFFICER,
        json_body={"name": "El", "incident_id": first["id"]},
    )
    other = await api.activate(by="MSB", exercise=True)
    copied = await api.call(
        "POST",
        f"/api/v1/incidents/{other['id']}/injects/from-template",
        as_=("MSB", "duty_officer"),
        json_body={"template_id": saved.body["id"]},
    )
    assert_problem(copied, 404)
    listed = await api.call("GET", "/api/v1/inject-templates", as_=("MSB", "duty_officer"))
    assert listed.body["templates"] == []


async def test_an_empty_script_is_not_saved(api: Api) -> None:
    first = await exercise(api)
    saved = await api.call(
        "POST",
        "/api/v1/inject-templates",
        as_=OFFICER,
        json_body={"name": "El", "incident_id": first["id"]},
    )
    assert_problem(saved, 409, "script-empty")


async def test_an_inject_whose_audience_takes_no_part_is_not_copied_to_everyone(
    api: Api, clock: FixedClock
) -> None:
    first = await exercise(api, participants=["1440", "1442"])
    await add_inject(api, first["id"], text="Bara Ale", offset_minutes=20, audience=["1440"])
    await add_inject(api, first["id"], text="Alla", offset_minutes=30)
    saved = await api.call(
        "POST",
        "/api/v1/inject-templates",
        as_=OFFICER,
        json_body={"name": "Ale", "incident_id": first["id"]},
    )
    assert saved.status == 201, saved.body
    second = await exercise(api, participants=["1442", "1443"])
    copied = await api.call(
        "POST",
        f"/api/v1/incidents/{second['id']}/injects/from-template",
        as_=OFFICER,
        json_body={"template_id": saved.body["id"]},
    )
    assert copied.status == 201, copied.body
    script = await injects_seen(api, second["id"], OFFICER)
    assert [(i["text"], i["audience"]) for i in script] == [("Alla", None)]
