"""What the class's browser tests share (a teacher and learners, each in a browser context of its
own, so its own cookies and session): the `browser` fixture (a plugin of tests/conftest.py) and
small steps: a page, joining a class, axe-core's check, a POST as the page's scripts send.
"""

import re

import pytest
from playwright.async_api import expect

from tests.support.a11y import axe_violations, blocking, described
from tests.support.browser import UI_TIMEOUT_MS, chromium

CLASS_URL = re.compile(r"/class/[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/$")  # a class's page: its join code


@pytest.fixture
async def browser():
    async with chromium() as launched:
        yield launched


async def new_page(context_or_browser, errors: list[str]):
    """A page; from the browser: in a context of its own (its own cookies, so its own session).
    Its uncaught errors and console errors are appended to `errors`."""
    if hasattr(context_or_browser, "new_context"):
        context_or_browser = await context_or_browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context_or_browser.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


async def assert_accessible(page, name: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    found = blocking(await axe_violations(page))
    assert not found, f"axe on {name} ({page.url}):\n{described(found)}"


async def join(page, url: str, name: str) -> None:
    """Join the class at `url` as `name`, and wait for the banner to say so."""
    await page.goto(url)
    await page.fill("#join-name", name)
    await page.click("#join-button")
    await expect(page.locator("#class-banner-text")).to_contain_text(f"as {name}.")


async def post_json(page, url: str, body: dict | None = None) -> dict:
    """A POST from the page, as its own scripts send one (its cookies, its CSRF token):
    {"status": int, "body": the JSON answer}."""
    return await page.evaluate(
        """async ([url, body]) => {
          const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
          const r = await fetch(url, {method: 'POST', body: body === null ? null : JSON.stringify(body),
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
          return {status: r.status, body: await r.json()};
        }""",
        [url, body],
    )
