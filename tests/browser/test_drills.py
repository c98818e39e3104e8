"""A reporting drill in the browser: the county board's duty officer starts it from the
drills page, the result page shows who responded and how, under ÖVNING, accessible; the
county's list of drills shows its figures."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.rounds.support import add_contacts
from tests.support import Api, report

CHOSEN = ("1440", "1442", "1443")


async def test_a_duty_officer_starts_a_drill_and_reads_its_result(people: People, api: Api) -> None:
    await add_contacts(
        api, {"1440": "krisledning@ale.example.se", "1442": "isk@vargarda.example.se"}
    )
    officer = await people.make("LST-14", "duty_officer", "TiB Länsstyrelsen")
    page = await people.login(officer, path="/drills")
    await expect(page.locator("h1")).to_have_text("Rapporteringsövningar")
    await page.click("a[href='/drills/new']")
    await page.wait_for_url("**/drills/new")
    await expect(page.locator(".exercise-banner")).to_contain_text("ÖVNING")
    await assert_accessible(page)
    await page.fill("#title", "Kvartalsövning Q4")
    await page.fill("#message", "Rapportera läget i kommunen inom 30 minuter.")
    await page.eval_on_selector_all(
        "input[name=participants]",
        "(boxes, chosen) => boxes.forEach(b => { b.checked = chosen.includes(b.value) })",
        list(CHOSEN),
    )
    await page.click("form[action='/drills'] button[type=submit]")
    await page.wait_for_url("**/drill")
    incident_id = page.url.rstrip("/").split("/")[-2]

    await expect(page.locator(".exercise-banner")).to_contain_text("ÖVNING")
    await expect(page.locator("h1")).to_contain_text("ÖVNING")
    await expect(page.locator("table.drill-result tbody tr")).to_have_count(3)
    await expect(page.locator("#participant-1442")).to_contain_text("Har inte svarat")
    await expect(page.locator("#drill-live")).to_have_attribute("data-stream", "live")
    assert (await api.submit(incident_id, report("1442", situation="Lugnt"))).status == 201
    # The open page shows the answer without being reloaded.
    row = page.locator("#participant-1442")
    await expect(row).to_contain_text("webben")
    await expect(row).to_contain_text("e-post")
    await expect(row).to_contain_text("Ja")
    await expect(page.locator("#participant-1443")).to_contain_text("Har inte svarat")
    await expect(page.locator("#share-in-time")).to_contain_text("33 %")
    await assert_accessible(page)
    await shoot(page, "drill-result")

    await page.click(f"a[href='/incidents/{incident_id}']")
    await page.wait_for_url(f"**/incidents/{incident_id}")
    await page.click(f"a[href='/incidents/{incident_id}/drill']")
    await page.goto(f"{people.base_url}/drills")
    await expect(page.locator("table.drills tbody tr")).to_have_count(1)
    await expect(page.locator("table.drills tbody tr").first).to_contain_text("33 %")
    await assert_accessible(page)
    await shoot(page, "drills")


async def test_a_viewer_of_the_county_board_reads_the_list_in_either_language_but_cannot_start(
    people: People,
) -> None:
    viewer = await people.make("LST-14", "viewer", "Analytiker Länsstyrelsen")
    page = await people.login(viewer, path="/drills")
    await expect(page.locator("p.muted")).to_contain_text("Inga rapporteringsövningar")
    await expect(page.locator("a[href='/drills/new']")).to_have_count(0)
    await assert_accessible(page)
    await page.click("a[href^='/lang/en']")
    await expect(page.locator("h1")).to_have_text("Reporting drills")
    await expect(page.locator(".exercise-banner")).to_be_visible()
