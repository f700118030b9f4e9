"""What the browser tests share: Debian's Chromium through async Playwright, and
small readers of the page. Import the `page` fixture into a test module to use it.

async_playwright shares pytest-asyncio's loop instead of fighting it.
"""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UI_TIMEOUT_MS = 30_000  # the longest run a browser test starts lasts ~3 s; past this the page is stuck


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, launched with the flags that work here; closed after."""
    path = shutil.which("chromium")
    assert path, "Chromium is missing: `make test` installs Debian's chromium package"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page():
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(UI_TIMEOUT_MS)
        yield page
    # A refused spec is an expected 400; Chromium logs every 4xx fetch.
    errors = [e for e in errors if "responded with a status of 400" not in e]
    assert not errors, f"the page logged errors: {errors}"


async def summary(page, key: str) -> str:
    """A summary figure's raw value (data-value)."""
    return await page.locator(f'#summary [data-summary="{key}"]').get_attribute("data-value")


async def fill_form(page, **values):
    """Type (or select) each value into the run form's field of that name."""
    for name, value in values.items():
        field = page.locator(f"#run-form [name={name}]")
        if await field.evaluate("el => el.tagName") == "SELECT":
            await field.select_option(str(value))
        else:
            await field.fill(str(value))
