"""What a person is told when the way to the service fails: a proxy's error page or no
answer at all is said in the page's language, never as a script's error message."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, Route, expect

from tests.browser.conftest import PHONE, People
from tests.browser.support import shoot
from tests.support import Api, report

BAD_GATEWAY = (
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)
TOO_LARGE = "<html><head><title>413 Request Entity Too Large</title></head><body></body></html>"


def proxy_page(status: int, body: str) -> Callable[[Route], Awaitable[None]]:
    """A route handler that answers as a proxy in front of the service would."""

    async def answer(route: Route) -> None:
        await route.fulfill(status=status, content_type="text/html", body=body)

    return answer


async def _officer_page(people: People, path: str) -> Page:
    officer = await people.make("LST-14", "duty_officer", "TiB Väst")
    return await people.login(officer, path=path)


async def test_activation_behind_a_failing_proxy_says_so_in_swedish(people: People) -> None:
    page = await _officer_page(people, "/incidents/new")
    await page.route(re.compile(r"/api/v1/incidents$"), proxy_page(502, BAD_GATEWAY))
    await page.fill("#title", "Vattenläcka Borås")
    await page.click("main button[type=submit].primary")
    errors = page.locator("#form-errors")
    await expect(errors).to_have_text(
        "Tjänsten svarade inte som väntat (fel 502). Försök igen om en stund."
    )
    await shoot(page, "incident-new-proxy-error")


async def test_activation_with_no_answer_says_the_service_could_not_be_reached(
    people: People,
) -> None:
    page = await _officer_page(people, "/incidents/new")
    await page.route(re.compile(r"/api/v1/incidents$"), lambda route: route.abort())
    await page.fill("#title", "Vattenläcka Borås")
    await page.click("main button[type=submit].primary")
    await expect(page.locator("#form-errors")).to_have_text(
        "Tjänsten gick inte att nå. Kontrollera anslutningen och försök igen."
    )


async def test_change_behind_a_failing_proxy_says_so_in_english_on_the_english_page(
    people: People, api: Api
) -> None:
    incident = await api.activate()
    page = await _officer_page(people, f"/incidents/{incident['id']}/edit")
    await page.click("a[lang=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.route(re.compile(r"/api/v1/incidents/[^/]+$"), proxy_page(502, BAD_GATEWAY))
    await page.fill("#title", "Storm i Sjuhärad, dag 2")
    await page.click("main button[type=submit].primary")
    await expect(page.locator("#form-errors")).to_have_text(
        "The service did not answer as expected (error 502). Try again in a moment."
    )


async def test_closing_behind_a_failing_proxy_says_so_in_swedish(people: People, api: Api) -> None:
    incident = await api.activate()
    page = await _officer_page(people, f"/incidents/{incident['id']}/close")
    await page.route(re.compile(r"/close$"), proxy_page(502, BAD_GATEWAY))
    await page.fill("#summary", "Läget är normalt.")
    await page.check("#confirm")
    await page.click("main button[type=submit].danger")
    await expect(page.locator("#form-errors")).to_have_text(
        "Tjänsten svarade inte som väntat (fel 502). Försök igen om en stund."
    )
    still = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=("LST-14", "viewer"))
    assert still.body["status"] == "active"


async def test_report_refused_by_the_proxy_keeps_the_draft_and_says_why_in_swedish(
    people: People, api: Api
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", situation="Lugnt"))).status == 201
    reporter = await people.make("1442", "reporter")
    phone = await people.login(reporter, PHONE, path=f"/incidents/{incident['id']}/report")
    await phone.route(re.compile(r"/reports$"), proxy_page(413, TOO_LARGE))
    await phone.fill("#situation", "Storm; 1 200 hushåll utan ström.")
    await phone.click("#review")
    await phone.click("#send")
    await expect(phone.locator("#receipt")).to_contain_text("Rapporten togs inte emot.")
    await expect(phone.locator("#form-errors")).to_have_text(
        "Tjänsten svarade inte som väntat (fel 413). Försök igen om en stund."
    )
    await expect(phone.locator("#situation")).to_have_value("Storm; 1 200 hushåll utan ström.")
    await shoot(phone, "report-proxy-refused-phone")
