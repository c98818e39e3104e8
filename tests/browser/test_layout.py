"""The dashboard keeps its layout while the stream fills it: every panel has its space
before the snapshot arrives, so nothing jumps (Cumulative Layout Shift ≤ 0.05), on a
wall screen and on a 360 px phone.

CLS is summed from Chromium's `layout-shift` entries (those without recent input), from
the first paint until the dashboard shows the snapshot, the charts and the rounds.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, ViewportSize, expect

from service import keys
from tests.browser.conftest import DESK, PHONE, WALL, People
from tests.browser.support import SHOTS, shoot
from tests.support import Api, report

CLS_GOAL = 0.05
DATA = Path(__file__).resolve().parents[2] / "service" / "data" / "municipalities.csv"

# Sums layout shifts from the page's very first frame, before any script of the page.
OBSERVE = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


def county_municipalities(county: str) -> list[str]:
    with DATA.open(encoding="utf-8") as rows:
        return [row["code"] for row in csv.DictReader(rows) if row["county_code"] == county]


async def busy_incident(api: Api) -> str:
    """County 14 with all its 49 municipalities, a dozen of them reporting."""
    codes = county_municipalities("14")
    incident = await api.activate(exercise=True, title="Storm Gudrun", participants=codes)
    levels = ["none", "moderate", "significant", "serious", "critical"]
    for i, code in enumerate(codes[:12]):
        body = report(
            code,
            sectors=[
                {"sector": "energy", "status": levels[i % 5]},
                {"sector": "water", "status": levels[(i + 2) % 5]},
            ],
            needs=[{"need_id": f"n-{i}", "text": f"Reservkraft {i}"}] if i % 3 == 0 else [],
        )
        assert (await api.submit(incident["id"], body)).status == 201
    return str(incident["id"])


async def late_incident(api: Api, app: web.Application) -> str:
    """Five participants after a deadline: three overdue, two whose reports were for the
    deadline passed (so missing for the next): every row carries a mark."""
    now = datetime.now(UTC)
    schedule = {"interval_minutes": 60, "first_due_at": (now + timedelta(seconds=2)).isoformat()}
    incident = await api.activate(exercise=True, title="Skyfall", schedule=schedule)
    for code in ("1442", "1443"):
        body = report(
            code,
            sectors=[{"sector": "water", "status": "serious"}],
            needs=[{"need_id": "p-1", "text": "Pumpar och slangar till källare"}],
        )
        assert (await api.submit(incident["id"], body)).status == 201
    await app[keys.rounds_job].run_due(now + timedelta(minutes=1))
    return str(incident["id"])


async def measure(page: Page, url: str) -> float:
    await page.context.add_init_script(OBSERVE)
    await page.goto(url)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.locator("#matrix tbody tr.placeholder")).to_have_count(0)
    await expect(page.locator("#timeline svg")).to_have_count(7)
    await page.wait_for_load_state("networkidle")
    # two frames, so that the last layout is done and its shifts reported
    await page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return float(await page.evaluate("window.__cls"))


@pytest.mark.parametrize("incident", ["busy", "late"])
@pytest.mark.parametrize(("name", "viewport"), [("wall", WALL), ("laptop", DESK), ("phone", PHONE)])
async def test_dashboard_does_not_shift_while_the_stream_fills_it(
    people: People, api: Api, app: web.Application, incident: str, name: str, viewport: ViewportSize
) -> None:
    incident_id = await (busy_incident(api) if incident == "busy" else late_incident(api, app))
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, viewport)
    # the placeholder rows have the matrix's columns, no more
    cells = await _placeholder_cells(page, f"{people.base_url}/incidents/{incident_id}")
    assert cells == {await page.locator("#matrix thead th").count()}, cells
    cls = await measure(page, f"{people.base_url}/incidents/{incident_id}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the dashboard scrolls sideways"
    await shoot(page, f"dashboard-layout-{incident}-{name}")
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    with (SHOTS.parent / "layout-shift.txt").open("a", encoding="utf-8") as out:
        out.write(
            f"dashboard ({incident}), {viewport['width']}x{viewport['height']}: CLS {cls:.4f}\n"
        )
    assert cls <= CLS_GOAL, cls


async def _placeholder_cells(page: Page, url: str) -> set[int]:
    """The cells per row of the matrix as the server sends it (before any script)."""
    response = await page.request.get(url)
    html = await response.text()
    await page.goto("about:blank")
    await page.set_content(html.split("<script", 1)[0])
    counts: list[int] = await page.evaluate(
        "[...document.querySelectorAll('#matrix tbody tr.placeholder')].map(r => r.cells.length)"
    )
    return set(counts)
