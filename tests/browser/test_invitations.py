"""An invitation link in a fresh browser: no account, no log-in; the ordinary report form
opens, is sent, and the report is stored for the invited organisation. The console lists
the link, and revoking it there closes it."""

from __future__ import annotations

import asyncpg
from playwright.async_api import expect

from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_a_fresh_browser_reports_by_the_link_made_in_the_console(
    people: People, api: Api, dsn: str
) -> None:
    incident = await api.activate()
    officer = await people.make("LST-14", "duty_officer", "TiB Länsstyrelsen")
    console = await people.login(officer, path=f"/incidents/{incident['id']}/edit")
    await console.click(f"a[href='/incidents/{incident['id']}/invitations']")
    await console.wait_for_url(f"**/incidents/{incident['id']}/invitations")
    await console.select_option("#organisation", "1442")
    await console.fill("#email", "isk@vargarda.example.se")
    await console.click("form[action$='/invitations'] button[type=submit]")
    link = await console.locator("#made-link").input_value()
    assert "/invite/" in link
    await assert_accessible(console)
    await shoot(console, "invitation-made")

    # Someone without an account, in a browser that has never seen Lägesbild.
    context = await people.context(PHONE)
    phone = await context.new_page()
    phone.on("pageerror", lambda error: people.page_errors.append(f"{phone.url}: {error}"))
    await phone.goto(link)
    await expect(phone.locator("main .note").first).to_contain_text("Vårgårda")
    await phone.fill("#situation", "Vägen vid Ornunga öppnad igen.")
    await phone.select_option("#sector-transport-status", "moderate")
    await phone.click("#review")
    await phone.click("#send")
    await expect(phone.locator("#receipt")).to_contain_text("version 1")
    await assert_accessible(phone)
    await shoot(phone, "invitation-report-phone")

    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchrow(
            "SELECT organisation, submitted_by FROM reports WHERE incident_id = $1",
            incident["id"],
        )
    finally:
        await conn.close()
    assert stored is not None
    assert stored["organisation"] == "1442"
    assert stored["submitted_by"].startswith("invitation ")

    await console.goto(f"{people.base_url}/incidents/{incident['id']}/invitations")
    row = console.locator("tbody tr").first
    await expect(row.locator(".invitation-status")).to_have_text("Giltig")
    await expect(row).to_contain_text("isk@vargarda.example.se")
    await row.locator("button").click()
    await expect(console.locator("p.note[role=status]")).to_contain_text("återkallad")
    await expect(console.locator("tbody tr").first.locator(".invitation-status")).to_have_text(
        "Återkallad"
    )
    closed = await context.new_page()
    answer = await closed.goto(link)
    assert answer is not None
    assert answer.status == 404
    await expect(closed.locator("h1")).to_contain_text("Länken är okänd")
