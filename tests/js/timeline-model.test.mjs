// node --test tests/js/ : the timeline model, fed with hand-written event streams.
import { test } from "node:test";
import assert from "node:assert/strict";

import { HANDLED_EVENTS, createTimeline, phaseDurations, phasesOf } from "../../static/playground/timeline-model.js";
import { stream, THREE_TASKS } from "./streams.mjs";
import { VOCABULARY } from "./vocabulary.mjs";

test("run.started allocates one lane per task", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS.slice(0, 1));
  assert.equal(model.laneCount, 3);
  assert.equal(model.status, "running");
  assert.deepEqual(model.spec.latencies_ms, [300, 500, 200]);
});

test("run.started keeps the code that ran, if the server sent it", () => {
  const code = [{ title: "Strategy: asyncio.gather", source: "async def gather(api, n): ...", where: "playground/strategies/gather.py:8" }];
  const model = createTimeline(VOCABULARY);
  model.apply(stream({ type: "run.started", t: 0, spec: { requests: 1 }, code }));
  assert.deepEqual(model.code, code);
  model.reset();
  assert.equal(model.code, null);
  model.apply(stream({ type: "run.started", t: 0, spec: { requests: 1 } })); // a run stored before code was sent
  assert.equal(model.code, null);
});

test("requests sets the lane count when no latencies are listed", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream({ type: "run.started", t: 0, spec: { requests: 7 } }));
  assert.equal(model.laneCount, 7);
});

test("a finished flight is a closed segment with its outcome", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS);
  const [flight] = model.lanes[1].segments;
  assert.equal(flight.phase, "flight");
  assert.equal(flight.attempt, 1);
  assert.equal(flight.start, 0.002);
  assert.equal(flight.end, 0.502);
  assert.equal(flight.status, "ok");
  assert.equal(flight.http_status, 200);
  assert.equal(model.segmentCount, 3);
  assert.equal(model.closed.length, 3);
  assert.equal(model.open.size, 0);
});

test("completion order differs from submission order", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS);
  assert.deepEqual(model.completionOrder(), [2, 0, 1]);
  assert.equal(model.completionRank(2), 1);
  assert.equal(model.completionRank(1), 3);
});

test("run.finished records end, status and summary", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS);
  assert.equal(model.status, "finished");
  assert.equal(model.end, 0.503);
  assert.equal(model.summary.wall_s, 0.503);
  assert.equal(model.nowAt(1e9), 0.503);
  assert.deepEqual(model.counts, { ok: 3, error: 0, timeout: 0, cancelled: 0 });
});

test("in-flight series steps up and down; its max is the peak", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS);
  assert.deepEqual(model.series.t, [0.001, 0.002, 0.003, 0.203, 0.301, 0.502]);
  assert.deepEqual(model.series.n, [1, 2, 3, 2, 1, 0]);
  assert.equal(model.maxInFlight, 3);
});

test("waiting closes when the flight starts, keeping its reason", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 1 } },
    { type: "task.waiting", t: 0.0, task: 0, attempt: 1, reason: "semaphore" },
    { type: "task.started", t: 0.2, task: 0, attempt: 1 },
  ));
  const [wait, flight] = model.lanes[0].segments;
  assert.deepEqual([wait.phase, wait.reason, wait.start, wait.end], ["waiting", "semaphore", 0, 0.2]);
  assert.deepEqual([flight.phase, flight.end, flight.status], ["flight", null, null]);
  assert.equal(model.open.size, 1);
  assert.equal(model.inFlight, 1);
});

test("retries: one segment per attempt, a backoff between, and a link", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 2 } },
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.started", t: 0, task: 1, attempt: 1 },
    { type: "task.finished", t: 0.1, task: 0, attempt: 1, status: "error", http_status: 503, error: "ClientResponseError" },
    { type: "task.backoff", t: 0.1, task: 0, attempt: 1, delay_s: 0.2 },
    { type: "task.finished", t: 0.15, task: 1, attempt: 1, status: "ok", http_status: 200 },
    { type: "task.waiting", t: 0.3, task: 0, attempt: 2, reason: "rate" },
    { type: "task.started", t: 0.35, task: 0, attempt: 2 },
    { type: "task.finished", t: 0.45, task: 0, attempt: 2, status: "ok", http_status: 200 },
  ));
  const phases = model.lanes[0].segments.map((s) => `${s.attempt}:${s.phase}:${s.status}`);
  assert.deepEqual(phases, ["1:flight:error", "1:backoff:null", "2:waiting:null", "2:flight:ok"]);
  const backoff = model.lanes[0].segments[1];
  assert.deepEqual([backoff.start, backoff.end, backoff.delay_s], [0.1, 0.3, 0.2]);
  assert.equal(model.links.length, 1);
  const [link] = model.links;
  assert.equal(link.from, model.lanes[0].segments[0]);
  assert.equal(link.to, model.lanes[0].segments[2]);
  // The failed first attempt is not a completion: task 1 finished first for good.
  assert.deepEqual(model.completionOrder(), [1, 0]);
  assert.deepEqual(model.counts, { ok: 2, error: 0, timeout: 0, cancelled: 0 });
});

test("a retry without a backoff event still links and supersedes", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.finished", t: 0.1, task: 0, attempt: 1, status: "timeout", error: "TimeoutError" },
    { type: "task.started", t: 0.1, task: 0, attempt: 2 },
  ));
  assert.equal(model.links.length, 1);
  assert.deepEqual(model.completionOrder(), []);
  assert.equal(model.counts.timeout, 0);
});

test("a task cancelled while waiting ends its wait with that status", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "task.waiting", t: 0, task: 0, attempt: 1, reason: "semaphore" },
    { type: "task.finished", t: 0.4, task: 0, attempt: 1, status: "cancelled", http_status: null, error: "CancelledError" },
  ));
  const segments = model.lanes[0].segments;
  assert.equal(segments.length, 1);
  assert.deepEqual([segments[0].phase, segments[0].end, segments[0].status], ["waiting", 0.4, "cancelled"]);
  assert.equal(model.counts.cancelled, 1);
  assert.equal(model.inFlight, 0);
});

test("run.finished cuts segments that are still open", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 2 } },
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.waiting", t: 0, task: 1, attempt: 1, reason: "worker" },
    { type: "run.finished", t: 2, status: "cancelled", error: "deadline", summary: null },
  ));
  assert.equal(model.open.size, 0);
  for (const lane of model.lanes) {
    assert.equal(lane.segments[0].end, 2);
    assert.equal(lane.segments[0].cut, true);
  }
  assert.equal(model.inFlight, 0);
  assert.equal(model.status, "cancelled");
  assert.equal(model.error, "deadline");
});

test("lanes grow when a task index exceeds the announced count", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 2 } },
    { type: "task.started", t: 0, task: 4, attempt: 1 },
  ));
  assert.equal(model.laneCount, 5);
  assert.equal(model.lanes[4].segments.length, 1);
});

test("unknown event types are ignored but still advance lastSeq", () => {
  const model = createTimeline(VOCABULARY);
  const result = model.apply(stream(
    { type: "run.started", t: 0, spec: { requests: 1 } },
    { type: "server.note", t: 0.1, text: "hello" },
    { type: "task.started", t: 0.2, task: 0, attempt: 1 },
  ));
  assert.deepEqual(result, { applied: 3, duplicates: 0, gap: false });
  assert.equal(model.lastSeq, 2);
  assert.equal(model.segmentCount, 1);
});

test("duplicates are skipped and a gap stops at the last contiguous seq", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS.slice(0, 3));
  const result = model.apply([THREE_TASKS[1], THREE_TASKS[2], THREE_TASKS[3], THREE_TASKS[5], THREE_TASKS[6]]);
  assert.deepEqual(result, { applied: 1, duplicates: 2, gap: true });
  assert.equal(model.lastSeq, 3);
  assert.equal(model.segmentCount, 3);
  // Resuming after seq 3 fills the hole.
  model.apply(THREE_TASKS.slice(4));
  assert.equal(model.status, "finished");
  assert.equal(model.lastSeq, 7);
});

test("open segments end at now: last t plus local time since it arrived", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS.slice(0, 2), 1000);
  assert.equal(model.nowAt(1000), 0.001);
  assert.ok(Math.abs(model.nowAt(1250) - 0.251) < 1e-9);
  // A later batch whose t lags the estimate never moves now backwards.
  model.apply(THREE_TASKS.slice(2, 3), 1260);
  assert.ok(model.nowAt(1260) >= 0.251);
});

test("a held clock stops open bars; resumed, they grow from where they stopped", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS.slice(0, 2), 1000);
  assert.ok(Math.abs(model.nowAt(1500) - 0.501) < 1e-9);
  model.holdClock(); // the socket dropped
  assert.ok(Math.abs(model.nowAt(9000) - 0.501) < 1e-9);
  model.resumeClock(10_000); // back
  assert.ok(Math.abs(model.nowAt(10_100) - 0.601) < 1e-9);
});

test("hitTest finds the segment under a time, with tolerance", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(stream(
    { type: "task.waiting", t: 0, task: 0, attempt: 1, reason: "semaphore" },
    { type: "task.started", t: 0.2, task: 0, attempt: 1 },
    { type: "task.finished", t: 0.5, task: 0, attempt: 1, status: "ok", http_status: 200 },
  ));
  assert.equal(model.hitTest(0.1, 0).phase, "waiting");
  assert.equal(model.hitTest(0.3, 0).phase, "flight");
  assert.equal(model.hitTest(0.2, 0).phase, "flight"); // the boundary belongs to the later phase
  assert.equal(model.hitTest(0.6, 0), null);
  assert.equal(model.hitTest(0.52, 0, 1, 0.05).phase, "flight");
  assert.equal(model.hitTest(0.3, 5), null);
});

test("reset empties the model and bumps its epoch", () => {
  const model = createTimeline(VOCABULARY);
  model.apply(THREE_TASKS);
  const epoch = model.epoch;
  model.reset();
  assert.equal(model.laneCount, 0);
  assert.equal(model.lastSeq, -1);
  assert.equal(model.status, "idle");
  assert.equal(model.epoch, epoch + 1);
});

// A guard against a per-event cost that grows with the run (~0.15 s here): 2 s leaves a busy machine
// its slack. How fast it really is belongs to a benchmark, not to this test.
test("10,000 tasks (30,000 events) apply without a blow-up", () => {
  const n = 10_000;
  const events = [{ type: "run.started", t: 0, spec: { requests: n } }];
  for (let task = 0; task < n; task += 1) events.push({ type: "task.waiting", t: 0, task, attempt: 1, reason: "semaphore" });
  for (let task = 0; task < n; task += 1) {
    const t = task * 0.001;
    events.push({ type: "task.started", t, task, attempt: 1 });
    events.push({ type: "task.finished", t: t + 0.2, task, attempt: 1, status: task % 10 ? "ok" : "error" });
  }
  events.push({ type: "run.finished", t: 11, status: "finished", summary: {} });
  const numbered = events.map((event, seq) => ({ seq, ...event }));
  const model = createTimeline(VOCABULARY);
  const started = performance.now();
  for (let i = 0; i < numbered.length; i += 500) model.apply(numbered.slice(i, i + 500));
  const elapsed = performance.now() - started;
  assert.equal(model.segmentCount, 2 * n);
  assert.equal(model.completionOrder().length, n);
  assert.ok(elapsed < 2000, `applying ${numbered.length} events took ${elapsed} ms`);
});

test("the model counts by the server's task statuses, and reads every event type it sends", () => {
  assert.throws(() => createTimeline(), /vocabulary\.task_statuses/); // no list of its own to fall back on
  const model = createTimeline(VOCABULARY);
  assert.deepEqual(Object.keys(model.counts), VOCABULARY.task_statuses);
  assert.deepEqual(VOCABULARY.event_types.filter((type) => !HANDLED_EVENTS.includes(type)), []);
  const fewer = createTimeline({ ...VOCABULARY, task_statuses: ["ok", "error"] });
  fewer.apply(stream({ type: "task.finished", t: 0.1, task: 0, attempt: 1, status: "timeout" }));
  assert.deepEqual(fewer.counts, { ok: 0, error: 1 }); // a status the vocabulary lacks counts as an error
});

test("a finished flight keeps the phases it measured: known names, finite times, in order", () => {
  const model = createTimeline(VOCABULARY);
  model.apply([
    { seq: 0, type: "run.started", t: 0, spec: { requests: 2 } },
    { seq: 1, type: "task.started", t: 0, task: 0, attempt: 1 },
    { seq: 2, type: "task.started", t: 0, task: 1, attempt: 1 },
    {
      seq: 3, type: "task.finished", t: 0.3, task: 0, attempt: 1, status: "ok", http_status: 200, error: null,
      phases: [
        { name: "read", start: 0.29, end: 0.3 },
        { name: "connect", start: 0.001, end: 0.01 },
        { name: "wait", start: 0.01, end: 0.29 },
        { name: "dns", start: 0, end: 0.001 }, // not a phase the server names
        { name: "wait", start: 0.2, end: 0.1 }, // ends before it starts
      ],
    },
    { seq: 4, type: "task.finished", t: 0.3, task: 1, attempt: 1, status: "error", http_status: null, error: "X" },
  ]);
  const [zero, one] = model.lanes.map((lane) => lane.segments.at(-1));
  assert.deepEqual(zero.phases.map((p) => p.name), ["connect", "wait", "read"]);
  assert.deepEqual(phaseDurations(zero, VOCABULARY.phase_words).map((p) => [p.words, Math.round(p.ms)]), [
    ["connecting (DNS, TCP, TLS)", 9],
    ["waiting for the answer", 280],
    ["reading the body", 10],
  ]);
  assert.deepEqual(one.phases, []); // an event from before phases were measured
  assert.deepEqual(phasesOf("nonsense", VOCABULARY.phases), []);
});
