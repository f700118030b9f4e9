"""A round of guesses in a real Chromium: a teacher's page and three learners' pages in one browser
(separate contexts, so separate cookies). Screenshots in test-output/class-round-*.png.

The teacher opens a round naming the run (Run for everyone is set to it); three learners type
guesses (ms and s); the teacher's Run for everyone locks the round on its run;
once the run has finished the teacher reveals; every page shows the histogram against the
measured and ideal times, the closest guess marked, each learner's own highlighted with how far
off it was. A learner changes a guess once; one reloads while the round is open (their guess is
still shown), one after the reveal (their own bar still marked); the projector (the teacher's
browser) shows the count, the lock and the histogram, display only and without a name. axe-core
checks the pages (no serious or critical violation).
"""

import json

from playwright.async_api import expect

from tests.support.classbrowser import CLASS_URL, assert_accessible, join, new_page

# Counts the writes to each live region of the round (#round-state, a learner's #guess-mine) in window.liveWrites.
WATCH_LIVE = """() => {
    window.liveWrites = {};
    for (const node of document.querySelectorAll("#round [aria-live]")) {
        window.liveWrites[node.id] = 0;
        new MutationObserver(() => (window.liveWrites[node.id] += 1)).observe(node, {
            childList: true, characterData: true, subtree: true,
        });
    }
}"""
PRESET = "three-200-gather"  # runs/presets.py: three requests of 200 ms, gather: about 200 ms
SPEC = {"strategy": "gather", "requests": 3, "latency_ms": 200}
# The run takes about 200 ms: the first guess is the closest unless the run took over 1.6 s.
GUESSES = [("Quiet Otter", "200", "200 ms"), ("Brave Heron", "3 s", "3 s"), ("Lucky Lynx", "0,1 min", "6 s")]


async def test_a_round_from_guesses_to_reveal_on_four_pages(rounds_server, browser, output_dir):
    srv = rounds_server
    errors: list[str] = []
    teacher = await new_page(browser, errors)
    history_gets: list[str] = []  # GET .../rounds: once per round's number or state, not per guess
    teacher.on("request", lambda r: history_gets.append(r.url) if r.url.endswith("/rounds") else None)
    run_sockets: list[str] = []  # run sockets: none (the stage follows its run on the class socket)
    teacher.on("websocket", lambda ws: run_sockets.append(ws.url) if "/ws/runs/" in ws.url else None)
    await teacher.goto(srv.base + "/")
    await teacher.click("#class-start-button")
    await teacher.wait_for_url(CLASS_URL)
    code = (await teacher.locator("#class-code").text_content()).strip()
    join_url = f"{srv.base}/class/{code}/"
    await expect(teacher.locator("#class-status")).to_have_attribute("data-state", "live")
    await expect(teacher.locator("#round-state")).to_have_text(
        "No round yet: open one before you run something for everyone."
    )
    await expect(teacher.locator("#round-reveal")).to_be_disabled()
    await expect(teacher.locator("#round-csv")).to_have_attribute("href", f"/api/classes/{code}/rounds.csv")

    learners = []
    for name, _, _ in GUESSES:
        page = await new_page(browser, errors)
        await join(page, join_url, name)
        await expect(page.locator("#round")).to_be_hidden()  # no round yet
        learners.append(page)

    # The projector, in the teacher's browser: the round too, display only, no names.
    projector = await teacher.context.new_page()
    projector.on("pageerror", lambda exc: errors.append(str(exc)))
    await projector.goto(join_url + "projector/")
    await expect(projector.locator("#class-status")).to_have_attribute("data-state", "live")
    await expect(projector.locator("#round")).to_be_hidden()  # no round yet

    await teacher.select_option("#round-spec", PRESET)
    await teacher.click("#round-open")
    await expect(teacher.locator("#round-state")).to_have_text("Round 1 is open.")
    await expect(teacher.locator("#round-count")).to_have_text("0 guesses so far.")
    fetched = len(history_gets)
    assert fetched >= 1, history_gets
    await expect(teacher.locator("#round-spec-words")).to_have_text("The run: gather · 3 requests · 200 ms each")
    # The class predicts the run it will watch: Run for everyone is set to the same preset.
    await expect(teacher.locator("#stage-preset")).to_have_value(PRESET)
    assert json.loads(await teacher.locator("#stage-spec").input_value()) == SPEC
    await expect(teacher.locator("#round-next")).to_have_text(
        "Run for everyone is set to “Three requests of 200 ms, gather”: press it once the class has guessed."
    )

    for page in [teacher, *learners]:  # each live region: how often it is written while the class guesses
        await expect(page.locator("#round-state")).not_to_have_text("")
        await page.evaluate(WATCH_LIVE)
    for page, (_, typed, shown) in zip(learners, GUESSES, strict=True):
        await expect(page.locator("#round-state")).to_have_text("Round 1: how long will it take?")
        await expect(page.locator("#round-spec-words")).to_have_text("The run: gather · 3 requests · 200 ms each")
        await page.fill("#guess-input", "soon")
        await page.click("#guess-submit")
        await expect(page.locator("#guess-error")).to_have_text("Type a time such as 800 ms or 1.5 s.")
        await page.fill("#guess-input", typed)
        await page.click("#guess-submit")
        await expect(page.locator("#guess-mine")).to_have_text(
            f"Your guess: {shown} (you can change it until the run starts)."
        )
        await expect(page.locator("#guess-error")).to_be_hidden()
    await expect(teacher.locator("#round-count")).to_have_text("3 guesses so far.")
    await expect(learners[0].locator("#round-count")).to_have_text("3 guesses so far.")
    # Three guesses: the live regions said nothing new (the counts are outside them); a learner's own
    # guess line spoke once, for their own guess, not for each classmate's.
    assert await teacher.evaluate("window.liveWrites") == {"round-state": 0}
    for page in learners:
        assert await page.evaluate("window.liveWrites") == {"round-state": 0, "guess-mine": 1}

    # A learner changes their guess once: the count stays, their own line says the new one.
    await learners[1].fill("#guess-input", "4 s")
    await learners[1].click("#guess-submit")
    await expect(learners[1].locator("#guess-mine")).to_have_text(
        "Your guess: 4 s (you can change it until the run starts)."
    )
    shown_now = [GUESSES[0][2], "4 s", GUESSES[2][2]]
    await expect(teacher.locator("#round-count")).to_have_text("3 guesses so far.")
    # A learner reloads while the round is open: their guess is still shown, the box still open.
    await learners[0].reload()
    await expect(learners[0].locator("#round-state")).to_have_text("Round 1: how long will it take?")
    await expect(learners[0].locator("#guess-mine")).to_have_text(
        "Your guess: 200 ms (you can change it until the run starts)."
    )
    await expect(learners[0].locator("#guess-form")).to_be_visible()
    assert len(history_gets) == fetched, history_gets  # three guesses, no history fetched again
    await expect(teacher.locator("#round-guessed")).to_have_text("Guessed: Quiet Otter, Brave Heron, Lucky Lynx.")
    await expect(projector.locator("#round-state")).to_have_text("Round 1: how long will it take? 3 guesses so far.")
    await expect(projector.locator("#round-spec-words")).to_have_text("The run: gather · 3 requests · 200 ms each")
    await expect(projector.locator("#round form, #round button, #round input")).to_have_count(0)
    await learners[0].screenshot(path=output_dir / "class-round-guess.png", full_page=True)
    await assert_accessible(learners[0], "a learner's page with an open round")
    await assert_accessible(teacher, "the teacher's page with an open round")

    # The teacher's real Run for everyone (set to the round's preset when it opened) locks the round.
    await teacher.click("#stage-run")
    for page in learners:
        await expect(page.locator("#round-state")).to_have_text("Guesses are locked: the run has started.")
        await expect(page.locator("#round-count")).to_have_text("3 guesses.")
        await expect(page.locator("#guess-form")).to_be_hidden()
    await expect(projector.locator("#round-state")).to_have_text("Guesses are locked: the run has started. 3 guesses.")
    await expect(teacher.locator("#round-state")).to_contain_text("Round 1 is locked on the run.")
    await expect(teacher.locator("#round-state")).to_contain_text("The run has finished.")
    assert len(history_gets) == fetched + 1, history_gets  # the lock: fetched once more
    run_id = (await teacher.locator(".stage-lane").get_attribute("data-run")) or ""
    assert run_id and run_sockets == [], "the stage's lane followed its run on the class socket alone"
    await teacher.click("#round-reveal")

    for page in [teacher, *learners, projector]:
        await expect(page.locator("#round-figure")).to_be_visible()
        svg = page.locator("#round-histogram")
        await expect(svg.locator("rect.round-bar")).not_to_have_count(0)
        await expect(svg.locator("line.round-wall")).to_have_count(1)
        await expect(svg.locator("line.round-ideal")).to_have_count(1)
        await expect(svg.locator("rect.is-closest")).to_have_count(1)
        await expect(page.locator("#round-summary")).to_contain_text("3 guesses; measured ")
    await expect(teacher.locator("#round-summary")).to_contain_text("closest: Quiet Otter (200 ms)")
    await expect(learners[1].locator("#round-summary")).not_to_contain_text("Quiet Otter")  # names are hidden
    await expect(projector.locator("#round-summary")).to_contain_text("closest: 200 ms.")
    await expect(projector.locator("#round-histogram rect.is-mine")).to_have_count(0)
    projected = await projector.locator("body").inner_text()
    for name, _, _ in GUESSES:
        assert name not in projected, f"the projector shows {name}"
    await projector.screenshot(path=output_dir / "class-round-projector.png", full_page=True)
    await assert_accessible(projector, "the projector after the reveal")
    guesses = teacher.locator("#round-guesses li")
    await expect(guesses).to_have_count(3)
    await expect(guesses.nth(0)).to_contain_text("★ Quiet Otter: 200 ms")
    for page, shown in zip(learners, shown_now, strict=True):
        await expect(page.locator("#round-histogram rect.is-mine")).to_have_count(1)
        await expect(page.locator("#round-off")).to_contain_text(f"You guessed {shown}: ")
    # A learner reloads after the reveal: the histogram, their own bar and how far off they were.
    await learners[2].reload()
    await expect(learners[2].locator("#round-figure")).to_be_visible()
    await expect(learners[2].locator("#round-histogram rect.is-mine")).to_have_count(1)
    await expect(learners[2].locator("#round-off")).to_contain_text("You guessed 6 s: ")
    await expect(learners[2].locator("#guess-form")).to_be_hidden()
    await expect(learners[2].locator("#round-off")).to_contain_text("too long")
    await expect(teacher.locator("#round-history tr")).to_have_count(1)
    await expect(teacher.locator("#round-history tr td").nth(1)).to_have_text("revealed")

    await teacher.screenshot(path=output_dir / "class-round-teacher.png", full_page=True)
    for n, page in enumerate(learners):
        await page.screenshot(path=output_dir / f"class-round-learner-{n + 1}.png", full_page=True)
    await assert_accessible(teacher, "the teacher's page after the reveal")
    await assert_accessible(learners[0], "a learner's page after the reveal")
    assert not errors, f"the pages logged errors: {errors}"
