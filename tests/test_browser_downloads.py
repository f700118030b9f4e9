"""A finished run's downloads in a real Chromium: JSON, CSV and trace from the export
endpoint, the timeline as a PNG; and the tooltip's phases on a real bar."""

import csv
import io
import json
import re
import struct
import zlib

from playwright.async_api import expect

from tests.support.tracefmt import check_trace

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REQUESTS = 4


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the decompressed scanlines) of a PNG, read by its chunks (stdlib only)."""
    assert data.startswith(PNG_SIGNATURE)
    pos, idat, size = len(PNG_SIGNATURE), b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return *size, zlib.decompress(idat)


async def download(page, selector: str) -> tuple[str, bytes]:
    async with page.expect_download() as info:
        await page.click(selector)
    got = await info.value
    return got.suggested_filename, (await got.path()).read_bytes()


async def test_a_finished_run_downloads_as_json_csv_trace_and_png(server, page, output_dir):
    await page.goto(server.base + "/")
    await page.select_option("#run-form [name=strategy]", "gather")
    await page.fill("#run-form [name=latencies_ms]", "")
    await page.fill("#run-form [name=requests]", str(REQUESTS))
    await page.fill("#run-form [name=latency_ms]", "300")
    await expect(page.locator("#downloads")).to_be_hidden()
    await page.click("#run-button")
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"))
    run_id = re.search(r"/runs/([0-9a-f-]{36})/$", page.url).group(1)
    await expect(page.locator("#summary")).to_have_attribute("data-status", "finished")
    await expect(page.locator("#downloads")).to_be_visible()

    name, body = await download(page, "[data-export=json]")
    data = json.loads(body)
    assert name == f"run-gather-{run_id}.json" and data["id"] == run_id and data["status"] == "finished"
    assert data["events"][-1]["type"] == "run.finished"

    name, body = await download(page, "[data-export=csv]")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert name == f"run-gather-{run_id}.csv"
    assert rows and list(rows[0])[:3] == ["request", "attempt", "waiting_reason"]
    assert sorted((r["request"], r["attempt"]) for r in rows) == [(str(i), "1") for i in range(REQUESTS)]

    name, body = await download(page, "[data-export=trace]")
    assert name == f"run-gather-{run_id}.trace.json"
    assert {e["name"] for e in check_trace(json.loads(body))} >= {"connect", "wait", "read"}

    name, body = await download(page, "[data-export=png]")
    width, height, pixels = png_pixels(body)
    canvas = await page.evaluate("() => { const c = document.getElementById('timeline'); return [c.width, c.height]; }")
    assert name == f"run-gather-{run_id}.png" and [width, height] == canvas
    assert len(set(pixels)) > 16, "a blank picture: the bars are missing"
    (output_dir / "download-timeline.png").write_bytes(body)

    # The tooltip over request 0's bar gives each of its phases in ms.
    point = await page.evaluate(
        """() => {
          const { model, view } = window.playground;
          const g = view.geometry, bar = model.lanes[0].segments.at(-1);
          return [(g.a * (bar.start + bar.end) / 2 + g.b) / g.dpr, (g.top + g.step / 2) / g.dpr];
        }"""
    )
    box = await page.locator("#timeline").bounding_box()
    await page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    tip = page.locator("#tooltip")
    await expect(tip).to_contain_text("waiting for the answer:")
    assert re.search(r"waiting for the answer: \d[\d,]* ms", await tip.inner_text())
    await page.screenshot(path=output_dir / "downloads-and-phases.png", full_page=True)
