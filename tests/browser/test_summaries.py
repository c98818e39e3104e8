"""The county board's summary in Chromium: two editors on one draft (a 412 for the stale
one, both see the merge), publishing number 1 and then 2, and the pages' accessibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from playwright.async_api import Page, Response, expect

from service.repo import summaries as summary_repo
from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, report


def _saved(response: Response) -> bool:
    return response.request.method == "PUT" and response.status == 200


async def _ready(page: Page) -> None:
    await expect(page.locator("#draft-form")).to_have_attribute("data-ready", "true")


async def test_two_editors_merge_and_the_duty_officer_publishes_one_then_two(
    people: People, api: Api
) -> None:
    incident = await api.activate(exercise=True, title="Storm i Sjuhärad")
    incident_id = incident["id"]
    await api.submit(
        incident_id, report("1442", sectors=[{"sector": "energy", "status": "serious"}])
    )
    draft = f"/incidents/{incident_id}/summaries/draft"
    conn = await asyncpg.connect(api.dsn)
    try:  # a recipient of the county's summaries (no SMTP here: it stays pending)
        await summary_repo.add_recipient(
            conn, county="14", email="tib@msb.example", webhook_id=None, at=datetime.now(UTC)
        )
    finally:
        await conn.close()
    anna = await people.make("LST-14", "duty_officer", "Anna Ahlström")
    bo = await people.make("LST-14", "viewer", "Bo Berg")

    a = await people.login(anna, path=draft)
    await _ready(a)
    # Bo's timers run only when the test says so: his autosave comes after Anna's.
    b = await people.login(bo, path=f"/incidents/{incident_id}")
    await b.clock.install()
    statuses: list[int] = []
    b.on(
        "response",
        lambda response: (
            statuses.append(response.status) if response.request.method == "PUT" else None
        ),
    )
    await b.goto(people.base_url + draft)
    await _ready(b)
    await b.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    await expect(b.locator("#follow-energy")).to_contain_text("Allvarlig")

    await b.fill("#other", "Bo: samverkan med regionen kl 15")
    await a.fill("#assessment", "Stormen har slagit ut elen i Sjuhärad.")
    await expect(a.locator("#save-state")).to_have_text("Sparat")
    await expect(a.locator("#last-edit")).to_contain_text("Anna Ahlström")

    await b.clock.run_for(2000)
    await expect(b.locator("#merge")).to_be_visible()
    await expect(b.locator("#merged-in")).to_contain_text("Samlad bedömning")
    await expect(b.locator("#assessment")).to_have_value("Stormen har slagit ut elen i Sjuhärad.")
    await expect(b.locator("#save-state")).to_have_text("Sparat")
    assert statuses[:2] == [412, 200], statuses
    await expect(b.locator("#last-edit")).to_contain_text("Bo Berg")
    # Anna's page takes in Bo's merged save (she is not typing).
    await expect(a.locator("#other")).to_have_value(
        "Bo: samverkan med regionen kl 15", timeout=15_000
    )
    await expect(a.locator("#assessment")).to_have_value("Stormen har slagit ut elen i Sjuhärad.")

    # Both change the assessment: Bo chooses between the versions.
    await b.fill("#assessment", "Bo: läget stabiliseras.")
    async with a.expect_response(_saved):
        await a.fill("#assessment", "Anna: elen tillbaka i Borås.")
    await b.clock.run_for(2000)
    await expect(b.locator("#clashes fieldset")).to_have_count(1)
    await expect(b.locator("#clashes")).to_contain_text("Anna: elen tillbaka i Borås.")
    await shoot(b, "summary-draft-merge")
    await b.check("#choice-assessment-theirs")
    await b.click("#save-merge")
    await expect(b.locator("#save-state")).to_have_text("Sparat")
    await expect(b.locator("#assessment")).to_have_value("Anna: elen tillbaka i Borås.")
    await expect(b.locator("#publish")).to_have_count(0)  # a viewer does not publish

    # Anna publishes number 1, warned of the blank sections.
    await expect(a.locator("#other")).to_have_value(
        "Bo: samverkan med regionen kl 15", timeout=15_000
    )
    async with a.expect_response(_saved):
        await a.select_option("#level-water", "moderate")
        await a.fill("#reason-water", "Reservkraft vid två vattenverk")
    await expect(a.locator("#blank-list")).to_contain_text("Vidtagna åtgärder")
    await expect(a.locator("#changed-list")).to_contain_text("första")
    await shoot(a, "summary-draft")
    await assert_accessible(a)
    await a.click("#publish")
    await expect(a.locator("#publish-errors")).to_be_visible()
    await a.check("#publish-anyway")
    await a.click("#publish")
    await a.wait_for_url(f"**/incidents/{incident_id}/summaries/1")
    await expect(a.locator("h1")).to_contain_text("Samlad lägesbild nr 1")
    await expect(a.locator(".exercise-banner")).to_contain_text("ÖVNING")
    await expect(a.locator("main")).to_contain_text("Reservkraft vid två vattenverk")
    delivery = a.locator("#deliveries tr[data-recipient='tib@msb.example']")
    await expect(delivery).to_have_attribute("data-status", "pending")
    await expect(delivery).to_contain_text("Väntar")
    await shoot(a, "summary-1")
    await assert_accessible(a)

    # And number 2, with what changed since number 1.
    await a.goto(people.base_url + draft)
    await _ready(a)
    await expect(a.locator("#changed-list")).to_contain_text("Inget ändrat sedan nr 1")
    async with a.expect_response(_saved):
        await a.fill("#measures_taken", "Samverkanskonferens 10:00\nVärmestugor öppna")
    await expect(a.locator("#changed-list")).to_contain_text("Ändrat sedan nr 1: Vidtagna åtgärder")
    await expect(a.locator("#publish")).to_have_text("Publicera nr 2")
    await a.check("#publish-anyway")
    await a.click("#publish")
    await a.wait_for_url(f"**/incidents/{incident_id}/summaries/2")
    await expect(a.locator("h1")).to_contain_text("Samlad lägesbild nr 2")
    await expect(a.locator("main")).to_contain_text("Värmestugor öppna")

    listed = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/summaries", as_=("LST-14", "viewer")
    )
    assert [s["number"] for s in listed.body["summaries"]] == [1, 2]
    assert listed.body["summaries"][0]["published_by"] == "Anna Ahlström"

    await a.goto(f"{people.base_url}/incidents/{incident_id}/summaries")
    await expect(a.locator("table.summary-table tbody tr")).to_have_count(2)
    await shoot(a, "summary-list")
    await assert_accessible(a)
    await a.goto(f"{people.base_url}/incidents/{incident_id}")
    await expect(a.locator(f"a[href='/incidents/{incident_id}/summaries']")).to_be_visible()


async def test_summary_pages_in_english_and_closed_to_those_who_may_not(
    people: People, api: Api
) -> None:
    incident = await api.activate(title="Storm i Sjuhärad")
    incident_id = incident["id"]
    path = f"/api/v1/incidents/{incident_id}/summaries"
    assert (await api.call("POST", path, as_=("LST-14", "duty_officer"))).status == 201
    viewer = await people.make("LST-14", "viewer", "Vera Viewer")
    page = await people.login(viewer, path=f"/incidents/{incident_id}/summaries/1")
    await page.goto(f"{people.base_url}/lang/en?next=/incidents/{incident_id}/summaries/1")
    await expect(page.locator("h1")).to_contain_text("Summary no. 1")
    await expect(page.locator("#dist-h")).to_have_text("Distribution")
    await page.goto(f"{people.base_url}/incidents/{incident_id}/summaries/draft")
    await expect(page.locator("h1")).to_contain_text("Draft summary")
    await _ready(page)
    await expect(page.locator("#changed-list")).to_contain_text("Nothing changed since no. 1")
    await expect(page.locator("#publish")).to_have_count(0)

    reporter = await people.make("1442", "reporter")
    municipal = await people.login(reporter, path=f"/incidents/{incident_id}/summaries/1")
    await expect(municipal.locator("h1")).to_contain_text("Samlad lägesbild nr 1")
    refused = await municipal.goto(f"{people.base_url}/incidents/{incident_id}/summaries/draft")
    assert refused is not None
    assert refused.status == 403

    neighbour = await people.make("LST-13", "duty_officer")
    other = await people.login(neighbour)
    for where in ("summaries", "summaries/draft", "summaries/1"):
        hidden = await other.goto(f"{people.base_url}/incidents/{incident_id}/{where}")
        assert hidden is not None
        assert hidden.status == 404
