"""The national page in Chromium: Swedish, accessible, live, exercises apart."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from service.clock import SystemClock
from service.config import Settings
from service.demo.county import DEMO_TITLE, ensure_demo
from tests.browser.conftest import PHONE, People
from tests.browser.support import SHOTS, assert_accessible, shoot
from tests.support import Api, report


async def test_an_agency_sees_every_county_live_with_exercises_apart(
    people: People, api: Api
) -> None:
    storm = await api.activate(title="Storm i Sjuhärad")
    await api.activate(by="LST-13", county="13", title="Skogsbrand", participants=["1380"])
    drill = await api.activate(title="Storm Gudrun", exercise=True)
    body = report("1442", sectors=[{"sector": "energy", "status": "serious"}])
    assert (await api.submit(storm["id"], body)).status == 201
    drilled = report("1443", sectors=[{"sector": "water", "status": "critical"}])
    assert (await api.submit(drill["id"], drilled)).status == 201

    msb = await people.make("MSB", "viewer")
    page = await people.login(msb, path="/national")
    await expect(page.locator("h1")).to_have_text("Nationell lägesbild")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    real = page.locator('[data-part="real"]')
    exercise = page.locator('[data-part="exercise"]')
    vg = real.locator('tr[data-county="14"]')
    await expect(vg.locator("th")).to_have_text("Västra Götalands län")
    await expect(vg).to_contain_text("Allvarlig")  # the level in words, not only colour
    await expect(real.locator('tr[data-county="13"]')).to_contain_text("Hallands län")
    await expect(real).not_to_contain_text("Storm Gudrun")
    await expect(exercise.locator('tr[data-county="14"]')).to_contain_text("ÖVNING")
    await expect(exercise.locator('tr[data-county="14"]')).to_contain_text("Kritisk")
    await expect(exercise).to_contain_text("Storm Gudrun")
    await expect(page.locator('[data-total="incidents"]')).to_have_text("2")
    # The counties map: the real incidents' counties by level (a digit and a name, never
    # colour alone), linked to their rows; an exercise's county is not painted for it.
    vg_area = page.locator('#counties .area[data-code="14"]')
    await expect(vg_area).to_have_class(re.compile(r"\blvl-serious\b"))
    await expect(vg_area).to_have_attribute("href", "#real-county-14")
    await expect(vg_area).to_have_attribute("aria-label", re.compile("Västra Götalands län"))
    await expect(page.locator('#counties .mark[data-code="14"]')).to_have_text("3")
    await expect(page.locator('#counties .area[data-code="13"]')).not_to_have_class(
        re.compile(r"\bout\b")
    )
    await expect(page.locator('#counties .area[data-code="01"]')).to_have_class(
        re.compile(r"\bout\b")
    )
    await assert_accessible(page)
    await shoot(page, "national")

    # Live: a report from another municipality raises the county's energy level.
    worse = report("1440", sectors=[{"sector": "energy", "status": "critical"}])
    assert (await api.submit(storm["id"], worse)).status == 201
    # The sectors follow county, incidents, impact, reporting, needs, requests, summary.
    await expect(vg.locator("td").nth(7)).to_have_text("Kritisk")
    await expect(vg_area).to_have_class(re.compile(r"\blvl-critical\b"))
    await expect(page.locator('[data-total="reports"]')).to_have_text("2 av 6")

    phone = await people.login(msb, PHONE, path="/national")
    await expect(phone.locator("h1")).to_have_text("Nationell lägesbild")
    await expect(phone.locator("#conn")).to_have_attribute("data-state", "live")
    weight = await _transferred(phone)
    (SHOTS.parent / "page-weight-national.txt").write_text(
        f"/national on a phone, right after the log-in page: {weight} bytes transferred\n",
        encoding="utf-8",
    )
    assert weight < 250 * 1024
    await assert_accessible(phone)
    await shoot(phone, "national-phone")


async def test_the_national_page_speaks_english_too(people: People, api: Api) -> None:
    drill = await api.activate(title="Storm Gudrun", exercise=True)
    drilled = report("1443", sectors=[{"sector": "water", "status": "critical"}])
    assert (await api.submit(drill["id"], drilled)).status == 201
    admin = await people.make("LST-14", "admin")
    page = await people.login(admin, path="/national")
    await page.click("a[lang=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text("National overview")
    await expect(page.locator("#exercises-h")).to_contain_text("EXERCISE")
    await expect(page.locator('[data-part="exercise"] tr[data-county="14"]')).to_contain_text(
        "Critical"
    )
    await expect(page.locator('[data-part="real"] .empty-note')).to_have_text(
        "No active incidents."
    )
    await expect(page.locator('[data-part="real"] .incidents-block')).to_be_hidden()
    # An incident activated now appears without a reload.
    await api.activate(title="Skogsbrand", by="LST-13", county="13", participants=["1380"])
    await expect(page.locator('[data-part="real"] .incidents-block')).to_contain_text("Skogsbrand")
    await expect(page.locator('[data-part="real"] tr[data-county="13"]')).to_be_visible()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await shoot(page, "national-english")
    await assert_accessible(page)


async def test_a_county_board_is_told_the_national_page_does_not_exist(
    people: People, api: Api, base_url: str
) -> None:
    await api.activate()
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer)
    response = await page.goto(f"{base_url}/national")
    assert response is not None
    assert response.status == 404
    await expect(page.locator("nav")).not_to_contain_text("Nationell lägesbild")


async def _transferred(page: Page) -> int:
    """Bytes the page and what it loaded took on the wire (headers and compression in)."""
    total: int = await page.evaluate(
        """() => [...performance.getEntriesByType("navigation"),
                  ...performance.getEntriesByType("resource")]
                 .reduce((sum, entry) => sum + (entry.transferSize || 0), 0)"""
    )
    assert total > 0
    return total


async def test_the_demos_msb_user_sees_vastra_gotalands_exercise(
    people: People, dsn: str, settings: Settings
) -> None:
    assert await ensure_demo(dsn, settings, clock=SystemClock()) is not None
    msb = await people.make("MSB", "viewer", name="Nationell lägesbild MSB")
    page = await people.login(msb, path="/national")
    row = page.locator('[data-part="exercise"] tr[data-county="14"]')
    await expect(row.locator("th")).to_have_text("ÖVNING Västra Götalands län")
    await expect(row).to_contain_text("av 49")
    await expect(page.locator('[data-part="exercise"] .incident-list')).to_contain_text(DEMO_TITLE)
    await expect(page.locator('[data-part="real"] .empty-note')).to_be_visible()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await shoot(page, "national-demo")
    await assert_accessible(page)
