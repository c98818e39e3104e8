"""An exercise's script in the browser: the duty officer adds injects (one for a chosen
participant) and withdraws one; once delivered, the dashboard (live) and the report page
show each participant the injects meant for it, marked ÖVNING."""

from __future__ import annotations

from aiohttp import web
from playwright.async_api import expect

from service import keys
from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api


async def test_a_script_is_written_and_its_injects_reach_their_audience(
    people: People, api: Api, app: web.Application
) -> None:
    incident = await api.activate(exercise=True, title="Stormövning")
    path = f"/incidents/{incident['id']}"
    officer = await people.make("LST-14", "duty_officer", "TiB Västra Götaland")
    console = await people.login(officer, path=f"{path}/injects")
    await expect(console.locator("h1")).to_contain_text("ÖVNING")
    await console.fill("#new-text", "Elnätet i Vårgårda är nere.")
    await console.fill("#new-offset", "0")
    await console.check("form[action$='/injects'] input[name=audience][value='1442']")
    await console.click("form[action$='/injects'] button[type=submit]")
    await expect(console.locator("p.note[role=status]")).to_contain_text("Sparat")
    await console.fill("#new-text", "Alla: vattenverket rapporterar störning.")
    await console.fill("#new-attachment-1-name", "Pressmeddelande")
    await console.fill("#new-attachment-1-text", "Kommunen informerar …")
    await console.fill("#new-offset", "0")
    await console.click("form[action$='/injects'] button[type=submit]")
    await console.fill("#new-text", "Struket inspel")
    await console.fill("#new-offset", "600")
    await console.click("form[action$='/injects'] button[type=submit]")
    await console.get_by_role("button", name="Dra tillbaka: Inspel 3").click()
    await expect(console.locator("#inject-3 .inject-state")).to_have_text("Tillbakadraget")
    await console.fill("#template-name", "Kvartalsövning storm")
    await console.get_by_role("button", name="Spara manuset som mall").click()
    await expect(console.locator("#template-id")).to_contain_text("Kvartalsövning storm (2)")
    await assert_accessible(console)
    await shoot(console, "injects-script")

    room = await people.make("LST-14", "viewer", "Länsstyrelsens stab")
    live = await people.login(room, path=path)
    await expect(live.locator("#injects-panel")).to_contain_text("Inga inspel har levererats.")
    await expect(live.locator("#conn")).to_have_attribute("data-state", "live")

    await app[keys.rounds_job].run_due(app[keys.clock].now())
    # Live on the open dashboard, without reloading it: both injects, the room sees all.
    await expect(live.locator("#injects-panel li")).to_have_count(2)
    await expect(live.locator("#injects-panel")).to_contain_text("Elnätet i Vårgårda är nere.")
    await console.reload()
    await expect(console.locator("#inject-1 .inject-state")).to_have_text("Levererat")

    vargarda = await people.make("1442", "reporter", "Rapportör Vårgårda")
    report = await people.login(vargarda, path=f"{path}/report")
    panel = report.locator("#injects-panel")
    await expect(panel.locator("h2")).to_contain_text("ÖVNING")
    await expect(panel).to_contain_text("Elnätet i Vårgårda är nere.")
    await expect(panel).to_contain_text("Pressmeddelande")
    await expect(panel).not_to_contain_text("Struket")
    await assert_accessible(report)
    await shoot(report, "injects-report-page")

    ale = await people.make("1440", "viewer", "Krisledning Ale")
    dashboard = await people.login(ale, path=path)
    panel = dashboard.locator("#injects-panel")
    await expect(panel).to_contain_text("vattenverket")
    await expect(panel).not_to_contain_text("Vårgårda är nere")
    await assert_accessible(dashboard)


async def test_an_inject_delivered_while_the_report_page_is_open_appears_on_it(
    people: People, api: Api, app: web.Application
) -> None:
    incident = await api.activate(exercise=True, title="Stormövning")
    added = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/injects",
        as_=("LST-14", "duty_officer"),
        json_body={"text": "Vägen till Sollebrunn är avstängd.", "offset_minutes": 0},
    )
    assert added.status == 201, added.body
    vargarda = await people.make("1442", "reporter", "Rapportör Vårgårda")
    report = await people.login(vargarda, path=f"/incidents/{incident['id']}/report")
    panel = report.locator("#injects-panel")
    await expect(panel).to_contain_text("Inga inspel har levererats.")
    await expect(panel).to_have_attribute("data-stream", "live")

    await app[keys.rounds_job].run_due(app[keys.clock].now())
    # On the open page, without reloading it (a draft being written stays as it is).
    await expect(panel).to_contain_text("Vägen till Sollebrunn är avstängd.")
    await assert_accessible(report)
