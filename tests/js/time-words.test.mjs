// node --test tests/js/ : one way to say a wall time on every class page (time-words.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { wallTime } from "../../static/playground/time-words.js";
import { duration } from "../../static/playground/round-model.js";
import { wallWords as stageWall } from "../../static/playground/stage-model.js";

test("a wall time as a person says it", () => {
  assert.equal(wallTime(215), "215 ms");
  assert.equal(wallTime(999.4), "999 ms");
  assert.equal(wallTime(1234), "1.23 s");
  assert.equal(wallTime(12_340), "12.3 s");
  assert.equal(wallTime(61_000), "1 min 1 s");
  assert.equal(wallTime(120_000), "2 min");
  assert.equal(wallTime(Number.NaN), "");
});

test("the stage and a round say the same time the same way", () => {
  assert.equal(duration(2150), wallTime(2150));
  assert.equal(stageWall({ end: 2.2, status: "finished", summary: { wall_s: 2.15 } }), `finished in ${wallTime(2150)} (wall time)`);
});
