"""A real Chromium (Debian's, via Playwright: the `page` fixture of tests/support/browser.py)
against the real Daphne server."""

import re

import aiohttp
from playwright.async_api import expect

from tests.support.browser import fill_form, summary
from tests.support.proxy import CuttableProxy


async def test_run_from_the_form_draws_live_bars_and_the_summary(server, page, output_dir):
    await page.goto(server.base + "/")
    # Five waves of 0.5 s: long enough for the page to be live before the run ends.
    await fill_form(page, strategy="semaphore", latencies_ms="", requests=40, latency_ms=500, limit=8)
    await page.click("#run-button")
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"))
    # Live: some bars are open (growing) while the run goes on, and frames are drawn.
    await page.wait_for_function("() => window.playground.model.open.size > 0 && !window.playground.model.end")
    frames = await page.evaluate("() => window.playground.view.frames")
    await page.wait_for_function(f"() => window.playground.view.frames > {frames}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "live")
    await page.screenshot(path=output_dir / "run-live.png")

    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    assert await summary(page, "count-ok") == "40"
    assert await summary(page, "max_in_flight") == "8"
    assert 2.5 <= float(await summary(page, "wall_s")) < 2.5 + 1.0  # five waves of 500 ms
    assert await page.evaluate("() => window.playground.model.laneCount") == 40
    await expect(page.locator("#legend li")).not_to_have_count(0)
    assert "asyncio.Semaphore(limit)" in await page.locator("#strategy-source").inner_text()
    await page.screenshot(path=output_dir / "run-finished.png", full_page=True)

    # Reloading the run's page replays the same timeline from storage.
    await page.reload()
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    assert await page.evaluate("() => window.playground.model.laneCount") == 40
    assert await page.evaluate("() => window.playground.model.open.size") == 0
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", re.compile("replayed|finished"))


async def test_lesson_preset_three_tasks(server, page, output_dir):
    await page.goto(server.base + "/")
    await page.click('#presets [data-preset="three-tasks"]')
    await page.click("#run-button")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    assert float(await summary(page, "wall_s")) >= 0.5, "no faster than the slowest of 0.3, 0.5 and 0.2 s"
    assert await summary(page, "max_in_flight") == "3", "all three at once"
    assert await summary(page, "count-ok") == "3"
    await page.screenshot(path=output_dir / "preset-three-tasks.png", full_page=True)


async def test_bad_input_is_shown_next_to_the_field(server, page):
    await page.goto(server.base + "/")
    await fill_form(page, strategy="gather", latencies_ms="", requests=0)
    await page.click("#run-button")
    errors = page.locator('[data-errors-for="requests"]')
    await expect(errors).to_contain_text("between 1 and 10,000")
    assert page.url == server.base + "/"


async def test_dropped_connection_reconnects_and_resumes_without_loss(server, page, output_dir):
    port = int(server.base.rsplit(":", 1)[1])
    proxy = await CuttableProxy(port).start()
    base = f"http://127.0.0.1:{proxy.port}"
    try:
        await page.goto(base + "/")
        await fill_form(page, strategy="semaphore", latencies_ms="", requests=60, latency_ms=200, limit=4)
        await page.click("#run-button")
        await page.wait_for_function("() => window.playground.model.segmentCount > 8")
        assert proxy.cut() > 0
        await expect(page.locator("#conn-status")).to_have_attribute("data-state", "reconnecting")
        await page.screenshot(path=output_dir / "reconnecting.png")
        await expect(page.locator("#conn-status")).to_have_attribute("data-state", re.compile("live|finished"))
        await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
        run_id = page.url.rstrip("/").rsplit("/", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.base}/api/runs/{run_id}") as r:
                stored = (await r.json())["events"]
    finally:
        await proxy.close()
    model = await page.evaluate("""() => {
        const m = window.playground.model;
        return {lastSeq: m.lastSeq, counts: m.counts, open: m.open.size, lanes: m.laneCount,
                segments: m.segmentCount};
    }""")
    assert model["lastSeq"] == stored[-1]["seq"], "resumed up to the last event"
    assert model["open"] == 0 and model["lanes"] == 60
    # Every attempt's segments once: 60 flights and 60 waits, nothing twice.
    assert model["segments"] == sum(e["type"] in ("task.started", "task.waiting") for e in stored)
    assert await summary(page, "count-ok") == "60"


async def test_a_shared_link_is_a_read_only_replay(server, page):
    await page.goto(server.base + "/")
    # 10 s unless stopped: still going while a second browser opens the link, whatever the load.
    await fill_form(page, strategy="sequential", latencies_ms="", requests=50, latency_ms=200)
    await page.click("#run-button")
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"))
    await expect(page.locator("#stop-button")).to_be_visible()
    stranger = await page.context.browser.new_context()  # another learner: no session cookie
    try:
        other = await stranger.new_page()
        await other.goto(page.url)
        await other.wait_for_function("() => window.playground.model.running")
        await expect(other.locator("#stop-button")).to_be_hidden()
    finally:
        await stranger.close()
    await page.click("#stop-button")  # the owner may stop it
    await expect(page.locator("#summary")).to_have_attribute("data-status", "cancelled")
