"""The dashboard shows the incident's short code, the one reports by e-mail name."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from service.domain.plaintext import incident_code
from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_the_dashboard_shows_the_short_code_to_name_the_incident_in_a_mail(
    people: People, api: Api, base_url: str
) -> None:
    incident = await api.activate(exercise=True, title="Storm Gudrun")
    code = incident_code(uuid.UUID(incident["id"]))
    reporter = await people.make("1442", "reporter", "ISK Vårgårda")
    page = await people.login(reporter, PHONE)

    await page.goto(f"{base_url}/incidents/{incident['id']}")

    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    shown = page.locator(".stats div", has=page.locator("#incident-code"))
    await expect(shown.locator("dt")).to_have_text("Kod för rapport med e-post")
    await expect(shown.locator("dd")).to_have_text(code)
    await shoot(page, "dashboard-code-phone", of=page.locator(".stats"))
    await assert_accessible(page)
