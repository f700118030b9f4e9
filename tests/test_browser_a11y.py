"""Accessibility in a real Chromium: axe-core (npm, tests/support/a11y.py) finds no serious or
critical violation on each page below, in each state a learner sees it in.

PAGES lists them: a name and an async function that brings the `page` fixture there (on the
session's real Daphne). A new page is one more entry; a state that needs a run first can
call finish_run(). Each page's screenshot lands in test-output/a11y-<name>.png.
"""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support.a11y import axe_violations, blocking, described
from tests.support.browser import fill_form
from tests.support.servers import start_test_daphne, stop

RUN_URL = re.compile(r"/runs/[0-9a-f-]{36}/$")


async def finish_run(page, base: str, **spec) -> str:
    """Run `spec` from the form (three quick requests unless told) until it finishes; its page's URL."""
    await page.goto(base + "/")
    await fill_form(page, **{"strategy": "gather", "latencies_ms": "", "requests": 3, "latency_ms": 50, **spec})
    await page.click("#run-button")
    await page.wait_for_url(RUN_URL)
    await expect(page.locator("#summary")).to_have_attribute("data-status", re.compile("finished|failed"))
    return page.url


async def main_page(page, base):
    await page.goto(base + "/")
    await expect(page.locator("#presets .preset")).not_to_have_count(0)


async def form_error(page, base):
    await page.goto(base + "/")
    await fill_form(page, strategy="gather", latencies_ms="", requests=0)
    await page.click("#run-button")
    await expect(page.locator('[data-errors-for="requests"]')).to_be_visible()


async def finished_run(page, base):
    # Every outcome the summary and the legend can show: ok, error, timed out, retried.
    url = await finish_run(
        page,
        base,
        strategy="semaphore",
        requests=12,
        latency_ms=60,
        limit=4,
        failure_rate=0.3,
        timeout_ms=100,
        retries=1,
        guess_ms=100,
    )
    await page.goto(url)  # as a shared link opens it: replayed from storage
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "replayed")


async def finished_run_tooltip(page, base):
    await finish_run(page, base)
    box = await page.locator("#timeline").bounding_box()
    # Lane 0's bar, a little after its start: the view's own geometry says where that is.
    x, y = await page.evaluate(
        """() => { const v = window.playground.view, g = v.geometry, s = v.model.lanes[0].segments[0];
        return [(g.a * (s.start + 0.01) + g.b) / g.dpr, (g.top + g.step / 2) / g.dpr]; }"""
    )
    await page.mouse.move(box["x"] + x, box["y"] + y)
    await expect(page.locator("#tooltip")).to_be_visible()


async def live_run(page, base):
    await page.goto(base + "/")
    # 10 s unless stopped: live for as long as the checker reads it; stopped afterwards.
    await fill_form(page, strategy="sequential", latencies_ms="", requests=50, latency_ms=200)
    await page.click("#run-button")
    await page.wait_for_url(RUN_URL)
    await page.wait_for_function("() => window.playground.model.open.size > 0")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "live")


async def replayed_and_zoomed(page, base):
    # The replay bar mid-run and the zoom controls with the minimap shown.
    await finish_run(page, base, strategy="semaphore", requests=12, latency_ms=60, limit=4)
    await expect(page.locator("#replay-bar")).to_be_visible()
    await page.locator("#replay-scrubber").fill("90")
    await page.click("#zoom-in")
    await expect(page.locator(".minimap-wrap")).to_be_visible()


async def comparison(page, base):
    await page.goto(base + "/")
    await page.click("#pairs summary")
    await page.click('#pairs [data-pair="sequential-vs-gather"]')
    await page.wait_for_url(re.compile(r"/compare/\?runs="))
    await expect(page.locator("#speedup")).to_have_attribute("data-ready", "true")


async def comparison_refused(page, base):
    await page.goto(base + "/compare/?runs=just-one")
    await expect(page.locator("#compare-error")).to_be_visible()


PAGES = {
    "main": main_page,
    "form-error": form_error,
    "finished-run": finished_run,
    "finished-run-tooltip": finished_run_tooltip,
    "live-run": live_run,
    "replayed-and-zoomed": replayed_and_zoomed,
    "comparison": comparison,
    "comparison-refused": comparison_refused,
}


@pytest.mark.parametrize("name", PAGES)
async def test_axe_finds_no_serious_or_critical_violation(name, server, page, output_dir):
    await PAGES[name](page, server.base)
    await page.screenshot(path=output_dir / f"a11y-{name}.png", full_page=True)
    violations = await axe_violations(page)
    found = blocking(violations)
    assert not found, f"axe on {name} ({page.url}):\n{described(found)}"
    if await page.locator("#stop-button").is_visible():  # a live run: stop it, as a learner would
        await page.click("#stop-button")
        await expect(page.locator("#summary")).to_have_attribute("data-status", "cancelled")


@pytest.fixture
def unstaffed(demo_api):
    """A Daphne with no runs worker: a run it is given waits in the queue until the test ends."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-a11y-"))
    proc, srv = start_test_daphne(tmp, demo_api.url, {"PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"})
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


async def test_axe_finds_no_serious_or_critical_violation_on_a_queued_run(unstaffed, page, output_dir):
    await page.goto(unstaffed.base + "/")
    await fill_form(page, strategy="gather", latencies_ms="", requests=3)
    await page.click("#run-button")
    await page.wait_for_url(RUN_URL)
    await expect(page.locator("#queue-status")).to_contain_text("next in line")
    await expect(page.locator("#stop-button")).to_have_text("Cancel run")
    await page.screenshot(path=output_dir / "a11y-queued-run.png", full_page=True)
    found = blocking(await axe_violations(page))
    assert not found, f"axe on a queued run ({page.url}):\n{described(found)}"


# --- Keyboard: everything the mouse does, with Tab, Enter and the arrow keys ---------------

TABS_MAX = 150  # more Tab presses than the page has stops: past this, the control is out of reach


async def tab_to(page, selector: str) -> None:
    """Press Tab until `selector` has the focus, and check that it shows (a visible ring)."""
    for _ in range(TABS_MAX):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            ring = await page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
            )
            assert ring["style"] != "none" and ring["width"] >= 2, f"{selector} has the focus but no ring: {ring}"
            return
    raise AssertionError(f"{TABS_MAX} Tab presses never reached {selector}")


async def focused(page, expression: str):
    return await page.evaluate(f"() => document.activeElement.{expression}")


async def test_a_run_by_keyboard_alone_from_preset_to_each_bar_and_the_code(server, page, output_dir):
    await page.goto(server.base + "/")
    await tab_to(page, "a.skip")  # the first stop: straight to the playground
    await tab_to(page, '#presets [data-preset="three-tasks"]')
    await page.keyboard.press("Enter")
    await expect(page.locator('#presets [data-preset="three-tasks"]')).to_have_attribute("aria-pressed", "true")
    assert await focused(page, "name") == "guess_ms"  # the preset asks for a guess next
    await page.keyboard.type("600")
    await page.keyboard.press("Enter")  # submits the form, as the Run button does
    await page.wait_for_url(RUN_URL)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")

    await tab_to(page, "#timeline")
    tooltip, said = page.locator("#tooltip"), page.locator("#timeline-said")
    await page.keyboard.press("ArrowDown")
    await expect(tooltip).to_be_visible()
    await expect(tooltip).to_contain_text("Task 0 · attempt 1")
    await expect(said).to_have_text(re.compile(r"^Task 0 · attempt 1\. in flight\. .*ok · HTTP 200"))
    await page.keyboard.press("ArrowDown")
    await expect(said).to_contain_text("Task 1 · attempt 1")
    await page.keyboard.press("End")
    await expect(said).to_contain_text("Task 2 · attempt 1")
    await expect(tooltip).to_contain_text("The task finished 1st.")  # 0.2 s: the first of three to finish
    await page.screenshot(path=output_dir / "a11y-keyboard-timeline.png")
    await page.keyboard.press("Escape")
    await expect(tooltip).to_be_hidden()
    await expect(said).to_have_text("")

    await tab_to(page, "#strategy-source")  # the code scrolls by keyboard too
    await tab_to(page, "#code-more .code-piece summary")
    await page.keyboard.press("Enter")
    await expect(page.locator("#code-more .code-piece").first).to_have_attribute("open", "")


async def test_the_form_by_keyboard_a_refused_field_takes_the_focus_and_a_live_run_stops(server, page):
    await page.goto(server.base + "/")
    await tab_to(page, "#run-form [name=strategy]")
    before = await focused(page, "value")
    await page.keyboard.press("ArrowDown")  # a closed <select> changes with the arrows
    assert await focused(page, "value") != before
    await page.select_option("#run-form [name=strategy]", "sequential")
    await page.fill("#run-form [name=latencies_ms]", "")
    await page.fill("#run-form [name=latency_ms]", "200")
    await page.fill("#run-form [name=requests]", "0")
    await page.focus("#run-form [name=requests]")
    await page.keyboard.press("Enter")
    await expect(page.locator('[data-errors-for="requests"]')).to_be_visible()
    assert await focused(page, "name") == "requests"  # the learner lands on what to fix
    assert await focused(page, "getAttribute('aria-invalid')") == "true"

    await page.keyboard.press("Control+A")
    await page.keyboard.type("50")  # 10 s unless stopped
    await page.keyboard.press("Enter")
    await page.wait_for_url(RUN_URL)
    await page.wait_for_function("() => window.playground.model.open.size > 0")
    await tab_to(page, "#stop-button")
    await page.keyboard.press("Enter")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "cancelled")
