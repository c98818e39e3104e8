"""Reminder contacts: managed by admins over the API or with `lagesbild contact`."""

from __future__ import annotations

from pathlib import Path

from tests.command import lagesbild
from tests.rounds.support import ADMIN
from tests.support import Api, Who, assert_problem

PATH = "/api/v1/organisations/1442/contacts"


async def test_admin_adds_lists_and_removes_contacts(api: Api) -> None:
    added = await api.call("POST", PATH, as_=ADMIN, json_body={"email": "isk@vargarda.example.se"})
    assert added.status == 201
    assert added.body == {"organisation": "1442", "emails": ["isk@vargarda.example.se"]}
    again = await api.call("POST", PATH, as_=ADMIN, json_body={"email": "isk@vargarda.example.se"})
    assert again.status == 200
    listed = await api.call("GET", PATH, as_=ADMIN)
    assert listed.body["emails"] == ["isk@vargarda.example.se"]
    removed = await api.call("DELETE", f"{PATH}/isk@vargarda.example.se", as_=ADMIN)
    assert removed.status == 204
    assert (await api.call("GET", PATH, as_=ADMIN)).body["emails"] == []
    gone = await api.call("DELETE", f"{PATH}/isk@vargarda.example.se", as_=ADMIN)
    assert_problem(gone, 404, "not-found")


async def test_only_admins_manage_contacts_and_addresses_are_checked(api: Api) -> None:
    body = {"email": "isk@vargarda.example.se"}
    others: list[Who] = [("1442", "reporter"), ("LST-14", "duty_officer")]
    for who in others:
        reply = await api.call("POST", PATH, as_=who, json_body=body)
        assert_problem(reply, 403, "forbidden")
    unknown = await api.call(
        "POST", "/api/v1/organisations/9999/contacts", as_=ADMIN, json_body=body
    )
    assert_problem(unknown, 404, "not-found")
    for bad in ("not-an-address", "a@b", "två ord@example.se", ""):
        reply = await api.call("POST", PATH, as_=ADMIN, json_body={"email": bad})
        assert_problem(reply, 422, loc=["email"])


async def test_contact_command_adds_and_lists_addresses(dsn: str, tmp_path: Path) -> None:
    added = await lagesbild(
        "contact", "add", "--org", "1442", "--email", "isk@vargarda.example.se",
        database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out.splitlines() == ["isk@vargarda.example.se"]
    listed = await lagesbild(
        "contact", "list", "--org", "1442", database_url=dsn, data_dir=tmp_path
    )
    assert listed.out.splitlines() == ["isk@vargarda.example.se"]
    bad = await lagesbild(
        "contact", "add", "--org", "1442", "--email", "nope", database_url=dsn, data_dir=tmp_path
    )
    assert bad.code == 2
    unknown = await lagesbild(
        "contact", "list", "--org", "9999", database_url=dsn, data_dir=tmp_path
    )
    assert unknown.code == 2


async def test_contact_command_keeps_mobile_numbers_that_may_report_by_sms(
    dsn: str, tmp_path: Path
) -> None:
    added = await lagesbild(
        "contact", "add", "--org", "1442", "--phone", "070-123 45 67",
        database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out.splitlines() == ["+46701234567"]
    await lagesbild(
        "contact", "add", "--org", "1442", "--email", "isk@vargarda.example.se",
        database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    listed = await lagesbild(
        "contact", "list", "--org", "1442", database_url=dsn, data_dir=tmp_path
    )
    assert listed.out.splitlines() == ["isk@vargarda.example.se", "+46701234567"]
    bad = await lagesbild(
        "contact", "add", "--org", "1442", "--phone", "Vårgårda", database_url=dsn,
        data_dir=tmp_path,
    )  # fmt: skip
    assert bad.code == 2
    removed = await lagesbild(
        "contact", "remove", "--org", "1442", "--phone", "+46 70 123 45 67",
        database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert removed.code == 0, removed.err
    assert removed.out.splitlines() == []
    again = await lagesbild(
        "contact", "remove", "--org", "1442", "--phone", "+46701234567",
        database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert again.code == 1
