"""The dashboard's sharing panel: a duty officer shares the incident with a neighbouring
county's board, whose viewer then opens it, and ends the share."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_a_duty_officer_shares_the_incident_with_halland_from_the_dashboard(
    people: People, api: Api
) -> None:
    incident = await api.activate(exercise=True)
    path = f"/incidents/{incident['id']}"
    neighbour = await people.make("LST-13", "viewer", "Länsstyrelsen Halland")
    outside = await people.login(neighbour)
    await outside.goto(f"{people.base_url}{path}")
    await expect(outside.locator("main")).to_contain_text("finns inte")

    officer = await people.make("LST-14", "duty_officer", "TiB Västra Götaland")
    dashboard = await people.login(officer, path=path)
    panel = dashboard.locator("#sharing")
    await expect(panel.locator("#shared")).to_have_text("Inte delad.")
    await dashboard.select_option("#share-target", "LST-13")
    await panel.get_by_role("button", name="Dela", exact=True).click()
    await expect(panel.locator("#shared")).to_contain_text("Hallands")
    await expect(dashboard.locator("#share-target option[value='LST-13']")).to_have_count(0)
    await shoot(dashboard, "dashboard-sharing")
    await assert_accessible(dashboard)

    await outside.goto(f"{people.base_url}{path}")
    await expect(outside.locator("h1")).to_contain_text(incident["title"])
    await expect(outside.locator("#sharing #shared")).to_contain_text("Hallands")
    await expect(outside.locator("#share-form")).to_have_count(0)

    await panel.get_by_role("button", name="Sluta dela").click()
    await expect(panel.locator("#shared")).to_have_text("Inte delad.")
    await outside.reload()
    await expect(outside.locator("h1")).not_to_contain_text(incident["title"])
