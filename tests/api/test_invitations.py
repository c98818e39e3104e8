"""Invitation links: a duty officer invites a participating organisation; whoever holds
the link reports for that organisation in that incident only, until the link expires or
is revoked; making, using and revoking are audit rows."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import asyncpg

from service.clock import FixedClock
from tests.support import Api, Who, assert_problem, report

DUTY: Who = ("LST-14", "duty_officer")
VIEWER: Who = ("LST-14", "viewer")


async def invite(api: Api, incident_id: str, **body: Any) -> dict[str, Any]:
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident_id}/invitations",
        as_=DUTY,
        json_body={"organisation": "1442", **body},
    )
    assert reply.status == 201, reply.body
    made: dict[str, Any] = reply.body
    return made


def path_of(link: str) -> str:
    return link[link.index("/invite/") :]


async def send(api: Api, link: str, body: dict[str, Any]) -> Any:
    return await api.call("POST", path_of(link) + "/reports", json_body=body)


async def audit_rows(dsn: str, kind: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT actor, organisation, details FROM audit_log WHERE kind = $1 ORDER BY id", kind
        )
    finally:
        await conn.close()


async def test_a_link_lets_its_holder_report_for_its_organisation_without_an_account(
    api: Api, dsn: str
) -> None:
    incident = await api.activate()
    made = await invite(api, incident["id"])
    assert made["organisation"] == "1442"
    assert made["status"] == "live"
    assert made["link"].startswith(api.base + "/invite/")

    page = await api.call("GET", path_of(made["link"]))
    assert page.status == 200
    assert "report-form" in page.body
    assert page.headers["Referrer-Policy"] == "no-referrer"

    reply = await send(api, made["link"], report("1442", situation="Vägarna är farbara"))
    assert reply.status == 201, reply.body
    assert reply.body["incident_id"] == incident["id"]
    assert reply.body["submitted_by"] == f"invitation {made['id']}"
    picture = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    assert picture.body["organisations"]["1442"]["report_id"] == reply.body["report_id"]

    listed = await api.call("GET", f"/api/v1/incidents/{incident['id']}/invitations", as_=DUTY)
    (item,) = listed.body["invitations"]
    assert item["uses"] == 1
    assert "link" not in item
    (used,) = await audit_rows(dsn, "invitation.used")
    assert used["actor"] == f"invitation {made['id']}"
    assert used["organisation"] == "1442"
    (created,) = await audit_rows(dsn, "invitation.created")
    assert created["organisation"] == "LST-14"


async def test_the_link_reports_for_its_organisation_alone(api: Api, dsn: str) -> None:
    incident = await api.activate()
    made = await invite(api, incident["id"])
    other = await send(api, made["link"], report("1440", situation="Lugnt"))
    assert_problem(other, 403, "wrong-organisation")
    reports = await api.call("GET", f"/api/v1/incidents/{incident['id']}/reports", as_=VIEWER)
    assert reports.body["reports"] == []


async def test_the_same_report_sent_twice_by_a_link_is_stored_once(api: Api) -> None:
    incident = await api.activate()
    made = await invite(api, incident["id"])
    body = report("1442", situation="Lugnt")
    assert (await send(api, made["link"], body)).status == 201
    again = await send(api, made["link"], body)
    assert again.status == 200
    assert again.body["version"] == 1


async def test_a_revoked_link_opens_nothing(api: Api, dsn: str) -> None:
    incident = await api.activate()
    made = await invite(api, incident["id"])
    revoked = await api.call(
        "DELETE", f"/api/v1/incidents/{incident['id']}/invitations/{made['id']}", as_=DUTY
    )
    assert revoked.status == 200, revoked.body
    assert revoked.body["status"] == "revoked"

    assert (await api.call("GET", path_of(made["link"]))).status == 404
    assert_problem(await send(api, made["link"], report("1442")), 404, "not-found")
    again = await api.call(
        "DELETE", f"/api/v1/incidents/{incident['id']}/invitations/{made['id']}", as_=DUTY
    )
    assert_problem(again, 404)
    (row,) = await audit_rows(dsn, "invitation.revoked")
    assert json.loads(row["details"])["invitation_id"] == made["id"]


async def test_a_link_expires(api: Api, clock: FixedClock) -> None:
    incident = await api.activate()
    made = await invite(
        api, incident["id"], expires_at=(clock.now() + timedelta(hours=2)).isoformat()
    )
    clock.set(clock.now() + timedelta(hours=2))
    assert_problem(await send(api, made["link"], report("1442")), 404)
    listed = await api.call("GET", f"/api/v1/incidents/{incident['id']}/invitations", as_=DUTY)
    assert listed.body["invitations"][0]["status"] == "expired"


async def test_a_link_of_a_closed_incident_opens_nothing(api: Api) -> None:
    incident = await api.activate()
    made = await invite(api, incident["id"])
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=DUTY,
        json_body={"summary": "Över"},
    )
    assert closed.status == 200, closed.body
    assert (await api.call("GET", path_of(made["link"]))).status == 404


async def test_only_those_who_manage_the_incident_invite_and_only_participants(
    api: Api,
) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}/invitations"
    by_reporter = await api.call(
        "POST", path, as_=("1442", "reporter"), json_body={"organisation": "1442"}
    )
    assert_problem(by_reporter, 403)
    by_viewer = await api.call("GET", path, as_=VIEWER)
    assert_problem(by_viewer, 403)
    elsewhere = await api.call(
        "POST", path, as_=("LST-13", "duty_officer"), json_body={"organisation": "1442"}
    )
    assert_problem(elsewhere, 404)
    outsider = await api.call("POST", path, as_=DUTY, json_body={"organisation": "1381"})
    assert_problem(outsider, 422, loc=["organisation"])
    too_long = await api.call(
        "POST",
        path,
        as_=DUTY,
        json_body={"organisation": "1442", "expires_at": "2027-06-01T00:00:00+02:00"},
    )
    assert_problem(too_long, 422, loc=["expires_at"])
    listed = await api.call("GET", path, as_=DUTY)
    assert listed.body["invitations"] == []


async def test_the_link_is_kept_only_as_its_hash_and_can_go_by_e_mail(api: Api, dsn: str) -> None:
    incident = await api.activate(exercise=True)
    made = await invite(api, incident["id"], email="isk@vargarda.example.se")
    secret = path_of(made["link"]).removeprefix("/invite/")
    assert len(secret) >= 43
    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchval("SELECT secret_sha256 FROM invitations")
        mail = await conn.fetchrow(
            "SELECT destination, payload FROM outbox WHERE kind = 'invitation'"
        )
        everything = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM invitations t")
    finally:
        await conn.close()
    assert stored == hashlib.sha256(secret.encode()).digest()
    assert secret not in everything
    assert mail is not None
    assert mail["destination"] == "email"
    payload = json.loads(mail["payload"])
    assert payload["to"] == ["isk@vargarda.example.se"]
    assert payload["subject"].startswith("ÖVNING")
    assert made["link"] in payload["text"]
