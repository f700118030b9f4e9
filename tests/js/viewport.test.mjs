import assert from "node:assert/strict";
import test from "node:test";

import { centerOn, MIN_SPAN_S, panBy, visible, zoomAt, zoomLevel } from "../../static/playground/viewport.js";

const close = (a, b) => Math.abs(a - b) < 1e-9;

test("no window is the whole axis, however it grows", () => {
  assert.deepEqual(visible(null, 2), [0, 2]);
  assert.deepEqual(visible(null, 5), [0, 5]);
});

test("zooming in keeps the anchor where it was on screen", () => {
  const w = zoomAt(null, 10, 2, 2.5); // 2.5 s sat a quarter of the way across
  assert.ok(close(w.to - w.from, 5));
  assert.ok(close((2.5 - w.from) / (w.to - w.from), 0.25));
  const again = zoomAt(w, 10, 4, 3);
  assert.ok(close(again.to - again.from, 1.25));
  assert.ok(close((3 - again.from) / 1.25, (3 - w.from) / 5));
});

test("a window never leaves the axis, and zooming out all the way follows the whole run again", () => {
  const nearStart = zoomAt(null, 10, 4, 0);
  assert.deepEqual([nearStart.from, nearStart.to], [0, 2.5]);
  const w = zoomAt(null, 10, 4, 10);
  assert.deepEqual([w.from, w.to], [7.5, 10]);
  assert.equal(zoomAt(w, 10, 1 / 8, 9), null);
  assert.deepEqual(panBy(w, 10, 100), { from: 7.5, to: 10 });
  assert.deepEqual(panBy(w, 10, -100), { from: 0, to: 2.5 });
  assert.equal(panBy(null, 10, 1), null, "the whole axis does not pan");
});

test("zoom stops at a thousandth of the run or 0.1 ms", () => {
  let w = null;
  for (let i = 0; i < 60; i += 1) w = zoomAt(w, 10, 2, 5);
  assert.ok(close(w.to - w.from, 0.01));
  w = null;
  for (let i = 0; i < 60; i += 1) w = zoomAt(w, 0.01, 2, 0.005);
  assert.ok(close(w.to - w.from, MIN_SPAN_S));
});

test("the minimap centres the window on a time, kept inside the axis", () => {
  const w = zoomAt(null, 10, 5, 5); // 2 s wide
  assert.deepEqual(centerOn(w, 10, 3), { from: 2, to: 4 });
  assert.deepEqual(centerOn(w, 10, 0.2), { from: 0, to: 2 });
  assert.equal(centerOn(null, 10, 3), null);
});

test("a window on a run that since grew stays put; one wider than the axis shrinks to it", () => {
  assert.deepEqual(visible({ from: 1, to: 2 }, 4), [1, 2]);
  assert.deepEqual(visible({ from: 3, to: 5 }, 4), [2, 4]);
  assert.deepEqual(visible({ from: 0, to: 9 }, 4), [0, 4]);
});

test("the zoom level reads as how much closer than the whole run", () => {
  assert.equal(zoomLevel(null, 3), "1.0x");
  assert.equal(zoomLevel({ from: 0, to: 1 }, 3), "3.0x");
  assert.equal(zoomLevel({ from: 0, to: 0.1 }, 3), "30x");
});
