"""What changed between two reports: the review before sending and the history page say
the same, field by field, because one module says it for both."""

from __future__ import annotations

from playwright.async_api import Locator, expect

from tests.browser.conftest import PASSWORD, PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, report

FIRST = report(
    "1442",
    situation="Träd över ledningar.",
    development={"trend": "stable", "text": "Vinden avtar i kväll."},
    sectors=[
        {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan ström"},
        {"sector": "water", "status": "moderate"},
    ],
    measures_taken=["Krisledningsstab upprättad"],
    needs=[{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
    management={"level": "staff", "text": "Stab dygnet runt"},
    public_information="Pressmeddelande kl. 10.",
    contact={"name": "Anna Berg", "phone": "0322-60 00 00"},
)


async def _pairs(changes: Locator) -> list[tuple[str, str]]:
    """(field, what changed) as a reader sees each line of a list of changes."""
    await expect(changes).to_be_visible()
    labels = await changes.locator("dt").all_inner_texts()
    values = await changes.locator("dd").all_inner_texts()
    return list(zip(labels, values, strict=True))


async def test_review_before_sending_and_history_show_the_same_changes(
    people: People, api: Api
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], FIRST)).status == 201
    reporter = await people.make("1442", "reporter", "ISK Vårgårda")
    # A phone set to another zone: typed times are still Stockholm's.
    phone = await people.login(
        reporter,
        PHONE,
        path=f"/incidents/{incident['id']}/report",
        timezone_id="America/New_York",
    )
    await phone.fill("#situation", "Träd över ledningar, röjning pågår.")
    await phone.check("input[name=trend][value=worsening]")
    await phone.select_option("#sector-energy-status", "critical")
    await phone.fill("#sector-energy-text", "3 000 hushåll utan ström")
    await phone.select_option("#sector-water-status", "")
    await phone.fill("#measures_planned", "Öppna värmestuga i Sollebrunn")
    await phone.locator("#needs [data-need=status]").first.select_option("resolved")
    await phone.click("#add-need")
    await phone.locator("#needs [data-need=text]").last.fill("Dricksvatten i dunkar")
    await phone.select_option("#management_level", "crisis_board")
    await phone.fill("#contact_phone", "070-123 45 67")
    await phone.fill("#next_report_at", "2031-01-15T16:00")
    await phone.click("#review")
    review = await _pairs(phone.locator("#summary .changes"))
    await shoot(phone, "report-review-changes-phone", of=phone.locator("#summary"))
    await assert_accessible(phone)
    await phone.click("#send")
    await expect(phone.locator("#receipt")).to_contain_text("version 2")

    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}/organisations/1442")
    newest = page.locator(".history > li").first
    history = await _pairs(newest.locator(".changes"))
    await expect(newest.locator(".report-full")).not_to_have_attribute("open", "")
    await newest.locator(".report-full summary").click()  # the whole report, one tap away
    await expect(newest.locator(".report-full")).to_contain_text("Dricksvatten i dunkar")
    await shoot(page, "history-changes")
    await assert_accessible(page)

    assert review == history
    by_label = dict(history)
    assert by_label["Aktuellt läge"] == (
        "Träd över ledningar. → Träd över ledningar, röjning pågår."
    )
    assert by_label["El och värme"] == (
        "Allvarlig: 1 200 hushåll utan ström → Kritisk: 3 000 hushåll utan ström"
    )
    assert by_label["Vatten och avlopp"] == "Måttlig → –"
    assert by_label["Behov gen-1"] == (
        "Två reservelverk (Hög, Öppet) → Två reservelverk (Hög, Löst)"
    )
    assert by_label["Nästa rapport senast"] == "2031-01-15 16:00"
    assert len(history) == 10, history


async def test_history_without_script_shows_every_report_in_full(people: People, api: Api) -> None:
    incident = await api.activate()
    second = report("1442", situation="Röjning pågår.", needs=FIRST["needs"])
    for body in (FIRST, second):
        assert (await api.submit(incident["id"], body)).status == 201
    viewer = await people.make("LST-14", "viewer")
    context = await people.context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{people.base_url}/login?next=/incidents/{incident['id']}/organisations/1442")
    await page.fill("#email", viewer.email)
    await page.fill("#password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"**/incidents/{incident['id']}/organisations/1442")
    newest, oldest = page.locator(".history > li").nth(0), page.locator(".history > li").nth(1)
    await expect(newest.locator(".report-full")).to_contain_text("Röjning pågår.")
    await expect(newest.locator(".report-full")).to_contain_text("Två reservelverk (Hög, Öppet)")
    full = oldest.locator(".report-full")
    for text in (
        "Träd över ledningar.",
        "Oförändrat",
        "Vinden avtar i kväll.",
        "Allvarlig: 1 200 hushåll utan ström",
        "Måttlig",
        "Krisledningsstab upprättad",
        "Stab – Stab dygnet runt",
        "Pressmeddelande kl. 10.",
        "Anna Berg, 0322-60 00 00",
    ):
        await expect(full).to_contain_text(text)
    await shoot(page, "history-without-script")
