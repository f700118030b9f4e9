"""axe-core, the accessibility checker, run inside a page in Chromium.

axe-core comes from npm (package.json pins its version; `make test` runs `npm ci`, which puts
it in node_modules/). Its script is evaluated in the page through Playwright, the way
DevTools runs a snippet, so the page's Content-Security-Policy (scripts from 'self' only)
needs no exception for it.

    axe_violations(page) -> [{id, impact, help, nodes: [{target, failureSummary}]}]
    blocking(violations)  -> the serious and critical ones, the ones a test fails on
    described(violations) -> one readable line per violation and offending element
"""

from tests.support.servers import ROOT

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # axe's impacts are minor, moderate, serious, critical


async def axe_violations(page) -> list[dict]:
    """Every axe rule's violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: `make test` installs axe-core with npm ci"
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_JS.read_text())
    return await page.evaluate("""async () => {
        const results = await window.axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), failureSummary: n.failureSummary})),
        }));
    }""")


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def described(violations: list[dict]) -> str:
    """`id (impact): help`, then each offending element's selector and what axe found there."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            summary = " ".join((node["failureSummary"] or "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)
