"""What browser tests check on every page: accessibility (axe-core) and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Locator, Page

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


async def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation of WCAG 2.1 A/AA on the page."""
    results = await Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"],
        },
    )
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == [], f"{page.url}: " + "\n".join(serious)


async def shoot(page: Page, name: str, *, of: Locator | None = None) -> None:
    """A picture of the whole page, or of one part of it (a dialog, say)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if of is not None:
        await of.screenshot(path=str(SHOTS / f"{name}.png"))
    else:
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# Printed pages are read back with Debian's poppler-utils (`make chromium` installs them).
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="pdftotext and pdftoppm (Debian's poppler-utils; `make chromium` installs them)",
)


def pdf_pages_text(pdf: Path) -> list[str]:
    """The text of each printed page of `pdf` (blank pages left out)."""
    text = subprocess.run(  # noqa: S603  # a fixed tool on our own file
        ["pdftotext", "-layout", str(pdf), "-"],  # noqa: S607  # poppler-utils from PATH
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [page for page in text.split("\f") if page.strip()]
