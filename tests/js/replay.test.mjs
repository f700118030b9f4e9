// node --test tests/js/ : replaying a stored run under a time cursor.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Replay, SPEEDS } from "../../static/playground/replay.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { stream, THREE_TASKS } from "./streams.mjs";
import { VOCABULARY } from "./vocabulary.mjs";

// The lesson's three tasks of 0.3, 0.5 and 0.2 s, gathered.
const RUN = THREE_TASKS;

const replay = () => new Replay([RUN], () => createTimeline(VOCABULARY));

test("the cursor shows the run as it was then: counts, bars in flight, now", () => {
  const r = replay();
  assert.equal(r.duration, 0.503);
  const at = r.seek(0.25);
  assert.equal(at.running, true);
  assert.equal(at.counts.ok, 1, "only the 0.2 s request had finished by 0.25 s");
  assert.equal(at.open.size, 2);
  assert.equal(at.nowAt(123456), 0.25, "open bars end at the cursor, whatever the clock");
  assert.equal(at.inFlight, 2);
  assert.equal(at.ticking, false, "paused at the cursor: nothing to redraw every frame");
  const live = createTimeline(VOCABULARY);
  live.apply(RUN.slice(0, 3), 1000);
  assert.equal(live.ticking, true, "a live run's bars grow with the clock");
  live.holdClock();
  assert.equal(live.ticking, false);
});

test("at the end the model is the whole run, as the live page left it", () => {
  const r = replay();
  const end = r.seek(99);
  assert.equal(r.cursor, 0.503);
  assert.equal(r.atEnd, true);
  assert.equal(end.status, "finished");
  assert.equal(end.counts.ok, 3);
  assert.deepEqual(end.summary, { wall_s: 0.503, max_in_flight: 3 });
});

test("going back starts again from a fresh model; going on applies only the new events", () => {
  const r = replay();
  const first = r.seek(0.35);
  assert.equal(r.seek(0.4), first, "forward: the same model, more events");
  assert.equal(first.counts.ok, 2);
  const back = r.seek(0.1);
  assert.notEqual(back, first);
  assert.equal(back.counts.ok, 0);
  assert.equal(back.open.size, 3);
});

test("stepping goes from one moment something happened to the next, and back", () => {
  const r = replay();
  r.seek(0.1);
  assert.equal(r.nextEventTime(), 0.203);
  r.seek(r.nextEventTime());
  assert.equal(r.model.counts.ok, 1, "the event at the cursor has happened");
  assert.equal(r.nextEventTime(), 0.301);
  assert.equal(r.previousEventTime(), 0.003);
  r.seek(0);
  assert.equal(r.previousEventTime(), 0);
  r.seek(0.503);
  assert.equal(r.nextEventTime(), 0.503);
});

test("advance moves by wall seconds times the speed, from 1/4x to 4x", () => {
  assert.deepEqual(SPEEDS, [0.25, 0.5, 1, 2, 4]);
  const r = replay();
  r.setSpeed(0.25);
  r.advance(0.4);
  assert.ok(Math.abs(r.cursor - 0.1) < 1e-9);
  r.setSpeed(4);
  assert.equal(r.advance(0.1), false, "0.4 s more: 0.5 s, just short of the end");
  assert.equal(r.advance(0.1), true, "and past it: the end, not beyond");
  assert.equal(r.cursor, 0.503);
  r.setSpeed(3);
  assert.equal(r.speed, 4, "a speed not offered is ignored");
});

test("several runs under one cursor: each as it was then, each ending at its own end", () => {
  // The same three requests awaited one by one: 0.3 + 0.5 + 0.2 s.
  const SEQUENTIAL = stream(
    { type: "run.started", t: 0, spec: { strategy: "sequential", requests: 3, latencies_ms: [300, 500, 200] } },
    { type: "task.started", t: 0.001, task: 0, attempt: 1 },
    { type: "task.finished", t: 0.301, task: 0, attempt: 1, status: "ok", http_status: 200, error: null },
    { type: "task.started", t: 0.302, task: 1, attempt: 1 },
    { type: "task.finished", t: 0.802, task: 1, attempt: 1, status: "ok", http_status: 200, error: null },
    { type: "task.started", t: 0.803, task: 2, attempt: 1 },
    { type: "task.finished", t: 1.003, task: 2, attempt: 1, status: "ok", http_status: 200, error: null },
    { type: "run.finished", t: 1.004, status: "finished", error: null, summary: { wall_s: 1.004 } },
  );
  const r = new Replay([RUN, SEQUENTIAL], () => createTimeline(VOCABULARY));
  assert.equal(r.duration, 1.004, "the longer run's end");
  const [gathered, awaited] = r.models;
  r.seek(0.6);
  assert.equal(gathered.status, "finished", "gather is over by 0.6 s");
  assert.equal(awaited.counts.ok, 1);
  assert.equal(awaited.nowAt(0), 0.6);
  r.seek(0.35);
  assert.notEqual(r.models[1], awaited, "back: fresh models");
  assert.equal(r.models[0].counts.ok, 2);
  assert.equal(r.nextEventTime(), 0.502, "the next moment in either run");
  r.seek(2);
  assert.equal(r.models[1].status, "finished");
});
