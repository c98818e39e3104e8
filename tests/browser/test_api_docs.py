"""The API's page: readable on a desk and on a phone, accessible, in both languages."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot

# The page documents every route and schema: axe checks several thousand nodes, twice
# in the first test, which alone takes most of the suite's default minute on a slow
# machine.
pytestmark = pytest.mark.timeout(180)


async def test_the_api_page_is_accessible_in_swedish_and_on_a_phone(
    people: People, base_url: str
) -> None:
    context = await people.context()
    page = await context.new_page()
    await page.goto(f"{base_url}/api/docs")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.locator("h1")).to_have_text("API-dokumentation")
    report = page.locator("#service-http-incidents-submit_report")
    await expect(report).to_have_text("POST /api/v1/incidents/{id}/reports")
    await page.locator("#schema-Problem summary").click()
    await expect(page.locator("#schema-Problem pre")).to_contain_text('"status"')
    await shoot(page, "api-docs")
    await assert_accessible(page)

    phone = await (await people.context(PHONE)).new_page()
    await phone.goto(f"{base_url}/api/docs#service-http-incidents-submit_report")
    await shoot(phone, "api-docs-phone")
    await assert_accessible(phone)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


async def test_the_api_page_speaks_english_when_asked(people: People, base_url: str) -> None:
    context = await people.context()
    page = await context.new_page()
    await page.goto(f"{base_url}/lang/en?next=/api/docs")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text("API documentation")
    await assert_accessible(page)
