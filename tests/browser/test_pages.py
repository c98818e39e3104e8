"""Every page, for every role: it renders, it is accessible, and a person can see it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from aiohttp import web
from playwright.async_api import expect

from service import keys
from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, report


async def _exercise(api: Api) -> str:
    incident = await api.activate(exercise=True, title="Storm Gudrun")
    incident_id: str = incident["id"]
    first = report(
        "1442",
        situation="Träd över ledningar.",
        sectors=[{"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"}],
        needs=[{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
    )
    second = report(
        "1442",
        situation="Träd över ledningar, röjning pågår.",
        sectors=[{"sector": "energy", "status": "significant", "text": "600 hushåll utan ström"}],
        needs=[{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
    )
    for body in (first, second):
        assert (await api.submit(incident_id, body)).status == 201
    return incident_id


async def test_login_page_is_swedish_and_accessible(people: People, base_url: str) -> None:
    context = await people.context()
    page = await context.new_page()
    await page.goto(f"{base_url}/login")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.locator("h1")).to_have_text("Logga in")
    await shoot(page, "login")
    await assert_accessible(page)


async def test_wrong_password_says_so_without_telling_which_part(
    people: People, base_url: str
) -> None:
    person = await people.make("1442", "reporter")
    context = await people.context()
    page = await context.new_page()
    await page.goto(f"{base_url}/login")
    await page.fill("#email", person.email)
    await page.fill("#password", "not the password")
    await page.click("main button[type=submit]")
    await expect(page.locator("[role=alert]")).to_have_text("Fel e-postadress eller lösenord.")
    await assert_accessible(page)


async def test_viewer_sees_incident_list_dashboard_and_history(
    people: People, api: Api, base_url: str
) -> None:
    incident_id = await _exercise(api)
    viewer = await people.make("LST-14", "viewer", "Lägesbild LST")
    page = await people.login(viewer)
    await expect(page.locator(".exercise-tag").first).to_be_visible()
    await shoot(page, "incidents-viewer")
    await assert_accessible(page)

    await page.click(f"a[href='/incidents/{incident_id}']")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.locator(".exercise-banner")).to_contain_text("ÖVNING")
    await expect(page.locator("tr[data-code='1442'] td").nth(0)).to_have_text("Betydande")
    await expect(page.locator("#needs")).to_contain_text("Två reservelverk")
    await expect(page.locator("#missing")).to_contain_text("Ale")
    await expect(page.locator("#timeline table")).to_have_count(7)
    rows = page.locator("#matrix tbody th")
    await expect(rows.first).to_have_text("Vårgårda")  # the most affected first
    await page.click("button[data-sort=name]")
    await expect(rows).to_have_text(["Ale", "Bollebygd", "Grästorp", "Lerum", "Vårgårda"])
    await expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
    await page.click("button[data-sort=name]")
    await expect(rows.first).to_have_text("Vårgårda")
    await shoot(page, "dashboard")
    await assert_accessible(page)

    await page.click("tr[data-code='1442'] th a")
    await expect(page.locator("h1")).to_contain_text("Vårgårda")
    changes = page.locator(".history > li").first.locator(".changes")
    await expect(changes).to_contain_text("Allvarlig: 1 200 hushåll utan ström")
    await expect(changes).to_contain_text("Betydande: 600 hushåll utan ström")
    await shoot(page, "history")
    await assert_accessible(page)


async def test_reporter_sees_report_form_on_a_phone(
    people: People, api: Api, base_url: str
) -> None:
    incident_id = await _exercise(api)
    reporter = await people.make("1442", "reporter", "ISK Vårgårda")
    page = await people.login(reporter, PHONE)
    await shoot(page, "incidents-reporter-phone")
    await assert_accessible(page)
    await page.click(f"a[href='/incidents/{incident_id}/report']")
    await expect(page.locator("#situation")).to_have_value("Träd över ledningar, röjning pågår.")
    await expect(page.locator("#sector-energy-status")).to_have_value("significant")
    await expect(page.locator("#unchanged")).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the report page scrolls sideways on a phone"
    await shoot(page, "report-phone")
    await assert_accessible(page)


async def test_duty_officer_pages_are_accessible(people: People, api: Api, base_url: str) -> None:
    incident_id = await _exercise(api)
    officer = await people.make("LST-14", "duty_officer", "TiB Väst")
    page = await people.login(officer)
    await page.click("a[href='/incidents/new']")
    await expect(page.locator("#participants input:checked")).to_have_count(
        49
    )  # every municipality of county 14
    await shoot(page, "incident-new")
    await assert_accessible(page)
    await page.goto(f"{base_url}/incidents/{incident_id}/edit")
    await expect(page.locator("#title")).to_have_value("Storm Gudrun")
    await shoot(page, "incident-edit")
    await assert_accessible(page)
    await page.goto(f"{base_url}/incidents/{incident_id}/close")
    await shoot(page, "incident-close")
    await assert_accessible(page)


async def test_english_switch_translates_the_page(people: People, api: Api) -> None:
    incident_id = await _exercise(api)
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, path=f"/incidents/{incident_id}")
    await page.click("a[lang=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#matrix-h")).to_have_text("Impact per municipality and sector")
    await expect(page.locator("tr[data-code='1442'] td").nth(0)).to_have_text("Significant")
    await shoot(page, "dashboard-english")
    await assert_accessible(page)


async def test_an_incident_one_may_not_see_is_not_found(
    people: People, api: Api, base_url: str
) -> None:
    await _exercise(api)
    stranger = await people.make("0180", "reporter")
    page = await people.login(stranger)
    response = await page.goto(f"{base_url}/incidents/{uuid.uuid4()}")
    assert response is not None
    assert response.status == 404
    await expect(page.locator("h1")).to_have_text("Sidan finns inte.")


async def test_past_round_shows_its_snapshot_and_who_was_missing(
    people: People, api: Api, app: web.Application
) -> None:
    now = datetime.now(UTC)
    incident = await api.activate(
        schedule={
            "kind": "interval",
            "interval_minutes": 60,
            "first_due_at": (now + timedelta(seconds=2)).isoformat(),
        }
    )
    assert (await api.submit(incident["id"], report("1442"))).status == 201
    await app[keys.rounds_job].run_due(now + timedelta(minutes=1))
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    await page.click("#rounds a")
    await expect(page.locator("h1")).to_contain_text("Läget vid rapporteringstiden")
    await expect(page.locator("#overdue-h")).to_contain_text("(4)")
    await expect(page.locator("#on_time-h")).to_contain_text("(1)")
    await shoot(page, "round")
    await assert_accessible(page)


async def test_admin_logs_in_and_sees_every_incident(people: People, api: Api) -> None:
    await _exercise(api)
    elsewhere = await api.activate(by="LST-01", county="01", participants=["0180"], title="Skyfall")
    admin = await people.make("MSB", "admin", "Administratör")
    page = await people.login(admin)
    await expect(page.locator("ul.cards h3")).to_have_count(2)
    await expect(page.locator(f"h3 a[href='/incidents/{elsewhere['id']}']")).to_contain_text(
        "Skyfall"
    )
    await expect(page.locator(".who")).to_contain_text("administratör")
    await assert_accessible(page)
