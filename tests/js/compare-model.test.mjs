// node --test tests/js/ : what a comparison says: names, speed-ups, request-by-request differences.
import { test } from "node:test";
import assert from "node:assert/strict";

import { differenceWords, failedOf, laneNames, laterWords, requestNote, requestRows, sharedEnd, speedups, times } from "../../static/playground/compare-model.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { VOCABULARY } from "./vocabulary.mjs";

/** A finished run of `latencies` (s), each request starting at its `starts` entry. */
function run(strategy, latencies, starts) {
  const model = createTimeline(VOCABULARY);
  const events = [{ type: "run.started", t: 0, spec: { strategy, requests: latencies.length } }];
  latencies.forEach((latency, task) => {
    events.push({ type: "task.started", t: starts[task], task, attempt: 1 });
    events.push({ type: "task.finished", t: starts[task] + latency, task, attempt: 1, status: "ok", http_status: 200 });
  });
  events.sort((a, b) => a.t - b.t);
  const end = Math.max(...latencies.map((latency, i) => starts[i] + latency));
  events.push({ type: "run.finished", t: end, status: "finished", summary: { wall_s: end } });
  model.apply(events.map((event, seq) => ({ ...event, seq })));
  return model;
}

const SEQUENTIAL = run("sequential", [0.3, 0.5, 0.2], [0, 0.3, 0.8]);
const GATHER = run("gather", [0.3, 0.5, 0.2], [0, 0, 0]);

test("runs are named by strategy, with a letter when two share one", () => {
  assert.deepEqual(laneNames([{ strategy: "sequential" }, { strategy: "gather" }]), ["sequential", "gather"]);
  assert.deepEqual(laneNames([{ strategy: "gather" }, { strategy: "batches" }, { strategy: "gather" }]), ["gather (A)", "batches", "gather (C)"]);
  assert.deepEqual(laneNames([null, { strategy: "gather" }]), ["run A", "gather"]);
});

test("ratios read as one decimal below ten, whole above", () => {
  assert.equal(times(2), "2.0×");
  assert.equal(times(3.04), "3.0×");
  assert.equal(times(12.4), "12×");
});

test("no speed-up until every run is over", () => {
  const result = speedups([
    { name: "sequential", wall_s: 1.0, status: "finished", over: true },
    { name: "gather", wall_s: null, status: "running", over: false },
  ]);
  assert.equal(result.ready, false);
  assert.equal(result.headline, null);
  assert.deepEqual(result.lines, []);
});

test("the speed-up is measured against the slowest run, whatever its place", () => {
  const result = speedups([
    { name: "gather", wall_s: 0.5, status: "finished", over: true },
    { name: "sequential", wall_s: 1.5, status: "finished", over: true },
  ]);
  assert.equal(result.ready, true);
  assert.equal(result.baseline, "sequential");
  assert.equal(result.headline, "gather: 3.0× faster than sequential");
  assert.deepEqual(
    result.lines.map((line) => line.text),
    ["gather: 3.0× faster than sequential", "sequential: the slowest, the baseline"],
  );
});

test("with more runs, each gets a line and the fastest the headline; near-equal runs are 'about as fast'", () => {
  const result = speedups([
    { name: "batches", wall_s: 2.4, status: "finished", over: true },
    { name: "semaphore", wall_s: 1.0, status: "finished", over: true },
    { name: "gather", wall_s: 2.35, status: "cancelled", over: true },
  ]);
  assert.equal(result.headline, "semaphore: 2.4× faster than batches");
  assert.equal(result.lines[2].text, "gather (cancelled): about as fast as batches");
  assert.equal(result.lines[0].baseline, true);
});

test("a run that ended before it began is named, not waited for; the others still compare", () => {
  const cancelledEarly = { name: "gather", wall_s: 0, status: "cancelled", over: true };
  const three = speedups([
    { name: "sequential", wall_s: 1.2, status: "finished", over: true },
    cancelledEarly,
    { name: "semaphore", wall_s: 0.4, status: "finished", over: true },
  ]);
  assert.equal(three.ready, true);
  assert.equal(three.headline, "semaphore: 3.0× faster than sequential");
  assert.equal(three.lines[1].text, "gather (cancelled): ended before any request was made");
  const two = speedups([{ name: "sequential", wall_s: 1.2, status: "finished", over: true }, cancelledEarly]);
  assert.equal(two.ready, true, "over: the page stops waiting");
  assert.equal(two.headline, "Fewer than two of these runs made requests: nothing to compare");
});

test("equal wall times: the first is the baseline", () => {
  const result = speedups([
    { name: "gather (A)", wall_s: 1, status: "finished", over: true },
    { name: "gather (B)", wall_s: 1, status: "finished", over: true },
  ]);
  assert.equal(result.baseline, "gather (A)");
  assert.equal(result.headline, "gather (B): about as fast as gather (A)");
});

test("request rows: each request's start and duration in each run, and where it started later", () => {
  const rows = requestRows([SEQUENTIAL, GATHER], ["sequential", "gather"]);
  assert.equal(rows.length, 3);
  assert.equal(rows[0].later, null, "request 0 starts at once in both");
  assert.deepEqual(rows[2].cells.map((cell) => cell.start), [0.8, 0]);
  assert.ok(Math.abs(rows[2].cells[0].took - 0.2) < 1e-9 && Math.abs(rows[2].cells[1].took - 0.2) < 1e-9);
  assert.equal(rows[2].later.run, "sequential");
  assert.equal(rows[2].later.than, "gather");
  assert.ok(Math.abs(rows[2].later.by - 0.8) < 1e-9);
  assert.equal(laterWords(rows[2].later, 2), "started 800 ms later in sequential");
  assert.equal(laterWords(rows[2].later, 3), "started 800 ms later in sequential than in gather");
  assert.equal(differenceWords(rows[0], ["sequential", "gather"]), "started together");
  assert.equal(differenceWords(rows[2], ["sequential", "gather"]), "started 800 ms later in sequential");
});

test("a request still running has no duration; one a run never reached is 'not started'", () => {
  const live = createTimeline(VOCABULARY);
  live.apply([
    { seq: 0, type: "run.started", t: 0, spec: { strategy: "sequential", requests: 3 } },
    { seq: 1, type: "task.started", t: 0, task: 0, attempt: 1 },
  ]);
  const rows = requestRows([live, GATHER], ["sequential", "gather"]);
  assert.deepEqual(rows[0].cells[0], { start: 0, took: null, status: null });
  assert.deepEqual(rows[1].cells[0], { start: null, took: null, status: null });
  assert.equal(rows[1].later, null, "a request started in one run only has nothing to compare");
  assert.equal(differenceWords(rows[1], ["sequential", "gather"]), "not started in sequential");
  const idle = createTimeline(VOCABULARY);
  assert.equal(differenceWords(requestRows([idle, live], ["a", "b"])[2], ["a", "b"]), "not started");
});

test("the note: same latencies, different starts, and the largest gap", () => {
  const rows = requestRows([SEQUENTIAL, GATHER], ["sequential", "gather"]);
  assert.equal(
    requestNote(rows, 2),
    "Each request took about as long in every run (0 ms apart on average): what differs is when it started; " +
      "request #2 started 800 ms later in sequential, the largest gap.",
  );
  const slow = run("gather", [0.6, 1.0, 0.4], [0, 0, 0]);
  const other = requestNote(requestRows([GATHER, slow], ["gather (A)", "gather (B)"]), 2);
  assert.match(other, /^The same request took different times in different runs \(333 ms apart on average\)/);
  assert.equal(requestNote([], 2), null);
});

test("the shared axis is the largest of the runs' own", () => {
  assert.equal(sharedEnd([1, 3, 2.5], 1), 3);
  assert.equal(sharedEnd([null, 0.8], 1), 0.8);
  assert.equal(sharedEnd([null, NaN], 1), 1);
});

test("speed bought with failures says so", () => {
  assert.equal(failedOf({ ok: 10, error: 20, timeout: 0 }), 20);
  assert.equal(failedOf({ ok: 3, not_started: 2 }), 2);
  assert.equal(failedOf(null), 0);
  const result = speedups([
    { name: "gather", wall_s: 0.15, status: "finished", over: true, failed: 20, requests: 30 },
    { name: "rate_limit", wall_s: 3.0, status: "finished", over: true, failed: 0, requests: 30 },
  ]);
  assert.equal(result.headline, "gather: 20× faster than rate_limit, but 20 of 30 requests failed");
  assert.equal(result.lines[1].text, "rate_limit: the slowest, the baseline");
  const slowFailing = speedups([
    { name: "a", wall_s: 2, status: "finished", over: true, failed: 1, requests: 4 },
    { name: "b", wall_s: 1, status: "finished", over: true, failed: 0, requests: 4 },
  ]);
  assert.equal(slowFailing.lines[0].text, "a: the slowest, the baseline; 1 of 4 requests failed");
});
