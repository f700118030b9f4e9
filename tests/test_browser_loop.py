"""The event-loop lane in a real Chromium (the `page` fixture of tests/support/browser.py) on
the session's real Daphne: real runs alone in a process of their own (own_process), one that
blocks its loop inside every request and one that does not; their lanes, summaries, a
comparison of the two beside a run that shares its loop, and axe on the page with the lane.
Screenshots in test-output/.
"""

import re

from playwright.async_api import expect

from tests.support.a11y import axe_violations, blocking, described
from tests.support.browser import fill_form, summary

RUN_URL = re.compile(r"/runs/[0-9a-f-]{36}/$")
# Five requests gathered, each holding the loop 100 ms with time.sleep inside its coroutine:
# they take turns, so the loop is blocked about 0.5 s (at least 0.4 s, with slack for timing).
WORKLOAD = {"strategy": "gather", "latencies_ms": "", "requests": 5, "latency_ms": 100}
BLOCKING = {"block_ms": 100, "block_kind": "sleep"}
BLOCKED_AT_LEAST_S = 0.4
HELD_S = 0.1  # a free loop has no stretch this long: that would be one request's whole block

SETTLED = "() => !window.playground.view.dirty && !window.playground.view.raf"
STRETCHES = "() => window.playground.model.loopBlocked.map(({start, end}) => ({start, end}))"
# The colour drawn at time t (s) in the middle of the loop's lane, from the view's own geometry.
LANE_PIXEL = """(t) => { const v = window.playground.view, g = v.geometry;
    const x = Math.round(g.a * t + g.b), y = Math.round(g.loopTop + g.loopH / 2);
    return Array.from(v.canvas.getContext("2d").getImageData(x, y, 1, 1).data.slice(0, 3)); }"""


def red(rgb) -> bool:
    """A blocked stretch's bricks (vermillion, dark mortar): red well above green and blue."""
    r, g, b = rgb
    return r > 60 and r > 1.5 * g and r > 2 * b


def light(rgb) -> bool:
    """The free loop's pale fill."""
    return min(rgb) >= 200


async def run_alone(page, base: str, **extra) -> str:
    """Run the workload in a process of its own from the form, until it finishes; its page's URL."""
    await page.goto(base + "/")
    await fill_form(page, **WORKLOAD, **extra)
    await page.check("#run-form [name=own_process]")
    await page.click("#run-button")
    await page.wait_for_url(RUN_URL)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    await page.wait_for_function(SETTLED)
    return page.url


async def test_a_blocked_loop_shows_in_its_lane_its_tooltip_and_the_summary(server, page, output_dir):
    await run_alone(page, server.base, **BLOCKING)
    g = await page.evaluate("() => window.playground.view.geometry")
    assert g["loopH"] > 0, "a run in its own process has the lane"
    stretches = await page.evaluate(STRETCHES)
    blocked = sum(s["end"] - s["start"] for s in stretches)
    assert blocked >= BLOCKED_AT_LEAST_S, stretches
    longest = max(stretches, key=lambda s: s["end"] - s["start"])
    assert red(await page.evaluate(LANE_PIXEL, (longest["start"] + longest["end"]) / 2)), "drawn as blocked"

    # The summary: the server's measured figures, and the verdict on them.
    blocked_s = float(await summary(page, "loop_blocked"))
    assert blocked_s >= BLOCKED_AT_LEAST_S
    # Its own line when the loop was held half the run or more (about 0.5 s of 0.6 s, unless the machine is slow).
    line = page.locator("#summary .loop-verdict")
    if blocked_s / float(await summary(page, "wall_s")) >= 0.5:
        await expect(line).to_contain_text("while code held it, no other task ran")
    else:
        await expect(line).to_be_hidden()
    await expect(page.locator('#summary [data-summary="loop_blocked"]')).to_contain_text("of the run")
    await expect(page.locator('#summary [data-summary="loop_stretches"]')).to_contain_text("the longest")
    await expect(page.locator(".stat--cost")).to_be_visible()
    assert float(await summary(page, "cpu_s")) > 0
    await expect(page.locator("#timeline-loop")).to_have_text(re.compile(r"^Event loop lane: blocked "))
    await expect(page.locator("#legend [data-legend=loop-blocked]")).to_have_attribute("data-present", "")

    # The pointer over the longest stretch: how long, and when.
    canvas = page.locator("#timeline")
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    x = (g["a"] * (longest["start"] + longest["end"]) / 2 + g["b"]) / g["dpr"]
    y = (g["loopTop"] + g["loopH"] / 2) / g["dpr"]
    await page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator("#tooltip")
    await expect(tooltip).to_contain_text("no other task could run")
    said = re.search(r"Event loop blocked for ([\d,]+) ms\s*([\d.]+)–([\d.]+) s", await tooltip.inner_text())
    assert said, await tooltip.inner_text()
    ms, start, end = float(said[1].replace(",", "")), float(said[2]), float(said[3])
    assert abs(ms - (longest["end"] - longest["start"]) * 1000) <= 1, said[0]  # rounded to the ms
    assert abs(start - longest["start"]) <= 0.01 and abs(end - longest["end"]) <= 0.01, said[0]  # to 0.01 s
    await page.screenshot(path=output_dir / "loop-blocked.png", full_page=True)

    # By keyboard: up from request #0 reaches the lane.
    await page.mouse.move(0, 0)
    await canvas.focus()
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowUp")
    await expect(page.locator("#timeline-said")).to_contain_text("Event loop blocked for")

    found = blocking(await axe_violations(page))
    assert not found, f"axe on a run with the loop's lane ({page.url}):\n{described(found)}"


async def test_a_free_loop_and_a_comparison_with_the_blocked_one_and_a_shared_loop(server, page, output_dir):
    blocked_url = await run_alone(page, server.base, **BLOCKING)
    free_url = await run_alone(page, server.base)
    stretches = await page.evaluate(STRETCHES)
    assert not [s for s in stretches if s["end"] - s["start"] >= HELD_S], stretches
    wall = await page.evaluate("() => window.playground.model.end")
    # A moment of the run in no reported stretch (a loaded machine may hold the loop 20 ms now and then).
    moments = [wall * k / 20 for k in range(2, 19)]
    free_at = next(t for t in moments if not any(s["start"] - 0.01 <= t <= s["end"] + 0.01 for s in stretches))
    assert light(await page.evaluate(LANE_PIXEL, free_at)), "drawn as free"
    assert float(await summary(page, "loop_blocked")) < BLOCKED_AT_LEAST_S
    await expect(page.locator(".summary .loop-verdict")).to_be_hidden()
    await page.screenshot(path=output_dir / "loop-free.png", full_page=True)

    # A run sharing its loop: no lane, no loop or cost figures.
    await page.goto(server.base + "/")
    await fill_form(page, **WORKLOAD)
    await page.click("#run-button")
    await page.wait_for_url(RUN_URL)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    assert await page.evaluate("() => window.playground.view.geometry.loopH") == 0
    await expect(page.locator(".stat--loop")).to_be_hidden()
    await expect(page.locator(".stat--cost")).to_be_hidden()
    await expect(page.locator("#legend [data-legend=loop-free]")).to_be_hidden()
    shared_url = page.url

    ids = [re.search(r"/runs/([0-9a-f-]{36})/", url).group(1) for url in (blocked_url, free_url, shared_url)]
    await page.goto(f"{server.base}/compare/?runs={','.join(ids)}")
    await page.wait_for_function("() => window.playground.lanes.every((lane) => lane.model.end !== null)")
    lanes = page.locator(".lane")
    for i in (0, 1):
        for key in ("loop_blocked", "cpu_s", "peak_memory_mb", "threads"):
            await expect(lanes.nth(i).locator(f'[data-lane="{key}"]')).to_be_visible()
    blocked_s = float(await lanes.nth(0).locator('[data-lane="loop_blocked"]').get_attribute("data-value"))
    free_s = float(await lanes.nth(1).locator('[data-lane="loop_blocked"]').get_attribute("data-value"))
    assert blocked_s >= BLOCKED_AT_LEAST_S > free_s
    await expect(lanes.nth(2).locator('[data-lane="loop_blocked"]')).to_be_hidden()
    await expect(lanes.nth(2).locator('[data-lane="cpu_s"]')).to_be_hidden()
    heights = await page.evaluate("() => window.playground.lanes.map((lane) => lane.view.geometry.loopH)")
    assert heights[0] > 0 and heights[1] > 0 and heights[2] == 0, heights
    await page.screenshot(path=output_dir / "loop-compare.png", full_page=True)


async def test_a_strategy_that_always_runs_alone_shows_its_own_process_box_ticked_and_fixed(server, page):
    await page.goto(server.base + "/")
    box = page.locator("#run-form [name=own_process]")
    await expect(box).not_to_be_checked()
    await page.select_option("#run-form [name=strategy]", "blocking")
    await expect(box).to_be_checked()
    await expect(box).to_be_disabled()
    await page.select_option("#run-form [name=strategy]", "gather")  # the learner's choice comes back
    await expect(box).not_to_be_checked()
    await expect(box).to_be_enabled()
    await page.fill("#run-form [name=block_ms]", "50")  # work that blocks the loop: alone too
    await expect(box).to_be_checked()
    await expect(box).to_be_disabled()
    await page.fill("#run-form [name=block_ms]", "")
    await expect(box).not_to_be_checked()
    await expect(box).to_be_enabled()
