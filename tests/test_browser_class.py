"""A class in a real Chromium: a teacher's page and two learners' pages in one browser (separate
contexts, so separate cookies), on the session's real Daphne. Screenshots in test-output/class-*.png.

The teacher starts a class from the main page; its QR code and join URL are on the page; two
learners join with nicknames; the teacher's roster shows both, live; the teacher removes one,
whose page says so while the other's carries on. axe-core checks each page (no serious or
critical violation).
"""

import re

from playwright.async_api import expect

from tests.support.classbrowser import CLASS_URL, assert_accessible, new_page
from tests.support.classbrowser import join as join_class


async def join(page, url: str, name: str) -> None:
    """Join as `name`, after checking the form suggested a nickname ("Adjective Animal")."""
    await page.goto(url)
    await expect(page.locator("#join-name")).to_have_value(re.compile(r"^\w+ \w+$"))
    await join_class(page, url, name)


async def test_a_teacher_and_two_learners_the_roster_live_and_a_removal(server, browser, output_dir):
    errors: list[str] = []
    teacher = await new_page(browser, errors)
    await teacher.goto(server.base + "/")
    await expect(teacher.locator("#presets .preset")).not_to_have_count(0)
    await assert_accessible(teacher, "the main page with its Start a class button")
    await teacher.screenshot(path=output_dir / "class-start.png")
    await teacher.click("#class-start-button")
    await teacher.wait_for_url(CLASS_URL)
    code = (await teacher.locator("#class-code").text_content()).strip()
    join_url = f"{server.base}/class/{code}/"
    assert teacher.url == join_url
    await expect(teacher.locator("#join-url")).to_have_text(join_url)
    qr = teacher.locator("#class-qr svg")
    await expect(qr).to_be_visible()
    assert await qr.locator("title").text_content() == f"QR code of {join_url}"
    box = await qr.bounding_box()
    assert box["width"] >= 150 and box["width"] == box["height"]  # square, big enough to scan across a room
    await expect(teacher.locator("#class-status")).to_have_attribute("data-state", "live")
    await expect(teacher.locator("#roster-empty")).to_be_visible()
    await assert_accessible(teacher, "the teacher's page, empty")

    ada, bo = await new_page(browser, errors), await new_page(browser, errors)
    await ada.goto(join_url)
    await assert_accessible(ada, "the join form")
    await ada.screenshot(path=output_dir / "class-join.png", full_page=True)
    await join(ada, join_url, "Quiet Otter")
    await join(bo, join_url, "Brave Heron")

    roster = teacher.locator("#roster li .learner-name")
    await expect(roster).to_have_count(2)
    await expect(roster.nth(0)).to_contain_text("Quiet Otter")
    await expect(roster.nth(1)).to_contain_text("Brave Heron")
    await expect(teacher.locator("#roster-count")).to_have_text("2 of 200 learners")
    await expect(teacher.locator("#roster-empty")).to_be_hidden()
    await expect(ada.locator("#class-count")).to_have_text("2 learners in the class.")
    await expect(ada.locator("#class-names")).to_be_hidden()  # names are the teacher's to show
    await expect(ada.locator("#run-form")).to_be_visible()  # the playground works below the banner
    await teacher.screenshot(path=output_dir / "class-teacher.png", full_page=True)
    await ada.screenshot(path=output_dir / "class-learner.png", full_page=True)
    await assert_accessible(teacher, "the teacher's page with a roster")
    await assert_accessible(ada, "a learner's page")

    await teacher.click("#show-names")
    await expect(ada.locator("#class-names")).to_have_text("In the class: Quiet Otter, Brave Heron")

    await teacher.get_by_role("button", name="Remove Brave Heron").click()
    await expect(roster).to_have_count(1)
    await expect(roster.nth(0)).to_contain_text("Quiet Otter")
    gone = bo.locator("#class-gone")
    await expect(gone).to_be_visible()
    await expect(gone).to_contain_text("The teacher removed you from this class.")
    await expect(bo.locator("#class-banner")).to_have_attribute("data-state", "removed")
    await expect(ada.locator("#class-count")).to_have_text("1 learner in the class.")
    await expect(ada.locator("#class-gone")).to_be_hidden()
    await bo.screenshot(path=output_dir / "class-removed.png", full_page=True)
    await assert_accessible(bo, "a removed learner's page")

    assert not errors, f"the pages logged errors: {errors}"

    await bo.reload()  # and the class's page now says so too, with its status
    await expect(bo.locator("#class-gone-message")).to_have_text("The teacher removed you from this class.")
    assert errors == ["Failed to load resource: the server responded with a status of 403 (Forbidden)"]
