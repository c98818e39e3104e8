"""The dashboard's time control shows the picture as it stood at a moment (the same as
`?at=`), marks what changed since the last deadline, and goes back to live."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page, WebSocketRoute, expect

from service import keys
from service.clock import Clock
from tests.browser.conftest import People
from tests.browser.support import assert_accessible, shoot
from tests.support import Api, Who, report

VIEWER: Who = ("LST-14", "viewer")


class ShiftedClock:
    """The wall clock moved back by `behind`, which a test shortens to zero: an incident
    with hours of history, made in a moment, that a browser (on real time) then looks at."""

    def __init__(self) -> None:
        self.behind = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) - self.behind

    async def sleep_until(self, moment: datetime) -> None:
        while (left := (moment - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, 1.0))


@pytest.fixture
def clock() -> Clock:
    return ShiftedClock()


async def history(api: Api, app: web.Application, clock: ShiftedClock) -> dict[str, Any]:
    """Three hours of an incident: deadlines every 90 minutes from 2 hours ago."""
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.behind = timedelta(hours=3)
    first_due = (start - timedelta(hours=2)).isoformat()
    incident = await api.activate(schedule={"interval_minutes": 90, "first_due_at": first_due})

    async def at(hours_ago: float) -> None:
        clock.behind = timedelta(hours=hours_ago) - (datetime.now(UTC) - start)

    await at(2.5)
    await api.submit(
        incident["id"],
        report(
            "1442",
            sectors=[{"sector": "energy", "status": "serious"}],
            development={"trend": "worsening"},
        ),
    )
    await at(1.98)
    await app[keys.rounds_job].run_due(clock.now())  # the deadline 2 hours ago
    await at(1.5)
    await api.submit(
        incident["id"],
        report(
            "1442",
            sectors=[{"sector": "energy", "status": "critical"}],
            development={"trend": "worsening"},
            needs=[{"need_id": "gen-1", "text": "Två reservelverk", "urgency": "high"}],
        ),
    )
    await api.submit(
        incident["id"], report("1441", sectors=[{"sector": "water", "status": "moderate"}])
    )
    await at(0.45)
    await app[keys.rounds_job].run_due(clock.now())  # the deadline 30 minutes ago
    await at(0.3)
    await api.submit(
        incident["id"],
        report(
            "1442",
            sectors=[{"sector": "energy", "status": "critical"}],
            development={"trend": "worsening"},
            needs=[{"need_id": "gen-1", "text": "Två reservelverk", "status": "resolved"}],
        ),
    )
    await api.submit(
        incident["id"], report("1443", sectors=[{"sector": "care", "status": "significant"}])
    )
    clock.behind = timedelta(0)
    return incident


async def live_dashboard(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> tuple[dict[str, Any], Page]:
    """The three hours of `history`, and a county board viewer's dashboard of it, live."""
    incident = await history(api, app, clock)
    viewer = await people.make("LST-14", "viewer", "Lägesbild LST")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    return incident, page


async def drawn(page: Page) -> dict[str, str]:
    """Each municipality's overall impact as the matrix shows it, once it shows the
    picture the time control is on (out of view, it is drawn after the rest)."""
    seq = await page.locator("#moment").get_attribute("data-seq")
    if seq is not None:
        await expect(page.locator("#matrix")).to_have_attribute("data-seq", seq)
    await expect(page.locator("#matrix")).not_to_have_attribute("aria-busy", "true")
    rows = page.locator("#matrix tbody tr")
    codes = await rows.evaluate_all(
        "rows => rows.map(r => [r.dataset.code, r.children[1].textContent])"
    )
    return dict(codes)


async def api_at(api: Api, incident_id: str, moment: str) -> dict[str, Any]:
    query = urllib.parse.quote(moment)
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture?at={query}", as_=VIEWER)
    assert reply.status == 200, reply.body
    picture: dict[str, Any] = reply.body
    return picture


IMPACT_SV = {
    "unknown": "Okänd",
    "moderate": "Måttlig",
    "significant": "Betydande",
    "serious": "Allvarlig",
    "critical": "Kritisk",
    "none": "Ingen",
}


async def assert_shows(page: Page, picture: dict[str, Any]) -> None:
    """The matrix and the counts on the page are those of `picture`."""
    await expect(page.locator("#moment")).to_have_attribute("data-seq", str(picture["seq"]))
    expected = {
        code: IMPACT_SV[entry["impact"]] for code, entry in picture["organisations"].items()
    }
    assert await drawn(page) == expected
    reporting = picture["reporting"]
    await expect(page.locator("#received")).to_have_text(
        f"{reporting['received']} av {reporting['expected']}"
    )


async def test_the_slider_shows_the_picture_at_a_moment_and_goes_back_to_live(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident, page = await live_dashboard(people, api, app, clock)
    await expect(page.locator("#moment-marks .moment-mark")).to_have_count(2)
    slider = page.locator("#moment-range")
    await expect(slider).to_have_attribute("aria-valuetext", "Nu (live)")
    await expect(page.locator("#moment-banner")).to_be_hidden()

    # Home: the activation. Nobody has reported.
    await slider.focus()
    await page.keyboard.press("Home")
    banner = page.locator("#moment-banner")
    await expect(banner).to_be_visible()
    await expect(page.locator("#moment")).to_have_attribute("data-seq", "1")
    moment = await page.locator("#moment").get_attribute("data-at")
    assert moment is not None
    await assert_shows(page, await api_at(api, incident["id"], moment))
    await expect(banner).to_contain_text("Inte live – visar läget")
    await expect(slider).to_have_attribute(
        "aria-valuetext", await page.locator("#moment-value").inner_text()
    )

    # Page Up: the first deadline, two hours ago (Vårgårda serious by then).
    await page.keyboard.press("PageUp")
    await expect(page.locator("#moment-value")).not_to_have_text("Nu (live)")
    await expect(page.locator("#moment")).not_to_have_attribute("data-seq", "1")
    moment = await page.locator("#moment").get_attribute("data-at")
    assert moment is not None
    at_deadline = await api_at(api, incident["id"], moment)
    await assert_shows(page, at_deadline)
    assert at_deadline["organisations"]["1442"]["impact"] == "serious"
    await expect(page.locator("#needs")).to_contain_text("Inga öppna behov")
    # Arrow steps of five minutes stay on the same picture here.
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#moment")).not_to_have_attribute("data-at", moment)
    await assert_shows(page, at_deadline)
    await shoot(page, "dashboard-past")
    await assert_accessible(page)

    # A report arrives live: received, not drawn, while the past is on screen.
    await api.submit(
        incident["id"], report("1440", sectors=[{"sector": "transport", "status": "critical"}])
    )
    await expect(page.locator("#timeline")).to_be_visible()
    await page.wait_for_timeout(300)  # a frame would arrive well within this; none is drawn
    assert (await drawn(page))["1440"] == "Okänd"

    await page.click("#moment-live")
    await expect(banner).to_be_hidden()
    await expect(slider).to_be_focused()
    await expect(slider).to_have_attribute("aria-valuetext", "Nu (live)")
    await expect(page.locator("tr[data-code='1440'] td").nth(0)).to_have_text("Kritisk")
    now = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture", as_=VIEWER)
    expected = {
        code: IMPACT_SV[entry["impact"]] for code, entry in now.body["organisations"].items()
    }
    assert await drawn(page) == expected
    await shoot(page, "dashboard-live-again")


def moments_asked(page: Page) -> tuple[list[str], list[str]]:
    """The moments the page asks for from now on: over the stream (`moment` frames) and
    over HTTP (`GET …/picture?at=`). The stream's socket must open after this is called."""
    streamed: list[str] = []
    fetched: list[str] = []

    def sent(payload: str | bytes) -> None:
        frame = json.loads(payload)
        if frame.get("type") == "moment":
            streamed.append(frame["at"])

    page.on("websocket", lambda socket: socket.on("framesent", sent))
    page.on(
        "request",
        lambda request: (
            fetched.append(urllib.parse.unquote(request.url.split("?at=")[1]))
            if "/picture?at=" in request.url
            else None
        ),
    )
    return streamed, fetched


async def test_a_step_fetches_the_next_one_ahead_and_a_moment_seen_again_is_not_fetched(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident, page = await live_dashboard(people, api, app, clock)
    asked, fetched = moments_asked(page)
    await page.reload()  # the stream's socket again, now watched
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    slider = page.locator("#moment-range")
    await slider.focus()
    await page.keyboard.press("Home")
    root = page.locator("#moment")
    await expect(root).to_have_attribute("data-seq", "1")
    first = await root.get_attribute("data-at")
    assert first is not None
    await page.keyboard.press("ArrowRight")
    await expect(root).not_to_have_attribute("data-at", first)
    second = await root.get_attribute("data-at")
    assert second is not None
    third = (datetime.fromisoformat(second) + timedelta(minutes=5)).isoformat()
    third = third.replace("+00:00", ".000Z")
    # Two steps the same way: the third moment is asked for before anyone steps there.
    for _ in range(100):
        if third in asked:
            break
        await page.wait_for_timeout(50)
    assert third in asked, asked
    await page.keyboard.press("ArrowRight")
    await expect(root).to_have_attribute("data-at", third)
    assert asked.count(third) == 1, asked
    # Back a step: that moment was seen, and is drawn again without asking.
    await page.keyboard.press("ArrowLeft")
    await expect(root).to_have_attribute("data-at", second)
    assert asked.count(second) == 1, asked
    assert await drawn(page) == {
        code: IMPACT_SV[entry["impact"]]
        for code, entry in (await api_at(api, incident["id"], second))["organisations"].items()
    }
    # Live, every moment of the slider was asked over the stream (what fetched is the
    # baseline of "what changed", the last deadline's picture).
    assert not set(asked) & set(fetched), (asked, fetched)


async def test_a_moment_the_stream_does_not_answer_is_asked_over_http(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident, page = await live_dashboard(people, api, app, clock)
    _, fetched = moments_asked(page)
    streamed: list[str] = []

    async def no_look_backs(socket: WebSocketRoute) -> None:
        # As a server that does not know look backs and says nothing of them.
        server = socket.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "moment":
                streamed.append(frame["at"])
            else:
                server.send(message)

        socket.on_message(from_page)

    await page.route_web_socket("**/api/v1/stream", no_look_backs)
    await page.reload()  # the stream's socket again, now through the route
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    slider = page.locator("#moment-range")
    await slider.focus()
    await page.keyboard.press("Home")
    await page.keyboard.press("PageUp")  # the first deadline, two hours ago
    root = page.locator("#moment")
    await expect(root).to_have_attribute("aria-busy", "true")
    await expect(root).not_to_have_attribute("aria-busy", "true", timeout=10_000)
    moment = await root.get_attribute("data-at")
    assert moment is not None
    assert moment in streamed, streamed
    assert moment in fetched, fetched
    await assert_shows(page, await api_at(api, incident["id"], moment))
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")


async def test_what_changed_since_the_last_deadline_is_marked_and_filters_the_matrix(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident = await history(api, app, clock)
    viewer = await people.make("LST-14", "viewer", "Lägesbild LST")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    summary = page.locator("#changes-summary")
    # Since the deadline 30 minutes ago: Lerum reported; Vårgårda's need was resolved.
    await expect(summary).to_contain_text("ändrade kommuner 1, nya behov 0, lösta behov 1")
    await expect(page.locator("tr.changed")).to_have_count(1)
    await expect(page.locator("tr[data-code='1443'] .change-note")).to_have_text(
        "Okänd → Betydande"
    )
    await expect(page.locator("#changes-resolved")).to_contain_text("Två reservelverk")
    await page.check("#changes-only")
    await expect(page.locator("#matrix tbody tr:visible")).to_have_count(1)
    await shoot(page, "dashboard-changes")
    await assert_accessible(page)

    # The same, as it stood an hour ago (since the deadline two hours ago).
    slider = page.locator("#moment-range")
    await slider.focus()
    await page.keyboard.press("PageDown")  # the deadline 30 minutes ago
    await page.keyboard.press("ArrowLeft")  # just before it
    await expect(summary).to_contain_text("ändrade kommuner 2, nya behov 1, lösta behov 0")
    await expect(page.locator("tr[data-code='1442'] .change-note")).to_have_text(
        "Allvarlig → Kritisk"
    )
    await expect(page.locator("#needs .badge-changed")).to_have_text("Nytt")
    await expect(page.locator("#matrix tbody tr:visible")).to_have_count(2)

    # No summary published: it says so and marks nothing.
    await page.check("input[name=since][value=summary]")
    await expect(summary).to_have_text("Ingen sammanställning är publicerad än.")
    await expect(page.locator("tr.changed")).to_have_count(0)
    await page.uncheck("#changes-only")
    await expect(page.locator("#matrix tbody tr:visible")).to_have_count(5)


async def test_what_changed_since_the_last_published_summary_is_marked(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident = await history(api, app, clock)
    published = await api.call(
        "POST", f"/api/v1/incidents/{incident['id']}/summaries", as_=("LST-14", "duty_officer")
    )
    assert published.status == 201, published.body
    # After the summary: Ale reports, and Bollebygd raises a need.
    await api.submit(
        incident["id"], report("1440", sectors=[{"sector": "transport", "status": "critical"}])
    )
    await api.submit(
        incident["id"],
        report(
            "1443",
            sectors=[{"sector": "care", "status": "significant"}],
            needs=[{"need_id": "bus-1", "text": "Bussar till äldreboende", "urgency": "medium"}],
        ),
    )
    viewer = await people.make("LST-14", "viewer", "Lägesbild LST")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await page.check("input[name=since][value=summary]")
    summary = page.locator("#changes-summary")
    await expect(summary).to_contain_text("sammanställning 1,")
    await expect(summary).to_contain_text("ändrade kommuner 1, nya behov 1, lösta behov 0")
    await expect(page.locator("tr.changed")).to_have_count(1)
    await expect(page.locator("tr[data-code='1440'] .change-note")).to_have_text("Okänd → Kritisk")
    await expect(page.locator("#needs .badge-changed")).to_have_text("Nytt")
    await page.check("#changes-only")
    await expect(page.locator("#matrix tbody tr:visible")).to_have_count(1)
    await shoot(page, "dashboard-changes-since-summary")
    await assert_accessible(page)


CASES: list[tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    (  # nothing moved
        {
            "organisations": {
                "1": {"impact": "serious", "trend": "stable", "sectors": {"energy": "serious"}}
            },
            "needs": {},
        },
        {
            "organisations": {
                "1": {"impact": "serious", "trend": "stable", "sectors": {"energy": "serious"}}
            },
            "needs": {},
        },
        {"organisations": {}, "newNeeds": [], "resolvedNeeds": []},
    ),
    (  # level, trend and a sector moved; a need came and one went
        {
            "organisations": {
                "1": {"impact": "moderate", "trend": "stable", "sectors": {"energy": "moderate"}}
            },
            "needs": {"1/a": {"organisation": "1", "text": "A"}},
        },
        {
            "organisations": {
                "1": {"impact": "critical", "trend": "worsening", "sectors": {"energy": "critical"}}
            },
            "needs": {"1/b": {"organisation": "1", "text": "B"}},
        },
        {
            "organisations": {
                "1": {
                    "impact": ["moderate", "critical"],
                    "trend": ["stable", "worsening"],
                    "sectors": {"energy": ["moderate", "critical"]},
                }
            },
            "newNeeds": ["1/b"],
            "resolvedNeeds": [{"key": "1/a", "organisation": "1", "text": "A"}],
        },
    ),
    (  # only a sector moved (the worst stays); a sector left out counts as unknown
        {
            "organisations": {
                "1": {
                    "impact": "serious",
                    "trend": "stable",
                    "sectors": {"energy": "serious", "water": "none"},
                }
            }
        },
        {
            "organisations": {
                "1": {"impact": "serious", "trend": "stable", "sectors": {"energy": "serious"}}
            }
        },
        {
            "organisations": {"1": {"sectors": {"water": ["none", "unknown"]}}},
            "newNeeds": [],
            "resolvedNeeds": [],
        },
    ),
    (  # a participant added since; one removed is not listed (it is not in the matrix)
        {"organisations": {"2": {"impact": "none", "trend": "stable", "sectors": {}}}},
        {"organisations": {"1": {"impact": "unknown", "trend": "unknown", "sectors": {}}}},
        {"organisations": {"1": {"added": True}}, "newNeeds": [], "resolvedNeeds": []},
    ),
    (  # no baseline at all: everything known is new
        None,
        {
            "organisations": {
                "1": {"impact": "none", "trend": "improving", "sectors": {"food": "none"}}
            },
            "needs": {"1/x": {}},
        },
        {
            "organisations": {
                "1": {
                    "impact": ["unknown", "none"],
                    "trend": ["unknown", "improving"],
                    "sectors": {"food": ["unknown", "none"]},
                    "added": True,
                }
            },
            "newNeeds": ["1/x"],
            "resolvedNeeds": [],
        },
    ),
]


async def test_changes_between_two_pictures_is_one_pure_function(people: People, api: Api) -> None:
    """changes.js, run as the dashboard runs it, in the browser: case by case."""
    incident = await api.activate()
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    for before, after, expected in CASES:
        found = await page.evaluate(
            """async ([before, after]) => {
                const { changesBetween } = await import("/static/changes.js");
                return changesBetween(before, after, ["energy", "water", "food"]);
            }""",
            [before, after],
        )
        assert found == expected, (before, after)
    last = await page.evaluate(
        """async ([deadlines, moments]) => {
            const { lastDeadline } = await import("/static/changes.js");
            return moments.map((moment) => lastDeadline(deadlines, Date.parse(moment)));
        }""",
        [
            ["2026-11-22T13:00:00Z", "2026-11-22T07:00:00Z", "2026-11-22T19:00:00Z"],
            ["2026-11-22T06:59:00Z", "2026-11-22T13:00:00Z", "2026-11-22T18:00:00Z"],
        ],
    )
    assert last == [None, "2026-11-22T13:00:00Z", "2026-11-22T13:00:00Z"]


async def test_a_list_redrawn_keeps_the_entries_that_did_not_change(
    people: People, api: Api
) -> None:
    """keyedChildren (common.js), which the dashboard's lists of needs and of who has not
    reported are drawn with: an entry whose key and signature are the same is the same
    node afterwards (the browser lays out only what changed), in the order asked."""
    incident = await api.activate()
    viewer = await people.make("LST-14", "viewer")
    page = await people.login(viewer, path=f"/incidents/{incident['id']}")
    found = await page.evaluate(
        """async () => {
            const { keyedChildren, el } = await import("/static/common.js");
            const list = document.createElement("ul");
            const items = (pairs) => pairs.map(([key, signature]) =>
              [key, signature, () => el("li", { text: `${key} ${signature}` })]);
            keyedChildren(list, items([["a", "1"], ["b", "1"], ["c", "1"]]));
            const [a, b] = list.children;
            list.prepend(el("li", { text: "not keyed" }));
            keyedChildren(list, items([["b", "1"], ["d", "1"], ["a", "2"]]));
            const after = [...list.children];
            keyedChildren(list, items([["b", "1"], ["b", "1"]]));
            const twice = [...list.children];
            keyedChildren(list, []);
            return { texts: after.map((node) => node.textContent), bKept: after[0] === b,
                     aRebuilt: after[2] !== a, twice: twice.length,
                     twiceApart: twice[0] !== twice[1], emptied: list.children.length };
        }"""
    )
    assert found == {
        "texts": ["b 1", "d 1", "a 2"],
        "bKept": True,
        "aRebuilt": True,
        "twice": 2,
        "twiceApart": True,
        "emptied": 0,
    }


WATCH_STEP = """
() => { window.nextStep = new Promise((resolve) => {
  const root = document.getElementById("moment"), matrix = document.getElementById("matrix");
  const watch = new MutationObserver(() => {
    watch.disconnect();
    resolve({ seq: root.dataset.seq, matrixSeq: matrix.dataset.seq ?? null,
              busy: matrix.getAttribute("aria-busy") });
  });
  watch.observe(root, { attributes: true, attributeFilter: ["data-seq"] });
}); }
"""


async def test_the_matrix_out_of_view_is_drawn_after_the_rest_and_in_view_at_once(
    people: People, api: Api, app: web.Application, clock: ShiftedClock
) -> None:
    incident, page = await live_dashboard(people, api, app, clock)
    matrix = page.locator("#matrix")
    assert not await matrix.evaluate("m => m.getBoundingClientRect().top < innerHeight"), (
        "the matrix should start below the first screen"
    )
    slider = page.locator("#moment-range")
    await slider.focus()

    # Out of view: when the moment is on screen the matrix is still busy, then drawn.
    await page.evaluate(WATCH_STEP)
    await page.keyboard.press("Home")
    step = await page.evaluate("window.nextStep")
    assert step["seq"] == "1"
    assert step["busy"] == "true", step
    await expect(matrix).to_have_attribute("data-seq", "1")
    await expect(matrix).not_to_have_attribute("aria-busy", "true")
    moment = await page.locator("#moment").get_attribute("data-at")
    assert moment is not None
    await assert_shows(page, await api_at(api, incident["id"], moment))

    # In view: drawn in the same step as the rest, never busy.
    await matrix.scroll_into_view_if_needed()
    await slider.focus()
    await page.evaluate(WATCH_STEP)
    await page.keyboard.press("PageUp")
    step = await page.evaluate("window.nextStep")
    assert step["matrixSeq"] == step["seq"] != "1", step
    assert step["busy"] is None, step
    moment = await page.locator("#moment").get_attribute("data-at")
    assert moment is not None
    await assert_shows(page, await api_at(api, incident["id"], moment))
