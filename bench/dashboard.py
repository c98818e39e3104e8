"""Dashboard: is the county board's wall screen as quick with 290 municipalities as with 5?

Headless Chromium (Debian's) shows the live dashboard of two incidents served by the
same app: the baseline with 5 participants, and the whole country (290 municipalities).
Measured for each, in the same run:

- first render: from navigation until every participant's row is on the screen;
- live update: from the report's HTTP answer until the dashboard shows its version
  (stream delivery, merge patch, row rebuild, re-sort, summaries);
- script time: Chromium's own `ScriptDuration` spent on the page across all updates,
  per update (CPU, not wall time).

Read the ratio of the 290 column to the 5 column.
"""

from __future__ import annotations

import random
import shutil
import time
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
from playwright.async_api import CDPSession, Page, async_playwright

from bench.common import (
    BOARD,
    Postgres,
    activate,
    bearer,
    make_tokens,
    ms,
    municipalities,
    print_table,
    ratio,
    report_body,
    running_app,
    summarise,
)
from service.access import sessions
from service.clock import SystemClock

ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def _viewer_cookie(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        user = await sessions.create_user(
            conn,
            email="bench.viewer@lst14.example",
            name="Bench viewer",
            organisation=BOARD,
            role="viewer",
            password="bench-password-not-used",
            at=SystemClock().now(),
        )
        new = await sessions.start(
            conn, user.id, at=SystemClock().now(), lifetime=timedelta(hours=2)
        )
    finally:
        await conn.close()
    return new.token


METRICS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration")


async def _durations(cdp: CDPSession) -> dict[str, float]:
    """Chromium's own CPU seconds on the page so far: scripts, style, layout, all tasks."""
    metrics = await cdp.send("Performance.getMetrics")
    return {m["name"]: float(m["value"]) for m in metrics["metrics"] if m["name"] in METRICS}


async def _measure(
    page: Page,
    http: aiohttp.ClientSession,
    base: str,
    tokens: dict[tuple[str, Any], str],
    incident: dict[str, Any],
    codes: list[str],
    updates: int,
) -> dict[str, Any]:
    rng = random.Random(len(codes))  # other report ids for each incident
    began = time.perf_counter()
    await page.goto(f"{base}/incidents/{incident['id']}")
    await page.wait_for_function(
        f"document.querySelectorAll('#matrix tbody tr[data-code]').length === {len(codes)}"
        " && document.getElementById('conn').dataset.state === 'live'"
    )
    first = time.perf_counter() - began
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    before = await _durations(cdp)
    latencies = []
    versions: dict[str, int] = {}
    for n in range(updates):
        code = codes[n % len(codes)]
        url = f"{base}/api/v1/incidents/{incident['id']}/reports"
        headers = bearer(tokens[(code, "reporter")])
        async with http.post(url, json=report_body(rng, code), headers=headers) as reply:
            assert reply.status == 201, await reply.text()
        answered = time.perf_counter()
        versions[code] = versions.get(code, 0) + 1
        await page.wait_for_function(
            f"document.querySelector(\"tr[data-code='{code}'] td.last\")"
            f"?.textContent.includes('(v{versions[code]})')",
            polling="raf",
        )
        latencies.append(time.perf_counter() - answered)
    after = await _durations(cdp)
    await cdp.detach()
    spent = {name: (after[name] - before[name]) / updates for name in METRICS}
    return {"first": first, "update": summarise(latencies), **spent}


async def run(pg: Postgres, *, quick: bool) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    updates = 20 if quick else 60
    dsn = await pg.new_database("bench_dashboard")
    everyone = [code for code, _ in municipalities()]
    few = everyone[:5]
    tokens = await make_tokens(
        dsn, [(BOARD, "duty_officer"), *((code, "reporter") for code in everyone)]
    )
    cookie = await _viewer_cookie(dsn)
    async with running_app(dsn) as base, aiohttp.ClientSession() as http:
        officer = tokens[(BOARD, "duty_officer")]
        small = await activate(http, base, officer, few)
        large = await activate(http, base, officer, everyone)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
            # bypass_csp: the page forbids eval, which Playwright's polling uses.
            context = await browser.new_context(
                viewport={"width": 1920, "height": 1080}, bypass_csp=True
            )
            await context.add_cookies([{"name": sessions.COOKIE, "value": cookie, "url": base}])
            page = await context.new_page()
            # Warm the cache with one visit, so both first renders find the files cached.
            await page.goto(f"{base}/incidents/{small['id']}")
            await page.wait_for_load_state("networkidle")
            baseline = await _measure(page, http, base, tokens, small, few, updates)
            country = await _measure(page, http, base, tokens, large, everyone, updates)
            await browser.close()
    rows = [
        [
            "first render",
            ms(baseline["first"]),
            ms(country["first"]),
            ratio(country["first"], baseline["first"]),
        ],
        [
            "live update p50",
            ms(baseline["update"].p50),
            ms(country["update"].p50),
            ratio(country["update"].p50, baseline["update"].p50),
        ],
        [
            "live update p95",
            ms(baseline["update"].p95),
            ms(country["update"].p95),
            ratio(country["update"].p95, baseline["update"].p95),
        ],
    ]
    labels = ("script", "style", "layout", "all main-thread tasks")
    for name, label in zip(METRICS, labels, strict=True):
        rows.append(
            [
                f"CPU per update: {label}",
                ms(baseline[name]),
                ms(country[name]),
                ratio(country[name], baseline[name]),
            ]
        )
    print_table(
        f"Dashboard in Chromium, {updates} live updates each",
        ["", "5 municipalities", "290 municipalities", "ratio"],
        rows,
    )
