"""The code panel in a real Chromium: the server's Pygments tokens, shown as the source it is.

Same set-up as tests/test_browser.py (Debian's Chromium through async Playwright, the
session's real Daphne, the page's strict Content-Security-Policy).
"""

import re

from playwright.async_api import expect

from playground.strategies.shown import text_of
from tests.support.browser import UI_TIMEOUT_MS

KEYWORD = "rgb(143, 63, 113)"  # .code .k in app.css


async def shown_pieces(page) -> list[dict]:
    """Each <code> of the panel: its text, and how many token spans it holds."""
    return await page.locator("#strategy-source code, #code-more .code-piece pre code").evaluate_all(
        "codes => codes.map((code) => ({text: code.textContent, spans: code.querySelectorAll('span').length}))"
    )


async def test_the_plan_and_the_run_show_highlighted_source(server, page, output_dir):
    await page.goto(server.base + "/")
    await page.select_option("#run-form [name=strategy]", "semaphore")
    keyword = page.locator("#strategy-source code span.k").first
    await expect(keyword).to_have_text(re.compile(r"^(async|def|await|return)$"))
    assert await keyword.evaluate("el => getComputedStyle(el).color") == KEYWORD  # app.css styles Pygments' classes
    boot = await page.evaluate("() => JSON.parse(document.getElementById('boot').textContent)")
    semaphore = next(s for s in boot["strategies"] if s["name"] == "semaphore")
    plan = await shown_pieces(page)
    assert plan[0]["text"] == text_of(semaphore["code"]) and plan[0]["spans"] > 10
    await page.locator("#strategy-panel").screenshot(path=output_dir / "code-panel-highlighted.png")

    await page.fill("#run-form [name=latencies_ms]", "")
    await page.fill("#run-form [name=requests]", "3")
    await page.fill("#run-form [name=latency_ms]", "20")
    await page.fill("#run-form [name=limit]", "2")
    await page.fill("#run-form [name=retries]", "1")
    await page.click("#run-button")
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished", timeout=UI_TIMEOUT_MS)
    await expect(page.locator('#strategy-panel [data-code="heading"]')).to_have_text("The code that ran")
    ran = [text_of(piece) for piece in await page.evaluate("() => window.playground.model.code")]
    shown = await shown_pieces(page)
    assert [p["text"] for p in shown] == ran  # what the learner reads is the source, exactly
    assert all(p["spans"] > 0 for p in shown)
    assert len(ran) >= 4  # the strategy, the retry guard, wire() and Api.fetch at least


async def test_show_source_makes_spans_of_tokens_and_falls_back_to_text(server, page):
    await page.goto(server.base + "/")
    result = await page.evaluate("""async () => {
        const src = document.querySelector('script[type="module"]').src;
        const { showSource } = await import(new URL("code-panel.js", src));
        const show = (piece) => {
            const code = document.createElement("code");
            showSource(code, piece);
            return {html: code.innerHTML, text: code.textContent};
        };
        return {
            // A run stored before pieces carried tokens: its plain source.
            stored: show({source: "x = 1\\n"}),
            // Tokens are class and text, never markup: a tag in the text stays text.
            markup: show({tokens: [["s2", "<img src=/ onerror=window.pwned=1>"], ["", "\\n"]]}),
            tokens: show({tokens: [["n", "a"], ["", " "], ["o", "<"], ["", " b\\n"]]}),
            pwned: window.pwned ?? null,
        };
    }""")
    assert result["stored"] == {"html": "x = 1\n", "text": "x = 1\n"}
    assert result["markup"] == {
        "html": '<span class="s2">&lt;img src=/ onerror=window.pwned=1&gt;</span>\n',
        "text": "<img src=/ onerror=window.pwned=1>\n",
    }
    assert result["tokens"] == {"html": '<span class="n">a</span> <span class="o">&lt;</span> b\n', "text": "a < b\n"}
    assert result["pwned"] is None
