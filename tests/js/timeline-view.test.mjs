// node --test tests/js/ : the pure parts of the drawing modules (no canvas needed).
import { test } from "node:test";
import assert from "node:assert/strict";

import { inFlightColumns, specLimit } from "../../static/playground/concurrency-view.js";
import { BarBatch, OVERLAYS, styleOf } from "../../static/playground/timeline-style.js";
import { describeSegment } from "../../static/playground/segment-words.js";
import { VOCABULARY } from "./vocabulary.mjs";

test("styleOf: one look per phase and outcome; a cut flight looks cancelled", () => {
  const flight = { phase: "flight", status: null };
  assert.equal(styleOf({ phase: "waiting", status: null }), "waiting");
  assert.equal(styleOf({ phase: "waiting", status: "cancelled" }), "waiting-cut");
  assert.equal(styleOf({ phase: "backoff" }), "backoff");
  assert.equal(styleOf(flight), "flight");
  assert.equal(styleOf({ ...flight, status: "timeout" }), "timeout");
  assert.equal(styleOf({ ...flight, cut: true }), "cancelled");
});

test("describeSegment names task, attempt, phase, times, status and error", () => {
  const lines = describeSegment(
    { task: 4, attempt: 2, phase: "flight", start: 0.25, end: 0.4505, status: "error", http_status: 503, error: "ClientResponseError" },
    { rank: 3 },
  );
  assert.deepEqual(lines, [
    "Task 4 · attempt 2",
    "in flight",
    "250 ms → 451 ms · 201 ms",
    "error · HTTP 503 · ClientResponseError",
    "The task finished 3rd.",
  ]);
});

test("describeSegment: an open wait runs to now, with its reason", () => {
  const lines = describeSegment(
    { task: 0, attempt: 1, phase: "waiting", reason: "semaphore", start: 0, end: null, status: null },
    { now: 0.1, waitWords: VOCABULARY.wait_words },
  );
  assert.deepEqual(lines, ["Task 0 · attempt 1", "waiting for a semaphore slot", "0 ms → now · 100 ms"]);
});

test("inFlightColumns: the highest count within each column, -1 after now", () => {
  // 0-1 s: 1 in flight; 1-2 s: 3; 2-3 s: 0.
  const series = { t: [0, 1, 1, 2, 2, 2], n: [1, 2, 3, 2, 1, 0] };
  assert.deepEqual([...inFlightColumns(series, 3, 6, 0.5)], [1, 1, 3, 3, 3, 0]);
  assert.deepEqual([...inFlightColumns(series, 1.2, 6, 0.5)], [1, 1, 3, -1, -1, -1]);
  assert.deepEqual([...inFlightColumns({ t: [], n: [] }, 1, 3, 0.5)], [0, 0, 0]);
});

test("inFlightColumns from a zoomed timeline's left edge: only the stretch shown", () => {
  const series = { t: [0, 1, 1, 2, 2, 2], n: [1, 2, 3, 2, 1, 0] };
  // 0.75 s to 2.25 s in six columns of 0.25 s: the 1 s step opens the second, the 2 s one the last.
  assert.deepEqual([...inFlightColumns(series, 3, 6, 0.25, 0.75)], [1, 3, 3, 3, 3, 3]);
  assert.deepEqual([...inFlightColumns(series, 3, 2, 0.25, 2.25)], [0, 0]);
  assert.deepEqual([...inFlightColumns(series, 1.2, 6, 0.25, 0.75)], [1, 3, -1, -1, -1, -1]);
});

/** `array` behind a proxy that counts reads of its elements. */
function counted(array) {
  const reads = { count: 0 };
  const proxy = new Proxy(array, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) reads.count += 1;
      return Reflect.get(target, prop, receiver);
    },
  });
  return [proxy, reads];
}

test("inFlightColumns stays linear for 20,000 steps: each step is read a bounded number of times", () => {
  const times = [];
  const counts = [];
  for (let i = 0; i < 10_000; i += 1) {
    times.push(i * 0.001, i * 0.001 + 0.2);
    counts.push(1, 0);
  }
  const [t, tReads] = counted(times);
  const [n, nReads] = counted(counts);
  const columns = inFlightColumns({ t, n }, 10.2, 2000, 10.2 / 2000);
  assert.ok(tReads.count <= 3 * times.length + 1, `${tReads.count} reads of t`);
  assert.ok(nReads.count <= counts.length, `${nReads.count} reads of n`);
  assert.equal(Math.max(...columns), 1);
});

test("specLimit finds the strategy's cap in the spec", () => {
  assert.deepEqual(specLimit({ strategy: "semaphore", limit: 50 }), { value: 50, label: "limit" });
  assert.equal(specLimit({ strategy: "gather" }), null);
});

test("describeSegment gives each phase's milliseconds, and says when a pooled connection was reused", () => {
  const base = { task: 1, attempt: 1, phase: "flight", start: 0, end: 0.3, status: "ok", http_status: 200, error: null };
  const fresh = describeSegment(
    { ...base, phases: [{ name: "connect", start: 0, end: 0.012 }, { name: "wait", start: 0.012, end: 0.297 }, { name: "read", start: 0.297, end: 0.3 }] },
    { phaseWords: VOCABULARY.phase_words },
  );
  assert.deepEqual(fresh.slice(4), ["connecting (DNS, TCP, TLS): 12 ms", "waiting for the answer: 285 ms", "reading the body: 3 ms"]);
  const reused = describeSegment({ ...base, phases: [{ name: "wait", start: 0, end: 0.299 }, { name: "read", start: 0.299, end: 0.3 }] }, { phaseWords: VOCABULARY.phase_words });
  assert.equal(reused.at(-1), "no connecting: it reused a pooled connection");
  assert.equal(describeSegment({ ...base, phases: [] }).length, 4); // nothing measured: nothing said
});

test("styleOf: phases are overlays, filled after every other look whatever order they came in", () => {
  const filled = [];
  const ctx = { set fillStyle(value) { filled.push(value); }, fill() {} };
  globalThis.Path2D ??= class { rect() {} };
  const batch = new BarBatch(1);
  batch.add("connect", 0, 0, 5, 10);
  batch.add("ok", 0, 0, 50, 10);
  batch.add("read", 45, 0, 5, 10);
  batch.add("error", 0, 20, 50, 10);
  batch.fill(ctx, { connect: "C", ok: "O", read: "R", error: "E" });
  assert.deepEqual(filled, ["O", "E", "C", "R"]);
  assert.deepEqual(OVERLAYS, ["connect", "read"]);
});
