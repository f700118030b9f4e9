// node --test tests/js/ : summary values, live from the model, then from the server.
import { test } from "node:test";
import assert from "node:assert/strict";

import { finishOrder, phasesText, summaryValues, waitingText } from "../../static/playground/summary.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { VOCABULARY } from "./vocabulary.mjs";

function live() {
  const model = createTimeline(VOCABULARY);
  model.apply([
    { seq: 0, type: "run.started", t: 0, spec: { requests: 2, guess_ms: 1000 } },
    { seq: 1, type: "task.started", t: 0, task: 0, attempt: 1 },
    { seq: 2, type: "task.started", t: 0, task: 1, attempt: 1 },
    { seq: 3, type: "task.finished", t: 0.2, task: 0, attempt: 1, status: "ok", http_status: 200 },
  ]);
  return model;
}

test("an idle model shows nothing", () => {
  assert.deepEqual(summaryValues(createTimeline(VOCABULARY), 0), {});
});

test("a live run counts from the model", () => {
  const values = summaryValues(live(), 0.25);
  assert.equal(values.wall_s.value, 0.25);
  assert.equal(values["count-ok"].value, 1);
  assert.equal(values["count-error"].value, 0);
  assert.equal(values.max_in_flight.value, 2);
  assert.equal(values.guess_s.text, "1.000 s");
  assert.equal("guess_vs" in values, false); // nothing measured to compare with yet
  assert.equal("verdict" in values, false);
});

test("the server's summary wins once the run is over; nulls stay out", () => {
  const model = live();
  model.apply([
    { seq: 4, type: "task.finished", t: 0.5, task: 1, attempt: 1, status: "timeout", error: "TimeoutError" },
    {
      seq: 5, type: "run.finished", t: 0.5, status: "finished", error: null,
      summary: {
        wall_s: 0.5, requests: 2, counts: { ok: 1, error: 0, timeout: 1, cancelled: 0 }, max_in_flight: 2,
        throughput_rps: 4, p50_ms: 200, p95_ms: 480, ideal_s: 0.5, ideal_formula: "max(latency)",
        efficiency: 1, guess_s: 1, verdict: "All at once: the slowest request set the time.",
      },
    },
  ]);
  const values = summaryValues(model, 99);
  assert.equal(values.wall_s.text, "0.500 s");
  assert.equal(values["count-timeout"].value, 1);
  assert.equal(values.ideal_s.text, "0.500 s");
  assert.equal(values.ideal_formula.text, "max(latency)");
  assert.equal(values.efficiency.text, "100% of ideal");
  assert.equal(values.guess_s.text, "1.000 s");
  assert.equal(values.guess_vs.text, "2.00× the measured time");
  assert.equal(values.p95_ms.text, "480 ms");
  assert.match(values.verdict.text, /slowest request/);

  model.summary.counts.not_started = 3;
  assert.equal(summaryValues(model, 99)["count-not_started"].value, 3);

  model.summary.ideal_s = null;
  model.summary.efficiency = null;
  const without = summaryValues(model, 99);
  assert.equal("ideal_s" in without, false);
  assert.equal("efficiency" in without, false);
});

test("retry, back-off, 429/503 and deadline figures: shown when not zero or asked for", () => {
  const model = live();
  model.apply([{ seq: 4, type: "run.finished", t: 0.5, status: "finished", summary: {
    wall_s: 0.5, requests: 2, attempts: 5, counts: { ok: 2, error: 0, timeout: 0, cancelled: 0 }, max_in_flight: 2,
    retries: 3, backoff_s: 0.42, rejected: 0, cut_by_deadline: 0, waiting: {},
  } }]);
  let values = summaryValues(model, 1);
  assert.equal(values.retries.value, 3);
  assert.equal(values.attempts.text, "5 attempts in all");
  assert.equal(values.backoff_s.text, "0.420 s");
  assert.equal("rejected" in values, false); // 0, and the spec set no server limit
  assert.equal("cut_by_deadline" in values, false);
  assert.equal("waiting" in values, false);
  model.spec.server_rate = 10; // asked for: "0 answers of 429/503" is the lesson
  model.spec.deadline_ms = 400;
  values = summaryValues(model, 1);
  assert.equal(values.rejected.value, 0);
  assert.equal(values.cut_by_deadline.value, 0);
});

test("waitingText: one line per reason, in the summary's order", () => {
  assert.equal(waitingText({}), null);
  assert.equal(waitingText(undefined), null);
  assert.equal(
    waitingText({ rate: { waits: 29, mean_s: 1.4721 }, semaphore: { waits: 1, mean_s: 0.0054 } }, VOCABULARY.wait_words),
    "29 waits for a rate-limit token, 1,472 ms each on average\n1 wait for a semaphore slot, 5.4 ms each on average",
  );
});

test("finishOrder lists the first tasks to finish, and how many more there are", () => {
  assert.equal(finishOrder([], 3), null);
  assert.equal(finishOrder([2, 0, 1], 3), "#2, #0, #1");
  assert.equal(finishOrder([2], 3), "#2 … (2 more)"); // live: two still running
  const many = Array.from({ length: 20 }, (_, i) => 19 - i);
  assert.equal(finishOrder(many, 20), "#19, #18, #17, #16, #15, #14, #13, #12, #11, #10, #9, #8 … (8 more)");
});

test("finish order follows the model while live", () => {
  const values = summaryValues(live(), 0.25);
  assert.equal(values.finish_order.text, "#0 … (1 more)");
});

test("phasesText: one line per phase, in the summary's order, naming the SYN retries", () => {
  assert.equal(phasesText(undefined), null);
  const phases = {
    connect: { count: 200, mean_ms: 934, p95_ms: 1113.6, slow: 167 },
    wait: { count: 200, mean_ms: 42.3, p95_ms: 80 },
    read: { count: 0, mean_ms: null, p95_ms: null },
  };
  assert.equal(
    phasesText(phases, VOCABULARY.phase_words),
    "200 connecting (DNS, TCP, TLS): 934 ms on average, p95 1,114 ms (167 took 0.9 s or more: a SYN retry)\n" +
      "200 waiting for the answer: 42 ms on average, p95 80 ms",
  );
});

/** A run alone in its process: two requests, one stretch of 0.2 s blocked, then `summary`. */
function alone(summary) {
  const model = createTimeline(VOCABULARY);
  model.apply([
    { seq: 0, type: "run.started", t: 0, spec: { strategy: "gather", requests: 2, own_process: true } },
    { seq: 1, type: "task.started", t: 0, task: 0, attempt: 1 },
    { seq: 2, type: "loop.blocked", t: 0.3, start: 0.1, end: 0.3 },
  ]);
  if (summary !== undefined) model.apply([{ seq: 3, type: "run.finished", t: 0.4, status: "finished", summary }]);
  return model;
}

test("event loop figures: live from the stretches received, then the server's, with a verdict when blocked most of the run", () => {
  let values = summaryValues(alone(), 0.4);
  assert.ok(Math.abs(values.loop_blocked.value - 0.2) < 1e-9);
  assert.equal(values.loop_blocked.text, "0.200 s, 50% of the run");
  assert.equal(values.loop_stretches.text, "1 stretch, the longest 200 ms");
  assert.equal("loop_verdict" in values, false); // live: no verdict yet
  values = summaryValues(alone({ wall_s: 1.01, loop: { blocked_s: 1.0, stretches: 5, longest_s: 0.201, share: 0.99 }, cost: null }), 1.01);
  assert.equal(values.loop_blocked.text, "1.000 s, 99% of the run");
  assert.equal(values.loop_stretches.text, "5 stretches, the longest 201 ms");
  assert.equal(values.loop_verdict.text, "The event loop was blocked 99% of the run: while code held it, no other task ran");
  values = summaryValues(alone({ wall_s: 0.25, loop: { blocked_s: 0, stretches: 0, longest_s: 0, share: 0 }, cost: null }), 0.25);
  assert.equal(values.loop_blocked.text, "0.000 s, 0% of the run");
  assert.equal(values.loop_stretches.text, "never 20 ms or more at once");
  assert.equal("loop_verdict" in values, false);
});

test("cost figures: CPU time, memory rise and threads, measured in the run's own process", () => {
  const values = summaryValues(alone({ wall_s: 0.8, loop: null, cost: { cpu_s: 0.412, peak_memory_mb: 12.46, threads: 5 } }), 0.8);
  assert.equal(values.cpu_s.text, "0.412 s of CPU");
  assert.equal(values.cpu_s.value, 0.412);
  assert.equal(values.peak_memory_mb.text, "+12.5 MB of memory at its peak");
  assert.equal(values.threads.text, "5 extra threads at the peak");
  const none = summaryValues(alone({ wall_s: 0.8, loop: null, cost: { cpu_s: 0.01, peak_memory_mb: 0, threads: 0 } }), 0.8);
  assert.equal(none.threads.text, "no extra thread");
  assert.equal(none.peak_memory_mb.text, "+0.0 MB of memory at its peak");
});

test("a run sharing its loop has no loop or cost figures: no empty boxes", () => {
  const model = live();
  model.apply([{ seq: 4, type: "run.finished", t: 0.5, status: "finished", summary: { wall_s: 0.5, loop: null, cost: null } }]);
  const values = summaryValues(model, 0.5);
  for (const key of ["loop_blocked", "loop_stretches", "loop_verdict", "cpu_s", "peak_memory_mb", "threads"]) assert.equal(key in values, false, key);
});
