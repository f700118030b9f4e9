"""A queued run in a real Chromium: its place in line and estimated start, live, then its
timeline once a worker takes it; its owner can cancel it while it waits.

The server here starts with no worker at all (runs wait until the test starts one), so
what the page shows while a run waits does not depend on timing.
"""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support.servers import start_test_daphne, start_worker, stop

ENV = {"PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"}


@pytest.fixture
def unstaffed(demo_api):
    """A Daphne whose runs wait for a worker; yields (server, start a worker)."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-unstaffed-"))
    proc, srv = start_test_daphne(tmp, demo_api.url, ENV)
    workers = []
    yield srv, lambda: workers.append(start_worker(tmp, demo_api.url, ENV, db=srv.db))
    for worker in [*workers, proc]:
        stop(worker)
    shutil.rmtree(tmp, ignore_errors=True)


async def submit(page, base: str, requests: int) -> str:
    await page.goto(base + "/")
    await page.locator("#run-form [name=strategy]").select_option("gather")
    await page.locator("#run-form [name=latencies_ms]").fill("")
    await page.locator("#run-form [name=requests]").fill(str(requests))
    await page.click("#run-button")
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"))
    return page.url


async def test_a_waiting_run_shows_its_place_can_be_cancelled_and_starts_when_a_worker_comes(
    unstaffed, page, output_dir
):
    srv, start_a_worker = unstaffed
    first = await submit(page, srv.base, 3)
    status = page.locator("#queue-status")
    await expect(status).to_be_visible()
    await expect(status).to_have_attribute("data-place", "1")
    await expect(status).to_contain_text("next in line")

    second = await submit(page, srv.base, 4)  # both tiny: in the order they came
    await expect(status).to_have_attribute("data-place", "2")
    await expect(status).to_contain_text("2nd in line")
    await page.screenshot(path=output_dir / "run-queued.png")
    await expect(page.locator("#stop-button")).to_have_text("Cancel run")
    await page.click("#stop-button")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "cancelled")
    await expect(status).to_be_hidden()
    assert page.url == second

    await page.goto(first)  # still waiting: nothing has run it
    await expect(status).to_have_attribute("data-place", "1")
    start_a_worker()
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished", timeout=30_000)
    await expect(status).to_be_hidden()
    assert await page.evaluate("() => window.playground.model.laneCount") == 3
