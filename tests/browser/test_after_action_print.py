"""The after-action document printed to PDF in Chromium: A4 pages, ÖVNING on every one
of them for an exercise (pdftotext reads each page), every section in it, and PNGs of
the pages under test-artifacts/after-action-print/ for a person to look at."""

from __future__ import annotations

import asyncio
import subprocess

from playwright.async_api import Browser

from service.export.formats import as_html
from tests.after_action_support import NAMES, START, storm_day
from tests.browser.support import SHOTS, needs_poppler, pdf_pages_text

PRINTS = SHOTS.parent / "after-action-print"


async def _printed(browser: Browser, *, exercise: bool, name: str) -> list[str]:
    incident, log = storm_day(exercise=exercise, rounds=8, journal=30)
    document = as_html(incident, log.events, NAMES, START)
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(document)
        PRINTS.mkdir(parents=True, exist_ok=True)
        pdf = PRINTS / f"{name}.pdf"
        await page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        await context.close()
    for old in PRINTS.glob(f"{name}-*.png"):
        old.unlink()
    await asyncio.to_thread(
        subprocess.run,
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(PRINTS / name)],  # poppler-utils
        check=True,
    )
    return await asyncio.to_thread(pdf_pages_text, pdf)


@needs_poppler
async def test_every_printed_page_of_an_exercises_after_action_document_says_ovning(
    browser: Browser,
) -> None:
    pages = await _printed(browser, exercise=True, name="exercise")
    assert len(pages) >= 3, "a storm day runs over several pages"
    for number, text in enumerate(pages, start=1):
        assert "ÖVNING" in text, f"page {number} of {len(pages)} has no ÖVNING"
    whole = " ".join(" ".join(pages).split())
    for heading in (
        "Tidslinje",
        "Påverkan över tid per samhällsviktig verksamhet",
        "Rapporteringsomgångar",
        "Behov av stöd",
        "Åtgärder",
        "Betydelsefulla dagboksanteckningar",
        "Publicerade samlade lägesbilder",
        "Avslutande sammanfattning",
        "Utvärdering",
    ):
        assert heading in whole, heading
    assert "Lilla Edet rapporterade aldrig" in whole
    assert len(sorted(PRINTS.glob("exercise-*.png"))) == len(pages)


@needs_poppler
async def test_a_real_incidents_after_action_document_prints_without_ovning(
    browser: Browser,
) -> None:
    pages = await _printed(browser, exercise=False, name="real")
    assert len(pages) >= 3
    assert all("ÖVNING" not in text for text in pages)
