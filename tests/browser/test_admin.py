"""The admin pages in a real browser: the audit log and tokens and sessions, in Swedish
and English, on a desk and a phone, accessible."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_an_admin_filters_the_audit_log_and_sees_tokens_and_sessions(
    people: People, api: Api
) -> None:
    await api.token("1442", "reporter")
    admin = await people.make("LST-14", "admin", name="Alva Admin")
    page = await people.login(admin)
    await page.click("nav a[href='/admin/audit']")
    await expect(page.locator("h1")).to_have_text("Granskningslogg")
    await expect(page.locator("tbody tr").first).to_contain_text("Inloggning lyckades")
    await shoot(page, "audit-log")
    await assert_accessible(page)

    await page.select_option("#f-kind", "token.created")
    await page.click("form.filters button[type=submit]")
    await expect(page.locator("tbody tr")).to_have_count(1)
    await expect(page.locator("tbody tr")).to_contain_text("Nyckel skapad")

    await page.click("a[href='/admin/access']")
    await expect(page.locator("h1")).to_have_text("Nycklar och sessioner")
    await expect(page.locator("#tokens-h + p + .table-wrap tbody tr")).to_have_count(1)
    await shoot(page, "access")
    await assert_accessible(page)

    await page.click("button[aria-label^='Återkalla']")
    await expect(page.locator("[role=status]")).to_have_text("Nyckeln är återkallad.")
    await expect(page.locator("#tokens-h ~ p").last).to_have_text("Inga nycklar.")
    await assert_accessible(page)


async def test_the_audit_log_in_english_on_a_phone(people: People) -> None:
    admin = await people.make("LST-14", "admin")
    page = await people.login(admin, PHONE, path="/admin/audit")
    await page.click("a[lang=en]")
    await expect(page.locator("h1")).to_have_text("Audit log")
    await expect(page.locator("label[for=f-kind]")).to_have_text("Kind")
    await shoot(page, "audit-log-phone-en")
    await assert_accessible(page)
