// node --test tests/js/ : axis numbers and labels.
import { test } from "node:test";
import assert from "node:assert/strict";

import { formatMs, formatRiseMb, formatSeconds, formatTick, niceCeil, niceTicks, ordinal } from "../../static/playground/scale.js";

test("niceCeil rounds an axis end up to a round value", () => {
  assert.equal(niceCeil(0.503), 0.6);
  assert.equal(niceCeil(0.5), 0.5);
  assert.equal(niceCeil(0.3), 0.3);
  assert.equal(niceCeil(1.01), 1.25);
  assert.equal(niceCeil(7), 8);
  assert.equal(niceCeil(8.5), 10);
  assert.equal(niceCeil(0), 1);
});

test("niceTicks gives round steps from the axis start", () => {
  assert.deepEqual(niceTicks(0, 600, 6), [0, 100, 200, 300, 400, 500, 600]);
  assert.deepEqual(niceTicks(0, 1250, 5), [0, 500, 1000]);
  assert.deepEqual(niceTicks(0, 0.6, 3), [0, 0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(5, 5, 4), [5]);
});

test("formatMs groups thousands and keeps a decimal for tiny values", () => {
  assert.equal(formatMs(0), "0");
  assert.equal(formatMs(12500), "12,500");
  assert.equal(formatMs(2.345), "2.3");
  assert.equal(formatMs(NaN), "–");
});

test("formatSeconds and ordinal", () => {
  assert.equal(formatSeconds(0.5031), "0.503 s");
  assert.equal(formatSeconds(12.44), "12.4 s");
  assert.equal(formatSeconds(125), "2 min 5 s");
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal),
    ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]);
});

test("formatTick: as many decimals as the tick step needs, no more", () => {
  assert.equal(formatTick(1200, 200), "1,200");
  assert.equal(formatTick(1200.5, 0.5), "1,200.5");
  assert.equal(formatTick(1200.25, 0.05), "1,200.25");
  assert.equal(formatTick(0.1, 0.1), "0.1");
  assert.equal(formatTick(1.001, 0.001), "1.001");
});

test("formatRiseMb: a memory rise with its sign, one decimal below 100 MB", () => {
  assert.equal(formatRiseMb(3.42), "+3.4 MB");
  assert.equal(formatRiseMb(0), "+0.0 MB");
  assert.equal(formatRiseMb(1234.5), "+1,235 MB");
  assert.equal(formatRiseMb(-0.5), "−0.5 MB");
});
