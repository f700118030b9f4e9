"""Frames a second of the live timeline with 10,000 bars, in Debian's Chromium.

The page is the real one (served by a real Daphne); a synthetic live run is fed to
its model: 10,000 tasks, half finished (with waits, retries and timeouts among
them), half still in flight, so every frame redraws growing bars. It is measured
twice: the whole run, and zoomed 8x into its middle (the minimap showing every bar
under it). The baseline, measured in the same run, is the same page with 10 tasks:
the browser's own frame rate here. Target: 60 frames a second, i.e. a ratio near 1.

    .venv/bin/python bench/frames.py [--tasks 10000] [--seconds 3]
"""

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM_FLAGS  # noqa: E402
from tests.support.servers import start_daphne, stop  # noqa: E402

FEED = """(n) => {
  const events = [{type: "run.started", seq: 0, t: 0, spec: {strategy: "semaphore", requests: n, limit: 50}}];
  let seq = 1;
  const push = (e) => events.push({seq: seq++, ...e});
  for (let i = 0; i < n; i++) {
    const t0 = i * 0.0005;
    push({type: "task.waiting", t: t0, task: i, attempt: 1, reason: "semaphore"});
    push({type: "task.started", t: t0 + 0.01, task: i, attempt: 1});
    if (i % 2) continue;  // half stay in flight: their bars grow every frame
    const status = i % 10 === 0 ? "timeout" : "ok";
    push({type: "task.finished", t: t0 + 0.2, task: i, attempt: 1, status, http_status: 200, error: null});
  }
  const p = window.playground;
  p.model.reset();
  p.model.apply(events, performance.now());
  p.view.markDirty();
  return events.length;
}"""

MEASURE = """async (seconds) => {
  const view = window.playground.view;
  await new Promise((r) => setTimeout(r, 500));  // first frames: caches and layout
  view.maxFrameMs = 0;
  const f0 = view.frames, t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return {fps: (view.frames - f0) / ((performance.now() - t0) / 1000), maxFrameMs: view.maxFrameMs,
          lastFrameMs: view.lastFrameMs, lanes: window.playground.model.laneCount};
}"""


# Zoom 8x into the middle of what is drawn, as three presses of + would, then some more.
ZOOM = """(factor) => {
  const view = window.playground.view;
  const [from, to] = [view.geometry.from, view.geometry.to];
  const span = (to - from) / factor, mid = (from + to) / 2;
  view.setWindow({from: mid - span / 2, to: mid + span / 2});
}"""


async def measure(base: str, tasks: int, seconds: float, zoom: float = 1.0) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(base + "/")
        await page.evaluate(FEED, tasks)
        if zoom != 1.0:
            await page.wait_for_function("() => window.playground.view.geometry")
            await page.evaluate(ZOOM, zoom)
        result = await page.evaluate(MEASURE, seconds)
        await browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    from playground.demoapi.process import DemoApiProcess

    with tempfile.TemporaryDirectory(prefix="playground-frames-") as tmp, DemoApiProcess.start() as demo:
        proc, srv = start_daphne(Path(tmp), demo.url)
        try:
            baseline = asyncio.run(measure(srv.base, 10, args.seconds))
            loaded = asyncio.run(measure(srv.base, args.tasks, args.seconds))
            zoomed = asyncio.run(measure(srv.base, args.tasks, args.seconds, zoom=8.0))
        finally:
            stop(proc)
    for name, result in (("live timeline", loaded), ("zoomed 8x, minimap", zoomed)):
        print(
            f"{name}, {result['lanes']:,} bars: {result['fps']:.1f} frames/s, "
            f"slowest frame {result['maxFrameMs']:.1f} ms, last {result['lastFrameMs']:.1f} ms, "
            f"ratio {result['fps'] / baseline['fps']:.2f}"
        )
    print(f"baseline, {baseline['lanes']} bars: {baseline['fps']:.1f} frames/s")
    print("(ratio 1.00 = as smooth as an almost empty timeline)")


if __name__ == "__main__":
    main()
