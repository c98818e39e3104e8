"""What people do, end to end in Chromium: activate, report, watch live, lose the network."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import WSCloseCode, web
from playwright.async_api import Page, WebSocketRoute, expect

from service import keys
from tests.browser.conftest import PHONE, People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, report


async def _live_dashboard(people: People, incident_id: str) -> Page:
    viewer = await people.make("LST-14", "viewer", "Lägesbild LST")
    page = await people.login(viewer, path=f"/incidents/{incident_id}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    return page


Frame = dict[str, Any]


def _stream_between(
    page_sent: list[Frame], rewrite: Callable[[Frame], list[Frame]]
) -> Callable[[WebSocketRoute], None]:
    """A route for the page's stream: the real server's socket, with what the page sends
    recorded and each frame from the server replaced by `rewrite(frame)` (none, itself,
    or several)."""

    def route(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def from_page(message: str | bytes) -> None:
            page_sent.append(json.loads(message))
            server.send(message)

        def from_server(message: str | bytes) -> None:
            for frame in rewrite(json.loads(message)):
                socket.send(json.dumps(frame))

        socket.on_message(from_page)
        server.on_message(from_server)

    return route


def _is_report(frame: Frame) -> bool:
    return frame.get("type") == "event" and frame["event"]["kind"] == "report.submitted"


async def _rewritten_dashboard(
    people: People, api: Api, incident_id: str, rewrite: Callable[[Frame], list[Frame]]
) -> tuple[Page, list[Frame]]:
    """A live dashboard whose stream frames pass through `rewrite`; what the page sent."""
    viewer = await people.make("LST-14", "viewer")
    dashboard = await people.login(viewer)
    sent: list[Frame] = []
    await dashboard.route_web_socket(re.compile(r"/api/v1/stream$"), _stream_between(sent, rewrite))
    await dashboard.goto(f"{people.base_url}/incidents/{incident_id}")
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "live")
    for code, level in (("1440", "critical"), ("1441", "moderate")):
        body = report(code, sectors=[{"sector": "water", "status": level}])
        assert (await api.submit(incident_id, body)).status == 201
    return dashboard, sent


async def _stored_reports(dsn: str, incident_id: str, organisation: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM reports WHERE incident_id = $1 AND organisation = $2",
            incident_id,
            organisation,
        )
    finally:
        await conn.close()
    return count


async def test_duty_officer_activates_an_exercise_that_says_ovning(people: People) -> None:
    officer = await people.make("LST-14", "duty_officer", "TiB Väst")
    page = await people.login(officer)
    await page.click("a[href='/incidents/new']")
    await page.fill("#title", "Vattenläcka Borås")
    await page.fill("#description", "Otjänligt dricksvatten i centrala Borås.")
    await page.check("#exercise")
    await page.select_option("#severity", "high")
    await page.click("#none")
    await page.check("#org-1490")  # Borås
    await page.fill("#add-org", "Vårgårda (1442)")
    await page.click("#add-org-button")
    await expect(page.locator("#chosen-count")).to_have_text("2 valda")
    await page.fill("#times", "08:00, 16:00")
    await page.click("main button[type=submit].primary")
    await page.wait_for_url("**/incidents/*-*")
    await expect(page.locator(".exercise-banner")).to_be_visible()
    await expect(page.locator("h1")).to_contain_text("ÖVNING")
    await expect(page.locator("#matrix tbody tr[data-code]")).to_have_count(2)
    await expect(page.locator("#received")).to_have_text("0 av 2")

    await page.click("text=Ändra")
    await page.fill("#title", "Vattenläcka Borås och Vårgårda")
    await page.click("main button[type=submit].primary")
    await expect(page.locator("h1")).to_contain_text("Vattenläcka Borås och Vårgårda")

    await page.click("text=Avsluta händelsen")
    await page.fill("#summary", "Läckan lagad; vattnet är tjänligt igen.")
    await page.click("main button[type=submit].danger")
    await expect(page.locator("[role=alert]")).to_contain_text("Bekräfta")
    await page.check("#confirm")
    await page.click("main button[type=submit].danger")
    await expect(page.locator("#status")).to_have_text("Avslutad")
    await expect(page.locator("main")).to_contain_text("Läckan lagad")


async def test_first_interval_deadline_is_stockholm_time_on_a_device_in_another_zone(
    people: People, api: Api
) -> None:
    officer = await people.make("LST-14", "duty_officer", "TiB Väst")
    page = await people.login(officer, path="/incidents/new", timezone_id="America/New_York")
    await page.fill("#title", "Skogsbrand Tranemo")
    await page.click("#none")
    await page.check("#org-1490")
    await page.check("input[name=schedule_kind][value=interval]")
    await page.fill("#interval", "6")
    await page.fill("#first_due", "2031-01-15T14:00")  # winter: Stockholm is UTC+1
    await page.click("main button[type=submit].primary")
    await page.wait_for_url(re.compile(r"/incidents/[0-9a-f-]{36}$"))
    incident_id = page.url.rsplit("/", 1)[1]

    async def first_due() -> datetime:
        reply = await api.call("GET", f"/api/v1/incidents/{incident_id}", as_=("LST-14", "viewer"))
        return datetime.fromisoformat(reply.body["schedule"]["first_due_at"])

    assert await first_due() == datetime(2031, 1, 15, 13, 0, tzinfo=UTC)
    await page.goto(f"{people.base_url}/incidents/{incident_id}/edit")
    await expect(page.locator("#first_due")).to_have_value("2031-01-15T14:00")

    await page.fill("#first_due", "2031-07-01T14:00")  # summer: UTC+2
    await page.click("main button[type=submit].primary")
    await page.wait_for_url(re.compile(r"/incidents/[0-9a-f-]{36}$"))
    assert await first_due() == datetime(2031, 7, 1, 12, 0, tzinfo=UTC)
    await page.goto(f"{people.base_url}/incidents/{incident_id}/edit")
    await expect(page.locator("#first_due")).to_have_value("2031-07-01T14:00")
    await expect(page.locator("#first_due-help")).to_have_text("Svensk tid.")
    await shoot(page, "incident-edit-interval")
    await assert_accessible(page)


async def test_stockholm_wall_times_in_the_browser_agree_with_the_schedules_rule(
    people: People,
) -> None:
    """The pages' conversion of typed times is the rule daily schedules follow on the server
    (`zoneinfo`, fold 0), spring gap and autumn repeat included, on a device set elsewhere."""
    context = await people.context(timezone_id="America/New_York")
    page = await context.new_page()
    await page.goto(f"{people.base_url}/login")
    walls = [
        "2031-01-15T14:00",
        "2031-07-01T14:00",
        "2031-03-30T01:59",
        "2031-03-30T02:30",  # does not exist in Stockholm
        "2031-03-30T03:00",
        "2031-10-26T02:30",  # happens twice
        "2031-10-26T03:00",
        "2031-12-31T23:59",
    ]
    converted = await page.evaluate(
        """async (walls) => {
            const { stockholmInstant, stockholmWall } = await import("/static/common.js");
            return walls.map((wall) => {
                const instant = stockholmInstant(wall);
                return [instant, stockholmWall(instant)];
            });
        }""",
        walls,
    )
    stockholm = ZoneInfo("Europe/Stockholm")
    expected = []
    for wall in walls:
        instant = datetime.fromisoformat(wall).replace(tzinfo=stockholm).astimezone(UTC)
        shown = instant.astimezone(stockholm).strftime("%Y-%m-%dT%H:%M")
        expected.append([instant.isoformat(timespec="milliseconds").replace("+00:00", "Z"), shown])
    assert converted == expected
    assert expected[3][1] == "2031-03-30T03:30"


async def test_report_and_unchanged_from_a_phone_arrive_live_on_the_dashboard(
    people: People, api: Api, dsn: str
) -> None:
    incident = await api.activate(exercise=True)
    dashboard = await _live_dashboard(people, incident["id"])
    await expect(dashboard.locator("#received")).to_have_text("0 av 5")

    reporter = await people.make("1442", "reporter", "ISK Vårgårda")
    phone = await people.login(reporter, PHONE, path=f"/incidents/{incident['id']}/report")
    await phone.fill("#situation", "Storm; 1 200 hushåll utan ström.")
    await phone.check("input[name=trend][value=worsening]")
    await phone.select_option("#sector-energy-status", "serious")
    await phone.fill("#sector-energy-text", "1 200 hushåll utan ström")
    await phone.click("#add-need")
    await phone.locator("[data-need=text]").last.fill("Två reservelverk")
    await phone.click("#review")
    summary = phone.locator("#summary")
    await expect(summary).to_contain_text("El och värme")
    await expect(summary).to_contain_text("Allvarlig: 1 200 hushåll utan ström")
    await shoot(phone, "report-review-phone")
    await phone.click("#send")
    await expect(phone.locator("#receipt")).to_contain_text("Rapporten är mottagen")
    await expect(phone.locator("#receipt")).to_contain_text("version 1")

    row = dashboard.locator("tr[data-code='1442']")
    await expect(row.locator("td").nth(0)).to_have_text("Allvarlig")
    await expect(row).to_contain_text("Försämras")
    await expect(dashboard.locator("#needs")).to_contain_text("Två reservelverk")
    await expect(dashboard.locator("#received")).to_have_text("1 av 5")

    await phone.reload()
    await phone.click("#unchanged")
    await expect(phone.locator("#receipt")).to_contain_text("version 2")
    await expect(row).to_contain_text("(v2)")
    await expect(row.locator("td").nth(0)).to_have_text("Allvarlig")
    await shoot(dashboard, "dashboard-live")
    assert await _stored_reports(dsn, incident["id"], "1442") == 2


async def test_dashboard_resumes_after_a_cut_with_nothing_missing(
    people: People, api: Api, app: web.Application
) -> None:
    incident = await api.activate()
    dashboard = await _live_dashboard(people, incident["id"])
    # A dropped link: the browser is offline and the server has lost the socket.
    await dashboard.context.set_offline(True)
    await app[keys.hub].close_all(WSCloseCode.SERVICE_RESTART, "restarting")
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    await expect(dashboard.locator("body")).to_have_class(re.compile(r"\bis-stale\b"))
    for code, level in (("1440", "critical"), ("1441", "moderate"), ("1443", "none")):
        body = report(code, sectors=[{"sector": "water", "status": level}])
        assert (await api.submit(incident["id"], body)).status == 201
    await shoot(dashboard, "dashboard-reconnecting")
    await dashboard.context.set_offline(False)
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(dashboard.locator("#received")).to_have_text("3 av 5")
    await expect(dashboard.locator("tr[data-code='1440'] td").nth(0)).to_have_text("Kritisk")
    await expect(dashboard.locator("tr[data-code='1441'] td").nth(0)).to_have_text("Måttlig")
    await expect(dashboard.locator("tr[data-code='1443'] td").nth(0)).to_have_text("Ingen")


async def test_dashboard_that_misses_a_frame_asks_again_from_its_seq_and_misses_nothing(
    people: People, api: Api
) -> None:
    incident = await api.activate()
    dropped: list[int] = []

    def drop_first_report(frame: Frame) -> list[Frame]:
        if _is_report(frame) and not dropped:
            dropped.append(frame["seq"])  # lost on the way: the page never sees it
            return []
        return [frame]

    dashboard, sent = await _rewritten_dashboard(people, api, incident["id"], drop_first_report)

    await expect(dashboard.locator("#received")).to_have_text("2 av 5")
    await expect(dashboard.locator("tr[data-code='1440'] td").nth(0)).to_have_text("Kritisk")
    await expect(dashboard.locator("tr[data-code='1441'] td").nth(0)).to_have_text("Måttlig")
    topic = f"incident:{incident['id']}"
    assert sent[0] == {"type": "subscribe", "topic": topic}
    assert {"type": "subscribe", "topic": topic, "since": dropped[0] - 1} in sent[1:]


async def test_dashboard_ignores_a_repeated_frame_without_asking_again(
    people: People, api: Api
) -> None:
    incident = await api.activate()

    def repeat_reports(frame: Frame) -> list[Frame]:
        return [frame, frame] if _is_report(frame) else [frame]

    dashboard, sent = await _rewritten_dashboard(people, api, incident["id"], repeat_reports)

    await expect(dashboard.locator("#received")).to_have_text("2 av 5")
    await expect(dashboard.locator("tr[data-code='1440'] td").nth(0)).to_have_text("Kritisk")
    assert sent == [{"type": "subscribe", "topic": f"incident:{incident['id']}"}]


async def test_draft_survives_a_reload_offline_and_is_sent_once_when_back(
    people: People, api: Api, dsn: str
) -> None:
    incident = await api.activate()
    reporter = await people.make("1442", "reporter")
    phone = await people.login(reporter, PHONE, path=f"/incidents/{incident['id']}/report")
    await phone.wait_for_function("navigator.serviceWorker.controller !== null")
    await phone.wait_for_function(
        "caches.open('lagesbild-pages-v1').then(c => c.match(location.pathname)).then(Boolean)"
    )
    await phone.fill("#situation", "Översvämning vid ån, två vägar avstängda.")
    await phone.select_option("#sector-transport-status", "significant")

    await phone.context.set_offline(True)
    await phone.reload()
    await expect(phone.locator("#situation")).to_have_value(
        "Översvämning vid ån, två vägar avstängda."
    )
    await expect(phone.locator("#sector-transport-status")).to_have_value("significant")
    await expect(phone.locator("#draft-note")).to_be_visible()

    await phone.click("#review")
    await phone.click("#send")
    await expect(phone.locator("#receipt")).to_contain_text("Inte skickad än")
    await shoot(phone, "report-offline-queued")
    assert await _stored_reports(dsn, incident["id"], "1442") == 0

    await phone.context.set_offline(False)
    await phone.evaluate("window.dispatchEvent(new Event('online'))")
    await expect(phone.locator("#receipt")).to_contain_text("Rapporten är mottagen")
    await phone.evaluate(
        "window.dispatchEvent(new Event('online'))"
    )  # a second nudge sends nothing
    await phone.reload()
    await expect(phone.locator("#previous-info")).to_contain_text("Version 1")
    assert await _stored_reports(dsn, incident["id"], "1442") == 1


async def test_logout_closes_the_dashboards_stream(people: People, api: Api) -> None:
    incident = await api.activate()
    dashboard = await _live_dashboard(people, incident["id"])
    other_tab = await dashboard.context.new_page()
    await other_tab.goto(dashboard.url)
    await other_tab.click("header button[type=submit]")  # Logga ut
    await other_tab.wait_for_url("**/login")
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "ended")
    await expect(dashboard.locator("#conn")).to_have_text("Du är utloggad. Logga in igen.")


async def test_a_post_without_the_csrf_token_is_refused(people: People, api: Api) -> None:
    incident = await api.activate()
    officer = await people.make("LST-14", "duty_officer")
    page = await people.login(officer, path=f"/incidents/{incident['id']}")
    status = await page.evaluate(
        """async (id) => (await fetch(`/api/v1/incidents/${id}/close`, {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({summary: "forged"})})).status""",
        incident["id"],
    )
    assert status == 403
    await expect(page.locator("#status")).to_have_text("Pågår")


async def test_dashboard_is_live_again_after_a_cut_that_missed_nothing(
    people: People, api: Api, app: web.Application
) -> None:
    incident = await api.activate()
    dashboard = await _live_dashboard(people, incident["id"])
    await app[keys.hub].close_all(WSCloseCode.SERVICE_RESTART, "restarting")
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    # Nothing happened meanwhile, so nothing is sent after the resume: still live.
    await expect(dashboard.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(dashboard.locator("body")).not_to_have_class(re.compile(r"\bis-stale\b"))


async def test_a_double_tap_on_unchanged_stores_one_report(
    people: People, api: Api, dsn: str
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", situation="Lugnt"))).status == 201
    reporter = await people.make("1442", "reporter")
    phone = await people.login(reporter, PHONE, path=f"/incidents/{incident['id']}/report")
    await phone.dblclick("#unchanged")
    await expect(phone.locator("#receipt")).to_contain_text("version 2")
    await phone.reload()
    await expect(phone.locator("#previous-info")).to_contain_text("Version 2")
    assert await _stored_reports(dsn, incident["id"], "1442") == 2
