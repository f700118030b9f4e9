"""Zoom and pan on a real run's timeline in Chromium: wheel around the pointer, drag, keys,
buttons and the minimap, each read back from the view's window and the page's controls."""

import re

from playwright.async_api import expect

from tests.support.wsclient import collect_run, start_run

SPEC = {"strategy": "semaphore", "requests": 40, "latency_ms": 100, "limit": 4}  # ten waves: 1 s


async def shown(page) -> list[float]:
    """[from, to] of the time axis the timeline draws (s)."""
    return await page.evaluate("() => [window.playground.view.geometry.from, window.playground.view.geometry.to]")


async def after_frame(page):
    """Once the frame the last input asked for is drawn (none pending: the run is over)."""
    await page.wait_for_function("() => !window.playground.view.dirty && !window.playground.view.raf")


async def open_finished_run(server, page):
    run_id = await start_run(server, SPEC)
    await collect_run(server, run_id)
    await page.goto(f"{server.base}/runs/{run_id}/")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    await page.wait_for_function("() => window.playground.view.geometry && window.playground.model.laneCount === 40")


async def test_the_wheel_zooms_around_the_pointer_and_a_drag_pans(server, page, output_dir):
    await open_finished_run(server, page)
    whole = await shown(page)
    assert whole[0] == 0 and whole[1] >= 1.0
    box = await page.locator("#timeline").bounding_box()
    x = box["x"] + box["width"] * 0.75
    y = box["y"] + box["height"] / 2
    anchor = await page.evaluate(f"() => window.playground.view.timeAt({box['width'] * 0.75})")
    await page.mouse.move(x, y)
    await page.mouse.wheel(0, -400)  # four notches in
    await after_frame(page)
    zoomed = await shown(page)
    assert zoomed[1] - zoomed[0] < (whole[1] - whole[0]) / 2
    # The time under the pointer stayed under it.
    assert abs(await page.evaluate(f"() => window.playground.view.timeAt({box['width'] * 0.75})") - anchor) < 0.01
    await expect(page.locator("#zoom-level")).not_to_have_text("1.0x")
    await expect(page.locator(".minimap-wrap")).to_be_visible()
    await page.screenshot(path=output_dir / "zoomed.png", full_page=True)

    await page.mouse.down()
    await page.mouse.move(x - box["width"] * 0.3, y, steps=5)  # drag left: later times come into view
    await page.mouse.up()
    await after_frame(page)
    panned = await shown(page)
    assert panned[0] > zoomed[0] and abs((panned[1] - panned[0]) - (zoomed[1] - zoomed[0])) < 1e-6

    await page.click("#zoom-reset")
    await after_frame(page)
    assert await shown(page) == whole
    await expect(page.locator(".minimap-wrap")).to_be_hidden()
    await expect(page.locator("#zoom-reset")).to_be_disabled()


async def test_the_keyboard_and_buttons_zoom_and_pan_and_the_minimap_moves_the_window(server, page, output_dir):
    await open_finished_run(server, page)
    whole = await shown(page)
    await page.focus("#timeline")
    await page.keyboard.press("+")
    await page.keyboard.press("+")
    await after_frame(page)
    zoomed = await shown(page)
    span = zoomed[1] - zoomed[0]
    assert abs(span - (whole[1] - whole[0]) / 2.25) < 1e-6, "two steps of 1.5x around the middle"
    await page.keyboard.press("Shift+ArrowRight")
    await after_frame(page)
    right = await shown(page)
    assert abs(right[0] - (zoomed[0] + span * 0.2)) < 1e-6
    await page.click("#zoom-in")
    await after_frame(page)
    assert (await shown(page))[1] - (await shown(page))[0] < span
    await expect(page.locator("#zoom-level")).to_have_text(re.compile(r"^3\.4x$"))

    # The minimap shows the whole run: a click half way along centres the window there.
    mini = await page.locator("#minimap").bounding_box()
    gutter = await page.evaluate("() => window.playground.view.geometry.x0 / window.playground.view.geometry.dpr")
    plot = mini["width"] - gutter - 20
    before = await shown(page)
    await page.mouse.click(mini["x"] + gutter + plot * 0.5, mini["y"] + mini["height"] / 2)
    await after_frame(page)
    now = await shown(page)
    assert abs((now[0] + now[1]) / 2 - whole[1] * 0.5) < 0.02 and now != before
    assert abs((now[1] - now[0]) - (before[1] - before[0])) < 1e-6, "the same span, moved"
    # A bar chosen by keyboard outside the window brings the window to it.
    await page.focus("#timeline")
    await page.keyboard.press("End")  # the last request's first bar: waiting from the start, before this window
    await after_frame(page)
    chosen = await page.evaluate("() => window.playground.view.hover.start")
    moved = await shown(page)
    assert chosen < now[0] and moved[0] <= chosen <= moved[1]
    await page.screenshot(path=output_dir / "zoomed-minimap.png", full_page=True)

    await page.focus("#timeline")
    await page.keyboard.press("0")
    await after_frame(page)
    assert await shown(page) == whole
