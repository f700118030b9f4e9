"""The stage in a real Chromium: a teacher's page and three learners' pages in one browser (separate
contexts, so separate cookies), on the session's real Daphne. Screenshots in test-output/class-stage-*.png.

The teacher runs a preset "for everyone": every learner's page draws the same run's bars, live then
finished, with who ran it and the load at launch; the projector view shows it large, without names.
Then the teacher compares their run with a learner's on one axis (names shown): each page draws two
lanes; the projector still says only "a learner". Clear stage empties every page. axe-core checks
each page (no serious or critical violation).
"""

import re

from playwright.async_api import expect

from tests.support.classbrowser import CLASS_URL, assert_accessible, join, new_page, post_json

NAMES = ["Quiet Otter", "Brave Heron", "Swift Koala"]
LOAD = re.compile(r"^(While \d+ other runs? (was|were) running, \d+ waiting|Nothing else was running or waiting)\.$")
WALL = re.compile(r"^finished in \d[\d.]* m?s \(wall time\)$")  # time-words.js: "215 ms", "1.23 s"


async def lanes_of(page) -> list[dict]:
    """Each stage lane's run, status, bars, events received and frames drawn (class-stage.js's hook)."""
    return await page.evaluate("window.playgroundStage.state")


async def painted(page, lane: int) -> int:
    """Pixels of a lane's timeline canvas that are not blank: bars were drawn."""
    return await page.evaluate(
        """(i) => {
          const canvas = document.querySelectorAll('#stage-lanes canvas[role="img"][tabindex="0"]')[i];
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let p = 0; p < data.length; p += 4) if (data[p + 3] && (data[p] < 200 || data[p + 2] < 200)) n++;
          return n;
        }""",
        lane,
    )


async def test_the_teachers_run_for_everyone_on_every_learners_page(server, browser, output_dir):
    errors: list[str] = []
    teacher = await new_page(browser, errors)
    await teacher.goto(server.base + "/")
    await teacher.click("#class-start-button")
    await teacher.wait_for_url(CLASS_URL)
    code = (await teacher.locator("#class-code").text_content()).strip()
    join_url = f"{server.base}/class/{code}/"
    learners = [await new_page(browser, errors) for _ in NAMES]
    for page, name in zip(learners, NAMES, strict=True):
        await join(page, join_url, name)
    await expect(teacher.locator("#roster li")).to_have_count(3)
    for page in learners:
        await expect(page.locator("#stage")).to_be_hidden()  # nothing on stage yet
    await assert_accessible(teacher, "the teacher's page with the Run for everyone panel")

    # Run for everyone: a preset fills the spec.
    await teacher.select_option("#stage-preset", "semaphore-2")
    assert '"limit":2' in (await teacher.locator("#stage-spec").input_value()).replace(" ", "")
    await teacher.click("#stage-run")
    for page in [teacher, *learners]:
        headline = page.locator("#stage-headline")
        await expect(headline).to_have_text("On stage: semaphore, 6 requests, run by the teacher.")
        await expect(page.locator("#stage-load")).to_have_text(LOAD)
        lane = page.locator(".stage-lane")
        await expect(lane).to_have_count(1)
        await expect(lane).to_have_attribute("data-state", "finished")
        await expect(lane.locator(".stage-status")).to_have_text(WALL)
    runs = [await lanes_of(page) for page in [teacher, *learners]]
    assert all(len(r) == 1 and r[0]["id"] == runs[0][0]["id"] for r in runs), runs
    for state in runs:
        assert state[0]["bars"] == 6 and state[0]["status"] == "finished"
        assert state[0]["events"] == state[0]["lastSeq"] + 1, "each event once, none lost"
    for i, page in enumerate(learners):
        assert await painted(page, 0) > 500, f"{NAMES[i]}'s page drew the bars"
    await teacher.screenshot(path=output_dir / "class-stage-teacher.png", full_page=True)
    await learners[0].screenshot(path=output_dir / "class-stage-learner.png", full_page=True)
    await assert_accessible(learners[0], "a learner's page with the stage")

    # A learner who reloads (a reconnect, a late joiner) gets the same run, replayed.
    await learners[2].reload()
    await expect(learners[2].locator(".stage-lane")).to_have_attribute("data-state", "finished")
    assert (await lanes_of(learners[2]))[0]["bars"] == 6

    # The projector, in the teacher's browser: the code, the QR code, the stage large.
    projector = await new_page(teacher.context, errors)
    await projector.goto(join_url + "projector/")
    await expect(projector.locator("#class-code")).to_have_text(code)
    await expect(projector.locator(".stage-lane")).to_have_attribute("data-state", "finished")
    await projector.screenshot(path=output_dir / "class-stage-projector.png", full_page=True)
    await assert_accessible(projector, "the projector view")

    # Compared with a learner's run, names shown: two lanes on one axis; the projector names no one.
    mine = runs[0][0]["id"]
    hers = await post_json(learners[0], "/api/runs", {"strategy": "sequential", "requests": 3, "latency_ms": 100})
    assert hers["status"] == 201, hers
    await teacher.click("#show-names")
    await expect(learners[1].locator("#class-names")).to_contain_text("Quiet Otter")
    staged = await post_json(teacher, f"/api/classes/{code}/stage", {"runs": [mine, hers["body"]["id"]]})
    assert staged["status"] == 200, staged
    for page in [teacher, *learners, projector]:
        await expect(page.locator(".stage-lane")).to_have_count(2)
        for lane in range(2):  # the run kept on stage too: its lane rebuilt, and filled again
            await expect(page.locator(".stage-lane").nth(lane)).to_have_attribute("data-state", "finished")
    who = ".stage-lane .stage-who"
    await expect(learners[1].locator(who).nth(1)).to_have_text("B · sequential, run by Quiet Otter")
    await expect(projector.locator(who).nth(1)).to_have_text("B · sequential, run by a learner")
    for name in NAMES:
        assert name not in await projector.locator("body").inner_text()
    await learners[1].screenshot(path=output_dir / "class-stage-compare.png", full_page=True)
    await projector.screenshot(path=output_dir / "class-stage-projector-compare.png", full_page=True)

    # Clear stage: every learner's stage goes away.
    await teacher.click("#stage-clear")
    for page in learners:
        await expect(page.locator("#stage")).to_be_hidden()
    await expect(projector.locator("#stage-headline")).to_have_text("Nothing on stage yet.")
    assert not errors, f"the pages logged errors: {errors}"
