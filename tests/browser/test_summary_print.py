"""A published summary printed to PDF in Chromium: A4 pages, ÖVNING on every one of them
for an exercise (pdftotext reads each page), and PNGs of the pages for a person to see."""

from __future__ import annotations

import asyncio
import subprocess

from playwright.async_api import Browser

from tests.browser.support import SHOTS, needs_poppler, pdf_pages_text
from tests.support import Api, Who

BOARD: Who = ("LST-14", "duty_officer")
PRINTS = SHOTS.parent / "summary-print"


async def _printed(api: Api, browser: Browser, *, exercise: bool, name: str) -> list[str]:
    incident = await api.activate(exercise=exercise, title="Storm i Sjuhärad")
    path = f"/api/v1/incidents/{incident['id']}/summaries"
    measures = [f"Åtgärd {n}: samverkanskonferens med kommunerna i Sjuhärad" for n in range(60)]
    draft = {
        "assessment": "Stormen har slagit ut elförsörjningen i stora delar av länet.\n" * 8,
        "measures_taken": measures,
        "measures_planned": measures[:30],
        "requests": [
            {"id": f"r-{n}", "text": "Reservkraft till vattenverk", "urgency": "high"}
            for n in range(12)
        ],
        "other": "Kontakt via TiB.",
    }
    saved = await api.call(
        "PUT", path + "/draft", as_=BOARD, json_body=draft, headers={"If-Match": '"0"'}
    )
    assert saved.status == 200, saved.body
    assert (await api.call("POST", path, as_=BOARD)).status == 201
    html = await api.call("GET", path + "/1?format=html", as_=BOARD)
    assert html.status == 200
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(html.body)
        PRINTS.mkdir(parents=True, exist_ok=True)
        pdf = PRINTS / f"{name}.pdf"
        await page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        await context.close()
    await asyncio.to_thread(
        subprocess.run,
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(PRINTS / name)],  # poppler-utils
        check=True,
    )
    return await asyncio.to_thread(pdf_pages_text, pdf)


@needs_poppler
async def test_every_printed_page_of_an_exercise_summary_says_ovning(
    api: Api, browser: Browser
) -> None:
    pages = await _printed(api, browser, exercise=True, name="exercise")
    assert len(pages) >= 3, "the summary is long enough for several pages"
    for number, text in enumerate(pages, start=1):
        assert "ÖVNING" in text, f"page {number} of {len(pages)} has no ÖVNING"
    assert "Samlad lägesbild nr 1" in pages[0]
    assert "Begäran till nationell nivå" in "".join(pages)


@needs_poppler
async def test_a_real_summary_prints_without_ovning(api: Api, browser: Browser) -> None:
    pages = await _printed(api, browser, exercise=False, name="real")
    assert len(pages) >= 2
    assert all("ÖVNING" not in text for text in pages)
