"""The dashboard's map: every municipality of the county, the participants as links named
by their level and last report, text marks beside the colours, live from the stream, by
keyboard; the charts' axes, deadline marks and tables; the counties map on a page of its
own (as the national page uses it)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import jinja2
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, ViewportSize, expect

from service import keys
from service.web import maps
from service.web.assets import Assets
from service.web.i18n import translator
from service.web.render import strings
from tests.browser.conftest import PHONE, WALL, People, session_loop
from tests.browser.support import assert_accessible, shoot
from tests.support import PARTICIPANTS, Api, report


async def _dashboard(
    people: People, api: Api, viewport: ViewportSize | None = None
) -> tuple[Page, str]:
    incident = await api.activate(exercise=True, title="Storm Gudrun")
    body = report(
        "1442",
        sectors=[
            {"sector": "energy", "status": "serious"},
            {"sector": "water", "status": "moderate"},
        ],
    )
    assert (await api.submit(incident["id"], body)).status == 201
    critical = report("1440", sectors=[{"sector": "care", "status": "critical"}])
    assert (await api.submit(incident["id"], critical)).status == 201
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, viewport)
    await page.goto(f"{people.base_url}/incidents/{incident['id']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    return page, str(incident["id"])


async def test_the_map_shows_every_municipality_with_text_marks(people: People, api: Api) -> None:
    page, incident_id = await _dashboard(people, api)
    areas = page.locator("#map .areas .area")
    await expect(areas).to_have_count(49)  # all of Västra Götaland
    links = page.locator("#map a.area[href]")
    await expect(links).to_have_count(len(PARTICIPANTS))
    vargarda = page.locator("#map a.area[data-code='1442']")
    await expect(vargarda).to_have_class("area lvl-serious")
    await expect(vargarda).to_have_attribute("href", f"/incidents/{incident_id}/organisations/1442")
    await expect(vargarda).to_have_attribute(
        "aria-label",
        f"Vårgårda: Allvarlig påverkan, senaste rapport {await _local_received(page, '1442')}",
    )
    await expect(page.locator("#map .marks text[data-code='1442']")).to_have_text("3")
    await expect(page.locator("#map .marks text[data-code='1440']")).to_have_text("4")
    await expect(page.locator("#map a.area[data-code='1440']")).to_have_class("area lvl-critical")
    # critical is striped, as in the matrix
    fill = await page.locator("#map-1440").evaluate("node => getComputedStyle(node).fill")
    assert "map-critical" in fill, fill
    # a participant without a report is unknown, "?", and says it has none
    lerum = page.locator("#map a.area[data-code='1441']")
    await expect(lerum).to_have_attribute("aria-label", "Lerum: Okänd påverkan, ingen rapport")
    await expect(page.locator("#map .marks text[data-code='1441']")).to_have_text("?")
    # a municipality that does not take part is drawn, faded, without mark or link
    boras = page.locator("#map .area[data-code='1490']")
    await expect(boras).to_have_class("area out")
    await expect(boras).to_have_attribute("aria-hidden", "true")
    await expect(page.locator("#map .marks text[data-code='1490']")).to_have_text("")
    await expect(page.locator(".map-legend li")).to_have_count(7)
    await shoot(page, "dashboard-map")
    await shoot(page, "dashboard-map-panel", of=page.locator(".map-panel"))
    await assert_accessible(page)


async def _local_received(page: Page, code: str) -> str:
    """The time the matrix shows for `code`'s last report: the map says the same."""
    cell = await page.locator(f"tr[data-code='{code}'] td.last").inner_text()
    return cell.split(" (")[0]


async def test_the_map_follows_a_report_as_it_arrives(people: People, api: Api) -> None:
    page, incident_id = await _dashboard(people, api)
    area = page.locator("#map a.area[data-code='1443']")
    await expect(area).to_have_class("area lvl-unknown")
    body = report("1443", sectors=[{"sector": "transport", "status": "significant"}])
    assert (await api.submit(incident_id, body)).status == 201
    await expect(area).to_have_class("area lvl-significant")
    await expect(page.locator("#map .marks text[data-code='1443']")).to_have_text("2")
    await expect(area).to_have_attribute(
        "aria-label",
        "Bollebygd: Betydande påverkan, senaste rapport " + await _local_received(page, "1443"),
    )
    # a participant added while the page is open becomes a link on the map
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident_id}",
        as_=("LST-14", "duty_officer"),
        json_body={"participants": [*PARTICIPANTS, "1490"]},
    )
    assert reply.status == 200, reply.body
    boras = page.locator("#map a.area[data-code='1490']")
    await expect(boras).to_have_attribute("href", f"/incidents/{incident_id}/organisations/1490")
    await expect(boras).to_have_attribute("aria-label", "Borås: Okänd påverkan, ingen rapport")
    await expect(page.locator("#map .marks text[data-code='1490']")).to_have_text("?")


async def test_a_municipality_is_reached_by_keyboard_and_opens_its_history(
    people: People, api: Api
) -> None:
    page, incident_id = await _dashboard(people, api)
    # Tab from the map's help text reaches the first municipality that takes part
    await page.locator("#map-help").evaluate("node => { node.tabIndex = -1; node.focus(); }")
    await page.keyboard.press("Tab")
    focused = page.locator("#map a.area:focus")
    await expect(focused).to_have_count(1)
    name = await focused.get_attribute("aria-label")
    assert name is not None
    assert ": " in name, name
    assert "påverkan" in name, name
    code = await focused.get_attribute("data-code")
    await expect(page.locator("#map .focus-ring")).to_have_attribute("href", f"#map-{code}")
    await shoot(page, "dashboard-map-focus", of=page.locator(".map-panel"))
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/incidents/{incident_id}/organisations/{code}")
    await page.go_back()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await page.locator("#map a.area[data-code='1442']").click()
    await page.wait_for_url(f"**/incidents/{incident_id}/organisations/1442")
    await expect(page.locator("h1")).to_contain_text("Vårgårda")


async def test_the_map_reads_on_a_phone(people: People, api: Api) -> None:
    page, _ = await _dashboard(people, api, viewport=PHONE)
    await expect(page.locator("#map .marks text[data-code='1442']")).to_have_text("3")
    box = await page.locator("#map").bounding_box()
    assert box is not None
    assert box["width"] <= PHONE["width"]
    await shoot(page, "dashboard-map-phone")
    await assert_accessible(page)


async def test_the_charts_have_a_time_axis_deadline_marks_and_tables(
    people: People, api: Api, app: web.Application
) -> None:
    now = datetime.now(UTC)
    incident = await api.activate(
        schedule={
            "kind": "interval",
            "interval_minutes": 60,
            "first_due_at": (now + timedelta(seconds=3)).isoformat(),
        }
    )
    assert (
        await api.submit(
            incident["id"], report("1442", sectors=[{"sector": "energy", "status": "serious"}])
        )
    ).status == 201
    await app[keys.rounds_job].run_due(now + timedelta(minutes=1))
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, WALL, path=f"/incidents/{incident['id']}")
    await expect(page.locator("#rounds a")).to_have_count(1)
    energy = page.locator("#timeline figure").nth(1)
    await expect(energy.locator("figcaption")).to_have_text("El och värme")
    # deadlines: the closed round's and the next one, where they fall in the chart's span;
    # the closed round's falls due after the page is drawn, and is drawn when it passes
    await expect(energy.locator("line.deadline")).not_to_have_count(0)
    await expect(energy.locator("text.axis-label.time").first).to_have_text(
        re.compile(r"^\d\d:\d\d$")
    )
    # over a day: round hours, and the date at midnight, in Stockholm time
    ticks = await page.evaluate(
        """import("/static/timeline.js").then(({ timeTicks }) =>
             timeTicks(Date.parse("2026-11-22T13:10:00+01:00"),
                       Date.parse("2026-11-23T15:00:00+01:00")).map((tick) => tick.label))"""
    )
    assert ticks == ["18:00", "23 nov.", "06:00", "12:00"], ticks
    table = energy.locator("table.chart-table")
    await expect(table.locator("caption")).to_have_text(
        "El och värme: antal kommuner per påverkansgrad över tid"
    )
    await expect(table.locator("thead th")).to_have_text(
        ["Tidpunkt", "Kritisk", "Allvarlig", "Betydande", "Måttlig", "Ingen", "Okänd"]
    )
    last = table.locator("tbody tr").last
    await expect(last.locator("td")).to_have_text(["0", "1", "0", "0", "0", "4"])
    await shoot(page, "dashboard-charts", of=page.locator("#timeline"))
    await assert_accessible(page)


async def test_a_long_history_is_drawn_with_a_bounded_chart_and_table(
    people: People, api: Api
) -> None:
    """Ten thousand changes (a long national incident) make no bigger page than a few
    hundred: the chart keeps a moment per pixel, the table at most 48 rows, and both end
    with the latest counts."""
    incident = await api.activate()
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, WALL, path=f"/incidents/{incident['id']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    drawn = await page.evaluate(
        """import("/static/timeline.js").then(({ drawTimeline }) => {
             const start = Date.parse("2026-11-20T08:00:00Z");
             const points = Array.from({ length: 10000 }, (_, i) => ({
               seq: i + 1,
               at: new Date(start + i * 30000).toISOString(),
               sectors: { energy: { serious: i % 7, none: 10 - (i % 7) } },
             }));
             points[points.length - 1].sectors.energy = { critical: 3, none: 7 };
             const box = document.createElement("div");
             document.body.append(box);
             drawTimeline(box, points, ["energy"], []);
             const rows = [...box.querySelectorAll("tbody tr")];
             const found = {
               elements: box.querySelectorAll("*").length,
               rows: rows.length,
               last: [...rows[rows.length - 1].querySelectorAll("td")].map((td) => td.textContent),
               caption: box.querySelector("caption").textContent,
               corners: Math.max(...[...box.querySelectorAll("polygon")]
                 .map((area) => area.getAttribute("points").split(" ").length)),
             };
             box.remove();
             return found;
           })"""
    )
    assert drawn["rows"] <= 48, drawn
    assert drawn["elements"] < 600, drawn
    assert drawn["corners"] <= 4 * 300, drawn
    assert drawn["last"] == ["3", "0", "0", "0", "7", "0"], drawn
    assert "i slutet av varje period om" in drawn["caption"], drawn


# -- the counties map, as the national page shows it ------------------------------------

PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Län</title>
<link rel="stylesheet" href="{{ asset('app.css') }}"></head><body><main>
<h1>Län</h1>
{{ area_map(shape, "counties", t("js.counties_map_label"),
            href="/national#county-{code}", active=active) }}
{{ map_legend(with_out=false) }}
<script type="application/json" id="boot">{{ boot|tojson }}</script>
<script type="module">
import { paintMap, areasOfCounties } from "{{ asset('map.js') }}";
window.paintMap = (areas) => paintMap(document.getElementById("counties"), areas);
window.paintCounties = (counties) => window.paintMap(areasOfCounties(counties));
document.body.dataset.ready = "1";
</script></main></body></html>"""


@session_loop
async def counties_page() -> AsyncIterator[str]:
    """A page of the counties map alone, served with the app's static files."""
    assets = Assets()
    t = translator("sv")
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("service.web", "templates"), autoescape=True
    )
    template = environment.from_string(
        '{% from "map.html" import area_map, map_legend with context %}' + PAGE
    )
    shape = maps.counties_map()

    async def index(request: web.Request) -> web.Response:
        html = template.render(
            shape=shape,
            active=shape.codes(),
            t=t,
            asset=assets.url,
            boot={"strings": strings("sv", ("js.map", "impact."))},
        )
        return web.Response(text=html, content_type="text/html")

    async def static(request: web.Request) -> web.Response:
        return assets.response(request, request.match_info["name"])

    page_app = web.Application()
    page_app.router.add_get("/", index)
    page_app.router.add_get("/static/{name}", static)
    server = TestServer(page_app)
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


async def test_the_counties_map_paints_each_county_by_its_level(
    people: People, counties_page: str
) -> None:
    context = await people.context(WALL)
    page = await context.new_page()
    await page.goto(counties_page)
    await expect(page.locator("body")).to_have_attribute("data-ready", "1")
    await expect(page.locator("#counties .area")).to_have_count(21)
    await page.evaluate(
        """paintMap({"14": {impact: "critical", at: "2026-11-22T13:00:00Z"},
                     "13": {impact: "moderate", at: "2026-11-22T12:30:00Z", overdue: true},
                     "01": {impact: "none", at: null}})"""
    )
    vg = page.locator("#counties a.area[data-code='14']")
    await expect(vg).to_have_class("area lvl-critical")
    await expect(vg).to_have_attribute("href", "/national#county-14")
    await expect(vg).to_have_attribute(
        "aria-label", "Västra Götalands län: Kritisk påverkan, senaste rapport 2026-11-22 14:00"
    )
    await expect(page.locator("#counties a.area[data-code='13']")).to_have_attribute(
        "aria-label", "Hallands län: Måttlig påverkan, senaste rapport 2026-11-22 13:30, försenad"
    )
    await expect(page.locator("#counties .marks text[data-code='14']")).to_have_text("4")
    await expect(page.locator("#counties .marks text[data-code='01']")).to_have_text("0")
    # counties left out of the picture are drawn faded, not links
    await expect(page.locator("#counties .area.out")).to_have_count(18)
    await expect(page.locator("#counties a.area[href]")).to_have_count(3)
    fill = await page.locator("#counties-14").evaluate("node => getComputedStyle(node).fill")
    assert "counties-critical" in fill, fill
    await shoot(page, "counties-map")
    await assert_accessible(page)
    # the national roll-up's counties, as GET /api/v1/national gives them
    await page.evaluate(
        """paintCounties({
             "14": {impact: "serious", reporting: {expected: 49, received: 40, overdue: 9}},
             "25": {impact: "none", reporting: {expected: 14, received: 14, overdue: 0}}})"""
    )
    await expect(vg).to_have_class("area lvl-serious is-overdue")
    await expect(vg).to_have_attribute(
        "aria-label",
        "Västra Götalands län: Allvarlig påverkan, 40 av 49 har rapporterat, 9 försenade",
    )
    await expect(page.locator("#counties .marks text[data-code='25']")).to_have_text("0")
    await expect(page.locator("#counties .area.out")).to_have_count(19)
