// node --test tests/js/ : the timeline's keyboard moves (timeline-keys.js) on a real model.
import { test } from "node:test";
import assert from "node:assert/strict";

import { createTimeline } from "../../static/playground/timeline-model.js";
import { nextSelection } from "../../static/playground/timeline-keys.js";
import { stream } from "./streams.mjs";
import { VOCABULARY } from "./vocabulary.mjs";

/** Four lanes: #0 retried (flight, back-off, wait, flight), #1 at once, #2 not started yet, #3 late. */
function model() {
  const m = createTimeline(VOCABULARY);
  m.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 4 } },
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.started", t: 0, task: 1, attempt: 1 },
    { type: "task.finished", t: 0.1, task: 0, attempt: 1, status: "error", http_status: 503, error: "ClientResponseError" },
    { type: "task.backoff", t: 0.1, task: 0, attempt: 1, delay_s: 0.2 },
    { type: "task.finished", t: 0.15, task: 1, attempt: 1, status: "ok", http_status: 200 },
    { type: "task.waiting", t: 0.3, task: 0, attempt: 2, reason: "rate" },
    { type: "task.started", t: 0.35, task: 0, attempt: 2 },
    { type: "task.started", t: 0.36, task: 3, attempt: 1 },
  ));
  return m;
}

const walk = (m, keys, from = null) => keys.reduce((segment, key) => nextSelection(m, segment, key), from);
const where = (s) => (s ? `#${s.task} ${s.attempt}:${s.phase}` : s);

test("the first key selects the first request's first segment (↑ and End: the last request's)", () => {
  const m = model();
  assert.equal(where(nextSelection(m, null, "ArrowDown")), "#0 1:flight");
  assert.equal(where(nextSelection(m, null, "ArrowRight")), "#0 1:flight");
  assert.equal(where(nextSelection(m, null, "ArrowUp")), "#3 1:flight");
  assert.equal(where(nextSelection(m, null, "End")), "#3 1:flight");
});

test("← → walk one request's phases and attempts, and stop at its ends", () => {
  const m = model();
  assert.deepEqual(
    ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight"].map((_, i, keys) => where(walk(m, ["ArrowDown", ...keys.slice(0, i + 1)]))),
    ["#0 1:backoff", "#0 2:waiting", "#0 2:flight", "#0 2:flight"],
  );
  assert.equal(where(walk(m, ["ArrowDown", "ArrowLeft"])), "#0 1:flight");
});

test("↑ ↓ move between requests at the same moment, stepping over one not started", () => {
  const m = model();
  const retry = m.lanes[0].segments[3]; // #0's second flight, from 0.35 s: #3 is in flight then
  assert.equal(where(nextSelection(m, retry, "ArrowDown")), "#1 1:flight");
  assert.equal(where(walk(m, ["ArrowDown", "ArrowDown"], retry)), "#3 1:flight"); // #2 has nothing yet
  assert.equal(where(walk(m, ["ArrowDown", "ArrowDown", "ArrowDown"], retry)), "#3 1:flight"); // the last: stays
  assert.equal(where(nextSelection(m, m.lanes[3].segments[0], "ArrowUp")), "#1 1:flight");
  assert.equal(where(nextSelection(m, m.lanes[0].segments[0], "ArrowUp")), "#0 1:flight"); // the first: stays
  assert.equal(where(nextSelection(m, m.lanes[3].segments[0], "Home")), "#0 2:flight"); // nearest 0.36 s on #0
  assert.equal(where(nextSelection(m, m.lanes[0].segments[0], "PageDown")), "#3 1:flight");
  assert.equal(where(nextSelection(m, m.lanes[3].segments[0], "PageUp")), "#0 2:flight");
});

test("Escape clears; other keys are not the timeline's; an empty timeline selects nothing", () => {
  const m = model();
  const first = m.lanes[0].segments[0];
  assert.equal(nextSelection(m, first, "Escape"), null);
  assert.equal(nextSelection(m, first, "Enter"), undefined);
  assert.equal(nextSelection(m, first, "a"), undefined);
  assert.equal(nextSelection(createTimeline(VOCABULARY), null, "ArrowDown"), null);
});
