"""The class gallery in a real Chromium: a teacher's page and three learners' pages in one browser
(separate contexts, so separate cookies), on the session's real Daphne. Screenshots in
test-output/class-gallery-*.png.

Three learners run small runs of three strategies; the teacher's dashboard shows three cards,
each with its mini timeline drawn (each run read once); sorting and filtering reorder and hide
cards; picking two turns Compare on; a new run's card goes from running to finished in place,
the focus and the picks kept, and so does a reconnect of the class socket; Pause turns every
learner's Run button off with a note saying why, and Resume turns it on again; a learner removed
while paused gets Run back and the stage stops following. axe-core checks the dashboard and a
paused learner's page.
"""

import json
import re

from playwright.async_api import expect

from tests.support.browser import fill_form
from tests.support.classbrowser import CLASS_URL, assert_accessible, join, new_page, post_json

# name, strategy, its parameters: three wall times well apart (5 requests of 200 ms), run in this
# order, so that each sort (newest, fastest, slowest, by name) lists the three in another order.
LEARNERS = [
    ("Brave Heron", "semaphore", {"limit": 2}),  # two at a time: ~0.6 s
    ("Quiet Otter", "sequential", {}),  # one after another: ~1 s
    ("Calm Lynx", "gather", {}),  # all at once: ~0.2 s
]
RUN_PATH = re.compile(r"/api/runs/[0-9a-f-]{36}$")  # a run read whole: its events, for a mini timeline


# The page's sockets, kept so a test can drop one (socket.js then reconnects, as after a network blip).
KEEP_SOCKETS_JS = """
window.testSockets = [];
window.WebSocket = class extends WebSocket {
  constructor(...args) { super(...args); window.testSockets.push(this); }
};
"""
# Counts each moment the gallery shows no cards or its "No runs yet" note.
WATCH_FLASHES_JS = """() => {
  window.flashes = 0;
  const list = document.getElementById('gallery-cards');
  const empty = document.getElementById('gallery-empty');
  new MutationObserver(() => { if (!list.children.length || !empty.hidden) window.flashes++; })
    .observe(document.getElementById('gallery'), {childList: true, subtree: true, attributes: true});
}"""

# Counts the writes to the gallery's count (a live region: each write is read out).
WATCH_COUNT_JS = """() => {
  window.countWrites = 0;
  new MutationObserver((records) => { window.countWrites += records.length; })
    .observe(document.getElementById('gallery-count'), {childList: true, characterData: true, subtree: true});
}"""


async def names_shown(teacher) -> list[str]:
    return await teacher.locator("#gallery-cards .gallery-name").all_text_contents()


async def test_the_dashboard_of_three_learners_runs_sorted_filtered_and_paused(server, browser, output_dir):
    errors: list[str] = []
    teacher = await new_page(browser, errors)
    await teacher.add_init_script(KEEP_SOCKETS_JS)
    reads: list[str] = []  # each run the teacher's page read whole
    teacher.on("request", lambda request: reads.append(request.url) if RUN_PATH.search(request.url) else None)
    await teacher.goto(server.base + "/")
    await teacher.click("#class-start-button")
    await teacher.wait_for_url(CLASS_URL)
    join_url = teacher.url
    await expect(teacher.locator("#class-status")).to_have_attribute("data-state", "live")
    await expect(teacher.locator("#gallery-empty")).to_be_visible()

    learners = []
    for name, strategy, params in LEARNERS:
        page = await new_page(browser, errors)
        await join(page, join_url, name)
        await fill_form(page, strategy=strategy, requests=5, latency_ms=200, jitter_ms=0, **params)
        await page.click("#run-button")
        learners.append(page)
    for page in learners:
        await expect(page.locator("#conn-status")).to_have_attribute("data-state", "finished")

    cards = teacher.locator("#gallery-cards .gallery-card")
    await expect(cards).to_have_count(3)
    await expect(teacher.locator('#gallery-cards .gallery-card[data-status="finished"]')).to_have_count(3)
    await expect(teacher.locator('#gallery-cards canvas.gallery-mini[data-drawn="true"]')).to_have_count(3)
    await expect(teacher.locator("#gallery-count")).to_have_text("3 runs")
    await expect(teacher.locator("#gallery-empty")).to_be_hidden()
    heron = cards.filter(has_text="Brave Heron")
    await expect(heron.locator(".gallery-line")).to_have_text("semaphore · 5 requests")
    await expect(heron.locator(".gallery-params")).to_contain_text("limit 2")
    await expect(heron.locator(".gallery-params")).to_contain_text("latency_ms 200")
    await expect(heron.locator(".gallery-status")).to_have_text(re.compile(r"^finished in \d"))
    await expect(heron.get_by_role("link", name="Open Brave Heron's run")).to_have_attribute(
        "href", re.compile(r"^/runs/[0-9a-f-]{36}/$")
    )
    # The mini timeline has ink on it: some pixel is not blank.
    inked = await heron.locator("canvas").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0)"
    )
    assert inked

    assert await names_shown(teacher) == ["Calm Lynx", "Quiet Otter", "Brave Heron"]  # newest first
    await teacher.select_option("#gallery-sort", "fastest")
    assert await names_shown(teacher) == ["Calm Lynx", "Brave Heron", "Quiet Otter"]
    await teacher.select_option("#gallery-sort", "slowest")
    assert await names_shown(teacher) == ["Quiet Otter", "Brave Heron", "Calm Lynx"]
    await teacher.select_option("#gallery-sort", "name")
    assert await names_shown(teacher) == ["Brave Heron", "Calm Lynx", "Quiet Otter"]
    await teacher.select_option("#gallery-strategy", "semaphore")
    await expect(cards).to_have_count(1)
    await expect(cards.first.locator(".gallery-name")).to_have_text("Brave Heron")
    await expect(teacher.locator("#gallery-count")).to_have_text("1 of 3 runs")
    await teacher.select_option("#gallery-strategy", "")
    await teacher.fill("#gallery-name", "otter")
    await expect(cards).to_have_count(1)
    await expect(cards.first.locator(".gallery-name")).to_have_text("Quiet Otter")
    await teacher.fill("#gallery-name", "")
    await expect(cards).to_have_count(3)

    compare = teacher.locator("#gallery-compare")
    await expect(compare).to_be_disabled()
    await teacher.get_by_role("button", name="Pick Quiet Otter's run to compare").click()
    await teacher.get_by_role("button", name="Pick Brave Heron's run to compare").click()
    await expect(compare).to_be_enabled()
    await expect(teacher.get_by_role("button", name="Pick Brave Heron's run to compare")).to_have_attribute(
        "aria-pressed", "true"
    )

    # A new run (3 s) comes while the teacher's focus is on a Pick button: the cards are updated in
    # place, so the button (and the focus on it) stays through every class.gallery the run causes,
    # the picks stay, and the new card goes from queued or running to finished in place.
    otter_pick = teacher.get_by_role("button", name="Pick Quiet Otter's run to compare")
    # The count, a live region outside the heading, is written only when it changes: once.
    assert await teacher.locator("#gallery-title #gallery-count").count() == 0
    await teacher.evaluate(WATCH_COUNT_JS)
    await otter_pick.focus()
    await fill_form(learners[2], strategy="sequential", requests=6, latency_ms=500)
    await learners[2].click("#run-button")
    await expect(cards).to_have_count(4)
    fresh = cards.filter(has_text="Calm Lynx").filter(has_text="sequential")
    await expect(fresh).to_have_attribute("data-status", re.compile(r"^(queued|running)$"))
    await expect(fresh.locator(".gallery-status")).to_have_text(re.compile(r"^(waiting for a worker|running…)$"))
    await expect(fresh.locator(".gallery-mini")).to_have_text("Timeline when it ends")
    await fresh.evaluate("li => { li.dataset.mark = 'the same element'; }")
    await expect(fresh).to_have_attribute("data-status", "finished")
    await expect(fresh).to_have_attribute("data-mark", "the same element")
    await expect(fresh.locator(".gallery-status")).to_have_text(re.compile(r"^finished in \d"))
    await expect(fresh.locator('canvas.gallery-mini[data-drawn="true"]')).to_have_count(1)
    await expect(teacher.locator('#gallery-cards .gallery-card[data-status="finished"]')).to_have_count(4)
    await expect(otter_pick).to_be_focused()
    await expect(otter_pick).to_have_attribute("aria-pressed", "true")
    await expect(compare).to_be_enabled()
    await expect(teacher.locator("#gallery-count")).to_have_text("4 runs")
    assert await teacher.evaluate("window.countWrites") == 1

    # The class socket drops and reconnects (a new class.hello): the cards and picks stay, and
    # "No runs yet" never shows, not even for a moment.
    await teacher.evaluate(WATCH_FLASHES_JS)
    class_sockets = await teacher.evaluate("window.testSockets.filter((s) => s.url.includes('/ws/classes/')).length")
    await teacher.evaluate("window.testSockets.findLast((s) => s.url.includes('/ws/classes/')).close()")
    await expect(teacher.locator("#class-status")).to_have_attribute("data-state", "live")
    await teacher.wait_for_function(
        "n => window.testSockets.filter((s) => s.url.includes('/ws/classes/') && s.readyState === 1).length === 1"
        " && window.testSockets.filter((s) => s.url.includes('/ws/classes/')).length === n + 1",
        arg=class_sockets,
    )
    await teacher.wait_for_load_state("networkidle")  # the list read again after the hello
    await expect(cards).to_have_count(4)
    assert await teacher.evaluate("window.flashes") == 0, "the cards or 'No runs yet' flashed on the reconnect"
    await expect(compare).to_be_enabled()
    await expect(teacher.get_by_role("button", name="Pick Brave Heron's run to compare")).to_have_attribute(
        "aria-pressed", "true"
    )
    # Each finished card's run was read once, through every update and the reconnect.
    ids = sorted([await card.get_attribute("data-run") for card in await cards.all()])
    assert sorted(url.rsplit("/", 1)[1] for url in reads) == ids, reads
    await teacher.screenshot(path=output_dir / "class-gallery-teacher.png", full_page=True)
    await assert_accessible(teacher, "the teacher's dashboard with four cards")

    await teacher.click("#pause-runs")
    await expect(teacher.locator("#pause-runs")).to_have_attribute("aria-pressed", "true")
    await expect(teacher.locator("#pause-runs")).to_have_text("Resume learners' runs")
    code = (await teacher.locator("#class-code").text_content()).strip()
    for page in learners:
        await expect(page.locator("#run-button")).to_be_disabled()
        await expect(page.locator("#class-paused")).to_have_text(
            f"Your teacher paused runs in class {code}: Run is off until they resume."
        )
    await learners[0].screenshot(path=output_dir / "class-gallery-paused-learner.png", full_page=True)
    await assert_accessible(learners[0], "a paused learner's page")
    late = await new_page(browser, errors)  # a learner who joins while paused: its hello says so
    await join(late, join_url, "Late Owl")
    await expect(late.locator("#run-button")).to_be_disabled()

    await teacher.click("#pause-runs")
    await expect(teacher.locator("#pause-runs")).to_have_attribute("aria-pressed", "false")
    for page in [*learners, late]:
        await expect(page.locator("#run-button")).to_be_enabled()
        await expect(page.locator("#class-paused")).to_be_hidden()

    # Removed while runs are paused and a long run is on stage: the page is out of the class, so
    # Run is on again and the stage stops following (its lane gone with the class socket), the others' carry on.
    otter = learners[1]
    await teacher.click("#pause-runs")
    await expect(otter.locator("#run-button")).to_be_disabled()
    await teacher.fill("#stage-spec", json.dumps({"strategy": "sequential", "requests": 20, "latency_ms": 1000}))
    await teacher.click("#stage-run")  # >= 20 s: it is still going when the socket closes below
    await expect(otter.locator(".stage-lane")).to_have_count(1)
    await expect(otter.locator(".stage-lane .stage-status")).to_have_attribute("data-state", "live")
    await teacher.get_by_role("button", name="Remove Quiet Otter").click()
    await expect(otter.locator("#class-gone")).to_contain_text("The teacher removed you from this class.")
    await expect(otter.locator("#run-button")).to_be_enabled()
    await expect(otter.locator("#class-paused")).to_be_hidden()
    await expect(otter.locator("#stage")).to_be_hidden()
    await expect(otter.locator(".stage-lane")).to_have_count(0)
    await expect(learners[0].locator(".stage-lane")).not_to_have_attribute("data-state", "finished")
    await expect(learners[0].locator("#run-button")).to_be_disabled()
    run = await learners[0].locator(".stage-lane").get_attribute("data-run")
    cancelled = await post_json(teacher, f"/api/runs/{run}/cancel")
    assert cancelled["status"] == 202, "the long run is cancelled, so it does not outlive the test"
    assert not errors, f"the pages logged errors: {errors}"
