"""The dashboard's Rakel read-out panel, and the deliveries page it leads the county
board to: who was reminded of what, delivered or not, and the dead letters."""

from __future__ import annotations

import uuid

from aiohttp import web
from playwright.async_api import expect

from service import keys
from service.clock import Clock
from service.outbox import repo
from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, report


async def _dead_letter(app: web.Application, incident_id: str, clock: Clock) -> None:
    """A reminder to an address no server takes, already given up."""
    async with app[keys.pool].acquire() as conn:
        await repo.enqueue(
            conn,
            destination="email",
            kind="reminder.due",
            message_id=f"reminder:{incident_id}:dead",
            payload={
                "to": ["isk@ale.example.se"],
                "subject": "Lägesrapport saknas (2026-11-22 14:00) – Storm",
                "text": "…",
                "organisation": "1440",
                "due_at": "2026-11-22T13:00:00Z",
            },
            at=clock.now(),
            incident_id=uuid.UUID(incident_id),
        )
        await conn.execute(
            "UPDATE outbox SET status = 'dead', attempts = 6, last_error = 'SMTP 550'"
        )


async def test_the_duty_officer_shows_the_readout_and_the_dead_letters(
    people: People, api: Api, app: web.Application, clock: Clock
) -> None:
    incident = await api.activate(exercise=True)
    await api.submit(
        incident["id"],
        report(
            "1442",
            situation="Träd över vägen.",
            sectors=[{"sector": "energy", "status": "critical", "text": "1 200 hushåll"}],
        ),
    )
    await _dead_letter(app, incident["id"], clock)
    path = f"/incidents/{incident['id']}"
    officer = await people.make("LST-14", "duty_officer", "TiB Västra Götaland")
    page = await people.login(officer, path=path)
    panel = page.locator("#readout")
    await panel.get_by_role("button", name="Visa uppläsningen").click()
    text = panel.locator("#readout-text")
    await expect(text.locator("p").first).to_have_text("ÖVNING, ÖVNING, ÖVNING.")
    await expect(text).to_contain_text("Kritisk påverkan på el och värme i Vårgårda.")
    await expect(text.locator("p").last).to_have_text("ÖVNING, ÖVNING, ÖVNING.")
    await expect(panel.locator("#readout-meta")).to_contain_text("ord")
    await page.select_option("#readout-whom", "1442")
    await panel.get_by_role("button", name="Visa uppläsningen").click()
    await expect(text).to_contain_text("Lägesrapport från Vårgårda, version ett")
    await expect(text).to_contain_text("ett tusen två hundra hushåll")
    await shoot(page, "dashboard-readout", of=panel)
    await assert_accessible(page)

    await panel.get_by_role("link", name="Påminnelser och leveranser").click()
    await expect(page.locator("h1")).to_contain_text("Påminnelser och leveranser")
    dead = page.locator("#dead")
    await expect(dead).to_contain_text("Lägesrapport saknas (2026-11-22 14:00) – Storm")
    await expect(dead).to_contain_text("isk@ale.example.se")
    await expect(dead).to_contain_text("Ale (1440)")
    await expect(dead).to_contain_text("Kunde inte levereras")
    await expect(dead).to_contain_text("SMTP 550")
    await expect(page.locator("#delivery-counts")).to_contain_text("1 kunde inte levereras")
    await shoot(page, "deliveries")
    await assert_accessible(page)


async def test_a_reporter_gets_the_readout_but_not_the_deliveries(people: People, api: Api) -> None:
    incident = await api.activate()
    path = f"/incidents/{incident['id']}"
    reporter = await people.make("1442", "reporter", "ISK Vårgårda")
    page = await people.login(reporter, path=path)
    panel = page.locator("#readout")
    await panel.get_by_role("button", name="Visa uppläsningen").click()
    await expect(panel.locator("#readout-text")).to_contain_text("Samlad lägesbild för")
    await expect(panel.get_by_role("link", name="Påminnelser och leveranser")).to_have_count(0)
    await page.goto(f"{people.base_url}{path}/deliveries")
    await expect(page.locator("main")).not_to_contain_text("Kunde inte levereras")
