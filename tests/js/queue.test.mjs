// node --test tests/js/ : a queued run's place in line and estimated start, in words.
import { test } from "node:test";
import assert from "node:assert/strict";

import { etaWords, ordinal, placeWords, queueWords } from "../../static/playground/queue.js";

test("ordinals from 1st to 23rd", () => {
  const words = Array.from({ length: 23 }, (_, i) => ordinal(i + 1));
  assert.deepEqual(words, [
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th",
    "11th", "12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th",
    "21st", "22nd", "23rd",
  ]);
});

test("ordinals past 100: the teens take th, the rest follow their last digit", () => {
  const cases = { 100: "100th", 101: "101st", 102: "102nd", 103: "103rd", 104: "104th", 111: "111th", 112: "112th",
    113: "113th", 121: "121st", 1001: "1,001st", 1011: "1,011th", 2_000_002: "2,000,002nd" };
  for (const [n, word] of Object.entries(cases)) assert.equal(ordinal(Number(n)), word, n);
});

test("place 1 is next in line; others count", () => {
  assert.equal(placeWords(1), "next in line");
  assert.equal(placeWords(2), "2nd in line");
  assert.equal(placeWords(3), "3rd in line");
  assert.equal(placeWords(11), "11th in line");
});

test("a place that is not a whole number >= 1 is left out", () => {
  for (const place of [0, -1, 1.5, NaN, Infinity, "3", null, undefined]) assert.equal(placeWords(place), null, String(place));
});

test("the estimate: under a second, whole seconds, then minutes", () => {
  assert.equal(etaWords(0), "starts in under a second");
  assert.equal(etaWords(0.99), "starts in under a second");
  assert.equal(etaWords(1), "starts in about 1 s");
  assert.equal(etaWords(4.2), "starts in about 4 s");
  assert.equal(etaWords(4.5), "starts in about 5 s");
  assert.equal(etaWords(59.4), "starts in about 59 s");
  assert.equal(etaWords(59.5), "starts in about 1 min");
  assert.equal(etaWords(89), "starts in about 1 min");
  assert.equal(etaWords(150), "starts in about 3 min");
});

test("an estimate that is null, missing or not a number >= 0 is unknown", () => {
  for (const eta of [null, undefined, -0.5, NaN, Infinity, "4"]) assert.equal(etaWords(eta), "start time unknown", String(eta));
});

test("the whole line", () => {
  assert.equal(queueWords({ type: "queue", place: 3, eta_s: 4.2 }), "Waiting for a free worker: 3rd in line, starts in about 4 s");
  assert.equal(queueWords({ type: "queue", place: 1, eta_s: 0.3 }), "Waiting for a free worker: next in line, starts in under a second");
  assert.equal(queueWords({ type: "queue", place: 22, eta_s: null }), "Waiting for a free worker: 22nd in line, start time unknown");
});

test("a message without a usable place still says what it knows", () => {
  assert.equal(queueWords({ type: "queue", eta_s: 12 }), "Waiting for a free worker: starts in about 12 s");
  assert.equal(queueWords({ type: "queue" }), "Waiting for a free worker: start time unknown");
  assert.equal(queueWords(null), "Waiting for a free worker: start time unknown");
});
