"""The evaluation after closing: what worked, what did not, actions with owners; an
`incident.evaluated` event, the latest in the picture, part of the exports."""

from __future__ import annotations

from typing import Any

from tests.support import Api, Who, assert_problem, report

OFFICER: Who = ("LST-14", "duty_officer")
EVALUATION: dict[str, Any] = {
    "worked": "Rapporteringen via e-post när webben låg nere.",
    "did_not_work": "Reservkraften i Vårgårda startade inte.",
    "actions": [
        {"text": "Provkör reservkraften varje månad", "owner": "Vårgårda", "due": "2027-02-01"},
        {"text": "Öva Rakel-rapportering", "owner": "LST-14"},
    ],
}


async def _closed(api: Api) -> str:
    incident = await api.activate()
    await api.submit(incident["id"], report("1442", situation="Stormen har passerat"))
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=OFFICER,
        json_body={"summary": "Stormen är över."},
    )
    assert closed.status == 200, closed.body
    return str(incident["id"])


async def test_the_owners_duty_officer_records_an_evaluation_after_closing(api: Api) -> None:
    incident_id = await _closed(api)
    reply = await api.call(
        "PUT", f"/api/v1/incidents/{incident_id}/evaluation", as_=OFFICER, json_body=EVALUATION
    )
    assert reply.status == 201, reply.body
    assert reply.body["by"] == "duty_officer LST-14"
    assert reply.body["at"].endswith("Z")
    assert reply.body["actions"][0] == EVALUATION["actions"][0]
    assert reply.body["actions"][1]["due"] is None

    log = await api.call("GET", f"/api/v1/incidents/{incident_id}/log", as_=OFFICER)
    last = log.body["events"][-1]
    assert last["kind"] == "incident.evaluated"
    assert last["data"] == reply.body

    picture = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture", as_=OFFICER)
    evaluation = picture.body["evaluation"]
    assert evaluation["worked"] == EVALUATION["worked"]
    assert evaluation["actions"][1] == {"text": "Öva Rakel-rapportering", "owner": "LST-14"}


async def test_a_later_evaluation_replaces_the_earlier_in_the_picture_and_both_stay_logged(
    api: Api,
) -> None:
    incident_id = await _closed(api)
    path = f"/api/v1/incidents/{incident_id}/evaluation"
    first = await api.call("PUT", path, as_=OFFICER, json_body=EVALUATION)
    second = await api.call("POST", path, as_=OFFICER, json_body={"worked": "Allt, till slut."})
    assert (first.status, second.status) == (201, 201)
    picture = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture", as_=OFFICER)
    assert picture.body["evaluation"]["worked"] == "Allt, till slut."
    assert picture.body["evaluation"]["actions"] == []
    log = await api.call("GET", f"/api/v1/incidents/{incident_id}/log", as_=OFFICER)
    kinds = [event["kind"] for event in log.body["events"]]
    assert kinds.count("incident.evaluated") == 2


async def test_an_active_incident_cannot_be_evaluated_and_nothing_is_written(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PUT", f"/api/v1/incidents/{incident['id']}/evaluation", as_=OFFICER, json_body=EVALUATION
    )
    assert_problem(reply, 409, "incident-open")
    log = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=OFFICER)
    assert [event["kind"] for event in log.body["events"]] == ["incident.activated"]


async def test_only_duty_officers_of_the_owner_evaluate(api: Api) -> None:
    incident_id = await _closed(api)
    path = f"/api/v1/incidents/{incident_id}/evaluation"
    viewer = await api.call("PUT", path, as_=("LST-14", "viewer"), json_body=EVALUATION)
    assert_problem(viewer, 403, "forbidden")
    reporter = await api.call("PUT", path, as_=("1442", "reporter"), json_body=EVALUATION)
    assert_problem(reporter, 403, "forbidden")
    stranger = await api.call("PUT", path, as_=("LST-13", "duty_officer"), json_body=EVALUATION)
    assert_problem(stranger, 404, "not-found")


async def test_an_empty_or_malformed_evaluation_is_refused_at_its_field(api: Api) -> None:
    incident_id = await _closed(api)
    path = f"/api/v1/incidents/{incident_id}/evaluation"
    empty = await api.call("PUT", path, as_=OFFICER, json_body={})
    assert_problem(empty, 422, "validation")
    bad_due = await api.call(
        "PUT",
        path,
        as_=OFFICER,
        json_body={"actions": [{"text": "Öva", "owner": "LST-14", "due": "snart"}]},
    )
    assert_problem(bad_due, 422, "validation", loc=["actions", 0, "due"])
    no_owner = await api.call(
        "PUT", path, as_=OFFICER, json_body={"actions": [{"text": "Öva", "owner": " "}]}
    )
    assert_problem(no_owner, 422, "validation", loc=["actions", 0, "owner"])
    log = await api.call("GET", f"/api/v1/incidents/{incident_id}/log", as_=OFFICER)
    assert "incident.evaluated" not in [event["kind"] for event in log.body["events"]]


async def test_the_evaluation_is_part_of_the_json_export(api: Api) -> None:
    incident_id = await _closed(api)
    await api.call(
        "PUT", f"/api/v1/incidents/{incident_id}/evaluation", as_=OFFICER, json_body=EVALUATION
    )
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/export", as_=OFFICER)
    assert reply.body["picture"]["evaluation"]["did_not_work"] == EVALUATION["did_not_work"]
    assert reply.body["events"][-1]["kind"] == "incident.evaluated"
