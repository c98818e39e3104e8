"""The incident journal in the browser: a duty officer writes a significant decision,
which the dashboard shows live; a correction points at the entry it corrects."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_a_significant_decision_is_written_and_shown_on_the_dashboard(
    people: People, api: Api
) -> None:
    incident = await api.activate(exercise=True)
    path = f"/incidents/{incident['id']}"
    viewer = await people.make("1442", "viewer", "Kommunens krisledning")
    dashboard = await people.login(viewer, path=path)
    panel = dashboard.locator("#journal-panel")
    await expect(panel.locator("#journal-significant")).to_have_text(
        "Inga väsentliga anteckningar än."
    )

    officer = await people.make("LST-14", "duty_officer", "TiB Västra Götaland")
    page = await people.login(officer, path=f"{path}/journal")
    await expect(page.locator("h1")).to_contain_text("Dagbok")
    await page.select_option("#journal-category", "decision")
    await page.fill("#journal-text", "Skolorna i Ålvik stänger i morgon")
    await page.get_by_role("button", name="Lägg till i dagboken").click()
    await expect(page.locator("#form-errors")).to_contain_text("vem som fattade")
    await page.fill("#journal-decided-by", "Länsråd Eva Berg")
    await page.check("#journal-significant")
    await page.get_by_role("button", name="Lägg till i dagboken").click()
    entry = page.locator("#entry-1")
    await expect(entry).to_contain_text("Skolorna i Ålvik stänger i morgon")
    await expect(entry).to_contain_text("Länsråd Eva Berg")
    await expect(entry).to_contain_text("Väsentlig")

    # Live on the dashboard, without reloading it.
    await expect(panel.locator("#journal-significant")).to_contain_text("Skolorna i Ålvik")
    await expect(panel.locator("#journal-significant")).to_contain_text(
        "Beslut av Länsråd Eva Berg"
    )
    await expect(panel.locator("#journal-count")).to_have_text("1 anteckningar i dagboken")

    await page.select_option("#journal-category", "event")
    await page.fill("#journal-text", "Rättelse: skolorna stänger på onsdag")
    await page.select_option("#journal-corrects", "1")
    await page.get_by_role("button", name="Lägg till i dagboken").click()
    await expect(page.locator("#entry-2")).to_contain_text("Rättar anteckning 1.")
    await expect(page.locator("#entry-1")).to_contain_text("Rättad av anteckning 2.")
    await shoot(page, "journal")
    await assert_accessible(page)
    await shoot(dashboard, "dashboard-journal", of=panel)
    await assert_accessible(dashboard)
