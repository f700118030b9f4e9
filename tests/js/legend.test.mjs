// node --test tests/js/ : what the legend marks as drawn, read from the model.
import { test } from "node:test";
import assert from "node:assert/strict";

import { LegendScan, waitingLabel } from "../../static/playground/legend.js";
import { createTimeline } from "../../static/playground/timeline-model.js";

/** Number the events from `first` on, as the server does. */
const stream = (first, ...events) => events.map((event, i) => ({ seq: first + i, ...event }));

test("looks and reasons of a retried, rate-limited run; closed segments read once", () => {
  const model = createTimeline();
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
  assert.equal(waitingLabel(new Set(["rate"])), "waiting for a rate-limit token");
  assert.equal(waitingLabel(new Set(["batch", "semaphore", "pool"])), "waiting for its batch, a semaphore slot or a free connection");
});
