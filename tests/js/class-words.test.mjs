// node --test tests/js/ : what the class pages say about a roster.
import { test } from "node:test";
import assert from "node:assert/strict";

import { clock, countWords, learnersHere, plural } from "../../static/playground/class-words.js";

test("counts take the singular for one", () => {
  assert.equal(plural(1, "learner"), "1 learner");
  assert.equal(plural(0, "learner"), "0 learners");
  assert.equal(countWords(2, 200), "2 of 200 learners");
  assert.equal(learnersHere(1), "1 learner in the class");
  assert.equal(learnersHere(30), "30 learners in the class");
});

test("a clock time from an ISO time, nothing from garbage", () => {
  assert.match(clock("2026-11-28T10:05:00+00:00"), /\d{1,2}.\d{2}/);
  assert.equal(clock("not a time"), "");
});
