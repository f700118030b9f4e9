"""The strategy catalog in a real Chromium: presets, guards, phases, code panel, summary.

Same set-up as tests/test_browser.py (Debian's Chromium through async Playwright, the
session's real Daphne): each test presses what a learner presses, then reads the result
through `window.playground` (the model and view) and the DOM.
"""

import re

import pytest
from playwright.async_api import expect

from playground import events
from tests.support.browser import UI_TIMEOUT_MS, summary

SKY = (0x56, 0xB4, 0xE9)  # COLORS.sky in timeline-style.js: the concurrency strip's bars


async def run_and_wait(page):
    """Press Run; return once the run's summary has arrived (status finished)."""
    await page.click("#run-button")
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"), timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished", timeout=UI_TIMEOUT_MS)


async def run_preset(page, server, name: str):
    await page.goto(server.base + "/")
    await page.click(f'#presets [data-preset="{name}"]')
    await run_and_wait(page)


async def summary_text(page, key: str) -> str:
    return await page.locator(f'#summary [data-summary="{key}"]').inner_text()


async def segments(page) -> list[dict]:
    """Every segment of the model: task, attempt, phase, reason, status."""
    return await page.evaluate("""() => window.playground.model.lanes.flatMap((lane) => lane.segments.map(
        (s) => ({task: s.task, attempt: s.attempt, phase: s.phase, reason: s.reason, status: s.status})))""")


async def legend_present(page) -> set[str]:
    return set(
        await page.locator("#legend li[data-present]").evaluate_all("items => items.map((item) => item.dataset.legend)")
    )


async def strip_drawn(page) -> dict:
    """The concurrency strip: its size, frames drawn, and how many pixels its bars cover."""
    return await page.evaluate(
        """([r, g, b]) => {
        const canvas = document.getElementById("concurrency");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let bars = 0;
        for (let i = 0; i < data.length; i += 4) bars += data[i] === r && data[i + 1] === g && data[i + 2] === b;
        return {width: canvas.width, height: canvas.height, frames: window.playground.view.frames, bars};
    }""",
        list(SKY),
    )


async def check_drawn_and_summarised(page, *, requests: int):
    """What every finished run shows: the strip drawn, wall time, ideal and formula, counts."""
    strip = await strip_drawn(page)
    assert strip["width"] > 0 and strip["height"] > 0 and strip["frames"] > 0
    assert strip["bars"] > 100, "the strip's in-flight bars were painted"
    assert float(await summary(page, "wall_s")) > 0
    assert float(await summary(page, "ideal_s")) > 0
    assert await summary_text(page, "ideal_formula")
    assert await summary(page, "requests") == str(requests)
    counted = [int(await summary(page, f"count-{status}")) for status in events.TASK_STATUSES]
    assert sum(counted) == requests
    await expect(page.locator("#summary .verdict")).to_be_visible()


async def test_rate_limiter_preset_waits_for_tokens(server, page, output_dir):
    await run_preset(page, server, "rate-limited-limiter")
    segs = await segments(page)
    waits = [s for s in segs if s["phase"] == "waiting"]
    assert {s["reason"] for s in waits} == {"rate"} and len({s["task"] for s in waits}) == 30
    assert {s["status"] for s in segs if s["phase"] == "flight"} == {"ok"}
    assert not [s for s in segs if s["phase"] == "backoff"]
    present = await legend_present(page)
    assert {"waiting", "ok"} <= present and "backoff" not in present
    await expect(page.locator('#legend [data-legend="waiting"]')).to_contain_text("rate-limit token")

    await check_drawn_and_summarised(page, requests=30)
    assert await summary(page, "count-ok") == "30"
    assert await summary(page, "rejected") == "0", "paced at the server's rate: no 429s"
    assert float(await summary(page, "ideal_s")) == pytest.approx(2.9 + 0.1)  # 30 starts at 10/s, +1 latency
    assert "k / 10" in await summary_text(page, "ideal_formula")
    assert 2.9 <= float(await summary(page, "wall_s")) < 2.9 + 2.0
    assert "rate-limit token" in await summary_text(page, "waiting")
    await page.screenshot(path=output_dir / "catalog-rate-limiter.png", full_page=True)


async def test_flaky_preset_retries_after_backoff(server, page, output_dir):
    await run_preset(page, server, "flaky")
    segs = await segments(page)
    phases = {s["phase"] for s in segs}
    assert {"flight", "backoff"} <= phases
    assert any(s["attempt"] >= 2 and s["phase"] == "flight" for s in segs), "a second attempt was made"
    assert {"timeout", "error"} <= {s["status"] for s in segs if s["attempt"] == 1}
    links = await page.evaluate("() => window.playground.model.links.length")
    assert links == len({(s["task"], s["attempt"]) for s in segs if s["attempt"] >= 2})
    assert {"backoff", "link", "timeout", "error", "ok"} <= await legend_present(page)

    await check_drawn_and_summarised(page, requests=20)
    assert await summary(page, "count-ok") == "20", "every request succeeded in the end"
    assert int(await summary(page, "retries")) == links
    assert float(await summary(page, "backoff_s")) > 0
    assert "each attempt cut at 1,000 ms" in await summary_text(page, "ideal_formula")
    await page.screenshot(path=output_dir / "catalog-flaky.png", full_page=True)


async def test_batches_preset_waits_for_its_batch(server, page, output_dir):
    await run_preset(page, server, "uneven-batches")
    segs = await segments(page)
    waits = [s for s in segs if s["phase"] == "waiting"]
    assert {s["reason"] for s in waits} == {"batch"}
    assert {s["phase"] for s in segs} == {"waiting", "flight"}
    await expect(page.locator('#legend [data-legend="waiting"]')).to_contain_text("its batch")
    assert "waiting" in await legend_present(page)

    await check_drawn_and_summarised(page, requests=12)
    assert await summary(page, "max_in_flight") == "4"
    assert float(await summary(page, "ideal_s")) == pytest.approx(2.4)  # three batches of 0.8 s
    assert "batch after batch of 4" in await summary_text(page, "ideal_formula")
    assert 2.4 <= float(await summary(page, "wall_s")) < 2.4 + 1.5
    await page.screenshot(path=output_dir / "catalog-batches.png", full_page=True)


async def test_limit_guard_on_as_completed(server, page, output_dir):
    await page.goto(server.base + "/")
    await page.select_option("#run-form [name=strategy]", "as_completed")
    limit = page.locator('[data-field="limit"]')
    await expect(limit).to_be_visible()
    await expect(limit).to_have_attribute("data-group", "guards")  # a guard here, not a parameter
    await page.fill("#run-form [name=latencies_ms]", "")
    await page.fill("#run-form [name=requests]", "12")
    await page.fill("#run-form [name=latency_ms]", "200")
    await page.fill("#run-form [name=limit]", "3")
    note = page.locator('#strategy-panel [data-code="note"]')
    await expect(note).to_contain_text("limited")  # the plan names the guard before the run
    await run_and_wait(page)

    assert await summary(page, "max_in_flight") == "3"
    assert await page.evaluate("() => window.playground.model.maxInFlight") == 3
    reasons = {s["reason"] for s in await segments(page) if s["phase"] == "waiting"}
    assert reasons == {"semaphore"}
    await expect(page.locator('#strategy-panel [data-code="heading"]')).to_have_text("The code that ran")
    titles = await page.locator("#code-more .code-piece summary").all_inner_texts()
    sources = await page.locator("#code-more .code-piece pre").all_text_contents()
    assert any("limited" in t and "guards.py:" in t for t in titles), titles
    assert any("async def wire(" in s for s in sources)
    assert any("def limited(" in s for s in sources)
    assert "asyncio.as_completed(" in await page.locator("#strategy-source").inner_text()

    # Completion order: the model's ranks follow the flights' end times, and the page shows them.
    order, by_end = await page.evaluate("""() => {
        const m = window.playground.model;
        const ends = m.lanes.map((lane) => [lane.task, lane.segments[lane.segments.length - 1].end]);
        return [m.completionOrder(), ends.sort((a, b) => a[1] - b[1]).map(([task]) => task)];
    }""")
    assert sorted(order) == list(range(12))
    assert order == by_end
    assert (await summary_text(page, "finish_order")).startswith(", ".join(f"#{t}" for t in order[:12]))
    await page.screenshot(path=output_dir / "catalog-as-completed-limit.png", full_page=True)

    # Switching to semaphore makes limit its own, required parameter.
    await page.select_option("#run-form [name=strategy]", "semaphore")
    await expect(limit).to_have_attribute("data-group", "params")
    await expect(limit).to_have_class(re.compile(r"\bis-required\b"))
    await expect(page.locator('#strategy-panel [data-code="heading"]')).to_have_text("The code that will run")
