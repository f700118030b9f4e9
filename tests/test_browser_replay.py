"""Replaying a finished run in Chromium: the cursor shows the run as it was then (bars,
counts in the summary, in flight), steps go event to event, play runs to the end."""

from playwright.async_api import expect

from tests.support.browser import summary
from tests.support.wsclient import collect_run, start_run

# Four waves of 0.2 s, two at a time: a cursor between two waves has some done, some in flight.
SPEC = {"strategy": "semaphore", "requests": 8, "latency_ms": 200, "limit": 2}


async def settled(page):
    """Once the frame the last input asked for is drawn."""
    await page.wait_for_function("() => !window.playground.view.dirty && !window.playground.view.raf")


async def shown(page, expression: str):
    """`expression` over the model the timeline draws now (`m`): the replay's, or the run's."""
    return await page.evaluate(f"() => {{ const m = window.playground.view.model; return {expression}; }}")


async def test_the_cursor_shows_the_run_as_it_was_and_play_runs_to_the_end(server, page, output_dir):
    run_id = await start_run(server, SPEC)
    events = await collect_run(server, run_id)
    end = events[-1]["t"]
    await page.goto(f"{server.base}/runs/{run_id}/")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    await expect(page.locator("#replay-bar")).to_be_visible()
    await expect(page.locator("#replay-play")).to_have_text("Replay")
    domain = await page.evaluate("() => window.playground.view.geometry.domain")

    # Scrub to between the first wave's end and the second's: the run's own events say
    # what had happened by then (on a loaded machine its waves come later than planned).
    finishes = sorted(e["t"] for e in events if e["type"] == "task.finished")
    cursor_ms = round((finishes[1] + finishes[2]) / 2 * 1000)
    cursor = cursor_ms / 1000

    def by(kind):
        return sum(e["type"] == kind and e["t"] <= cursor for e in events)

    ok, in_flight = by("task.finished"), by("task.started") - by("task.finished")
    assert 0 < ok < 8 and in_flight > 0, "the cursor is mid-run"
    await page.locator("#replay-scrubber").fill(str(cursor_ms))
    await settled(page)
    assert await shown(page, "m.counts.ok") == ok
    assert await shown(page, "m.inFlight") == in_flight
    assert await shown(page, "m.nowAt(performance.now())") == cursor
    assert await summary(page, "count-ok") == str(ok), "the summary counts as of the cursor"
    assert await page.evaluate("() => window.playground.view.geometry.domain") == domain, "the axis holds still"
    await expect(page.locator("#replay-time")).to_contain_text(f"{cursor:.3f} s")
    await page.screenshot(path=output_dir / "replay-cursor.png", full_page=True)

    # Step to the next event, then back twice: to before the cursor.
    await page.click("#replay-next")
    await settled(page)
    moments = sorted({e["t"] for e in events})
    assert await shown(page, "m.nowAt(performance.now())") == next(t for t in moments if t > cursor)
    await page.click("#replay-previous")
    await page.click("#replay-previous")
    await settled(page)
    assert await shown(page, "m.nowAt(performance.now())") < cursor

    # Play from the start at 1/4x (about 3.5 s: long enough to see it playing on a loaded
    # machine), then at 4x: it runs to the end, the summary the stored one again.
    await page.locator("#replay-speed").select_option("0.25")
    await page.locator("#replay-scrubber").fill("0")
    await page.click("#replay-play")
    await expect(page.locator("#replay-play")).to_have_text("Pause")
    await page.locator("#replay-speed").select_option("4")
    await expect(page.locator("#replay-play")).to_have_text("Replay", timeout=10_000)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    assert await summary(page, "count-ok") == "8"
    assert await shown(page, "m.end") == end


async def test_the_replay_bar_is_keyboard_operable(server, page):
    run_id = await start_run(server, SPEC)
    await collect_run(server, run_id)
    await page.goto(f"{server.base}/runs/{run_id}/")
    await expect(page.locator("#replay-bar")).to_be_visible()
    await page.focus("#replay-scrubber")
    await page.keyboard.press("Home")  # a range input: Home is its minimum
    await settled(page)
    assert await shown(page, "m.counts.ok") == 0
    await page.focus("#replay-next")
    await page.keyboard.press("Enter")
    await settled(page)
    assert await shown(page, "m.nowAt(performance.now())") > 0
    await page.focus("#replay-play")
    await page.keyboard.press("Space")
    await expect(page.locator("#replay-play")).to_have_text("Replay", timeout=10_000)
    assert await summary(page, "count-ok") == "8"
