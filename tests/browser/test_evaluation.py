"""The evaluation panel on a closed incident's page: the owner's duty officer records
what worked, what did not and actions with owners; a viewer reads it."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_the_owners_duty_officer_records_the_evaluation_on_the_closed_incidents_page(
    people: People, api: Api
) -> None:
    incident = await api.activate(exercise=True)
    path = f"/incidents/{incident['id']}"
    closed = await api.call(
        "POST",
        f"/api/v1{path}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Stormen är över."},
    )
    assert closed.status == 200
    officer = await people.make("LST-14", "duty_officer", "TiB Västra Götaland")
    page = await people.login(officer, path=path)
    panel = page.locator("#evaluation")
    await expect(panel.get_by_role("heading", name="Utvärdering")).to_be_visible()
    await panel.get_by_label("Det här fungerade", exact=True).fill("E-post när webben låg nere.")
    await panel.get_by_label("Det här fungerade inte").fill("Reservkraften i Vårgårda.")
    first = panel.get_by_role("group", name="Åtgärd 1")
    await first.get_by_label("Åtgärd").fill("Provkör reservkraften varje månad")
    await first.get_by_label("Ansvarig").fill("Vårgårda")
    await first.get_by_label("Klart senast").fill("2027-02-01")
    await panel.get_by_role("button", name="Lägg till åtgärd").click()
    second = panel.get_by_role("group", name="Åtgärd 2")
    await expect(second.get_by_label("Åtgärd")).to_be_focused()
    await second.get_by_label("Åtgärd").fill("Öva Rakel-rapportering")
    await second.get_by_label("Ansvarig").fill("LST-14")
    await panel.get_by_role("button", name="Spara utvärderingen").click()
    await expect(panel).to_contain_text("Registrerad")
    await expect(panel).to_contain_text("av TiB Västra Götaland")
    await expect(
        panel.get_by_role("group", name="Åtgärd 2").get_by_label("Ansvarig")
    ).to_have_value("LST-14")
    await shoot(page, "dashboard-evaluation")
    await assert_accessible(page)

    log = await api.call("GET", f"/api/v1{path}/log", as_=("LST-14", "viewer"))
    evaluated = log.body["events"][-1]
    assert evaluated["kind"] == "incident.evaluated"
    assert evaluated["data"]["actions"] == [
        {"text": "Provkör reservkraften varje månad", "owner": "Vårgårda", "due": "2027-02-01"},
        {"text": "Öva Rakel-rapportering", "owner": "LST-14", "due": None},
    ]

    viewer = await people.make("LST-14", "viewer", "Samordnare")
    reader = await people.login(viewer, PHONE, path=path)
    read = reader.locator("#evaluation")
    await expect(read).to_contain_text("Reservkraften i Vårgårda.")
    await expect(read).to_contain_text("Provkör reservkraften varje månad (Ansvarig: Vårgårda")
    await expect(read.locator("form")).to_have_count(0)
    await shoot(reader, "dashboard-evaluation-phone")
    await assert_accessible(reader)


async def test_an_empty_evaluation_is_refused_in_words(people: People, api: Api) -> None:
    incident = await api.activate()
    path = f"/incidents/{incident['id']}"
    closed = await api.call(
        "POST",
        f"/api/v1{path}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Slut"},
    )
    assert closed.status == 200
    officer = await people.make("LST-14", "duty_officer")
    page = await people.login(officer, path=path)
    await page.get_by_role("button", name="Spara utvärderingen").click()
    await expect(page.locator("#evaluation-errors")).to_contain_text("an evaluation says")
