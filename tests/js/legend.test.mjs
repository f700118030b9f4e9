// node --test tests/js/ : what the legend marks as drawn, read from the model.
import { test } from "node:test";
import assert from "node:assert/strict";

import { LegendScan, legendEntries, waitingLabel } from "../../static/playground/legend.js";
import { missingLooks } from "../../static/playground/timeline-style.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { VOCABULARY } from "./vocabulary.mjs";

/** Number the events from `first` on, as the server does. */
const stream = (first, ...events) => events.map((event, i) => ({ seq: first + i, ...event }));

test("looks and reasons of a retried, rate-limited run; closed segments read once", () => {
  const model = createTimeline(VOCABULARY);
  const scan = new LegendScan();
  model.apply(stream(0,
    { type: "run.started", t: 0, spec: { requests: 2 } },
    { type: "task.waiting", t: 0, task: 0, attempt: 1, reason: "rate" },
    { type: "task.started", t: 0.1, task: 0, attempt: 1 },
  ));
  let { looks, reasons } = scan.update(model);
  assert.deepEqual([...looks].sort(), ["flight", "waiting"]);
  assert.deepEqual([...reasons], ["rate"]);
  model.apply(stream(3,
    { type: "task.finished", t: 0.3, task: 0, attempt: 1, status: "timeout", error: "TimeoutError" },
    { type: "task.backoff", t: 0.3, task: 0, attempt: 1, delay_s: 0.1 },
    { type: "task.waiting", t: 0.4, task: 0, attempt: 2, reason: "semaphore" },
    { type: "task.started", t: 0.4, task: 0, attempt: 2 },
    { type: "task.finished", t: 0.5, task: 0, attempt: 2, status: "ok" },
    { type: "task.waiting", t: 0, task: 1, attempt: 1, reason: "semaphore" },
    { type: "run.finished", t: 0.6, status: "cancelled", summary: null },
  ));
  ({ looks, reasons } = scan.update(model));
  assert.deepEqual([...looks].sort(), ["backoff", "cancelled", "link", "ok", "timeout", "waiting"]);
  assert.deepEqual([...reasons].sort(), ["rate", "semaphore"]);
  assert.equal(scan.read, model.closed.length);
  model.reset(); // a new run starts from nothing
  assert.equal(scan.update(model).looks.size, 0);
});

test("waitingLabel names what the run's requests waited for", () => {
  assert.equal(waitingLabel(new Set()), "waiting");
  const words = VOCABULARY.wait_words;
  assert.equal(waitingLabel(new Set(["rate"]), words), "waiting for a rate-limit token");
  assert.equal(waitingLabel(new Set(["batch", "semaphore", "pool"]), words), "waiting for its batch, a semaphore slot or a free connection");
});

test("legendEntries: waiting, in flight and its phases, then every task status of the server's vocabulary, then back-off and retry, then the loop's lane", () => {
  const entries = legendEntries(VOCABULARY);
  const lane = ["loop-free", "loop-blocked"];
  assert.deepEqual(entries.map((e) => e.key), ["waiting", "flight", "connect", "read", ...VOCABULARY.task_statuses, "backoff", "link", ...lane]);
  assert.deepEqual(entries.filter((e) => e.loop).map((e) => e.key), lane); // listed only while a run has the lane
  assert.match(entries.find((e) => e.key === "loop-blocked").hint, /ran nothing/);
  assert.equal(entries.find((e) => e.key === "timeout").label, "timed out");
  const waiting = entries.find((e) => e.key === "waiting").hint;
  for (const reason of VOCABULARY.wait_reasons) assert.ok(waiting.includes(VOCABULARY.wait_words[reason]), reason);
});

test("every task status of the server's vocabulary has a look on the page", () => {
  assert.deepEqual(missingLooks(VOCABULARY), []);
  // A status the server adds without a look here is caught:
  const more = { ...VOCABULARY, task_statuses: [...VOCABULARY.task_statuses, "skipped"] };
  assert.deepEqual(missingLooks(more), ["skipped"]);
});

test("the legend has connecting and reading after in flight, marked when a run's flights measured them", () => {
  assert.deepEqual(legendEntries(VOCABULARY).slice(0, 4).map((entry) => entry.key), ["waiting", "flight", "connect", "read"]);
  const model = createTimeline(VOCABULARY);
  const scan = new LegendScan();
  model.apply(stream(0,
    { type: "run.started", t: 0, spec: { requests: 1 } },
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.finished", t: 0.3, task: 0, attempt: 1, status: "ok", phases: [{ name: "wait", start: 0, end: 0.2 }, { name: "read", start: 0.2, end: 0.3 }] },
  ));
  assert.deepEqual([...scan.update(model).looks].sort(), ["ok", "read"]); // reused connection: no connecting
});

test("the loop lane's looks: free for a run alone in its process, blocked once a stretch came; none for others", () => {
  const scan = new LegendScan();
  const model = createTimeline(VOCABULARY);
  model.apply(stream(0, { type: "run.started", t: 0, spec: { requests: 1, own_process: true } }));
  let result = scan.update(model);
  assert.equal(result.loop, true);
  assert.deepEqual([...result.looks], ["loop-free"]);
  model.apply(stream(1, { type: "loop.blocked", t: 0.3, start: 0.1, end: 0.3 }));
  result = scan.update(model);
  assert.deepEqual([...result.looks].sort(), ["loop-blocked", "loop-free"]);
  const shared = createTimeline(VOCABULARY);
  shared.apply(stream(0, { type: "run.started", t: 0, spec: { requests: 1 } }));
  result = new LegendScan().update(shared);
  assert.equal(result.loop, false);
  assert.equal(result.looks.size, 0);
});
