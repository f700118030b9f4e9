// node --test tests/js/ : the stage runs' events on the class socket, routed to their lanes, once each.
import { test } from "node:test";
import assert from "node:assert/strict";

import { feedLane, freshEvents, laneOf, laneStatus } from "../../static/playground/stage-feed.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { THREE_TASKS } from "./streams.mjs";
import { VOCABULARY } from "./vocabulary.mjs";

const lane = (id) => ({ run: { id }, model: createTimeline(VOCABULARY), events: 0, queue: null, error: null });

test("a stage message goes to the lane with its run id; none for an unknown or missing id", () => {
  const lanes = [lane("a"), lane("b")];
  assert.equal(laneOf(lanes, { type: "stage.events", run: "b" }), lanes[1]);
  assert.equal(laneOf(lanes, { type: "stage.events", run: "a" }), lanes[0]);
  assert.equal(laneOf(lanes, { type: "stage.events", run: "c" }), null);
  assert.equal(laneOf(lanes, { type: "stage.events" }), null);
  assert.equal(laneOf(lanes, { type: "stage.events", run: 7 }), null);
  assert.equal(laneOf([], { type: "stage.events", run: "a" }), null);
});

test("fresh events: after the last seq, in order, up to a hole", () => {
  const seqs = (events) => events.map((event) => event.seq);
  assert.deepEqual(seqs(freshEvents(-1, THREE_TASKS)), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(seqs(freshEvents(4, THREE_TASKS)), [5, 6, 7], "repeats dropped");
  assert.deepEqual(seqs(freshEvents(7, THREE_TASKS)), []);
  assert.deepEqual(seqs(freshEvents(1, [THREE_TASKS[2], THREE_TASKS[4], THREE_TASKS[3]])), [2], "stops at a hole");
  assert.deepEqual(seqs(freshEvents(-1, [{ seq: "0" }, THREE_TASKS[0]])), [0], "a seq that is no whole number is dropped");
  assert.deepEqual(freshEvents(-1, undefined), []);
});

test("a run's events fed twice (a replay from seq 0) are applied and counted once", () => {
  const a = lane("a");
  assert.equal(feedLane(a, { type: "stage.events", run: "a", events: THREE_TASKS.slice(0, 5) }, 0), 5);
  assert.equal(feedLane(a, { type: "stage.events", run: "a", events: THREE_TASKS }, 10), 3);
  assert.equal(feedLane(a, { type: "stage.events", run: "a", events: THREE_TASKS }, 20), 0);
  assert.equal(a.events, 8);
  assert.equal(a.events, a.model.lastSeq + 1, "each event once, none lost");
  assert.equal(a.model.status, "finished");
  assert.equal(a.model.laneCount, 3);
});

test("the queue place and an error are kept for the status line; they apply no events", () => {
  const a = lane("a");
  assert.equal(feedLane(a, { type: "stage.queue", run: "a", place: 2, eta_s: 3.6 }, 0), 0);
  assert.deepEqual(a.queue, { type: "stage.queue", run: "a", place: 2, eta_s: 3.6 });
  assert.equal(feedLane(a, { type: "stage.error", run: "a", error: "Unknown run." }, 0), 0);
  assert.equal(a.error, "Unknown run.");
  assert.equal(a.model.lastSeq, -1);
  assert.equal(a.events, 0);
});

test("a lane's status: connecting, queued while idle, live, finished; errors and the socket's state", () => {
  const a = lane("a");
  assert.deepEqual(laneStatus(a), { state: "connecting", text: "connecting…" });
  feedLane(a, { type: "stage.queue", run: "a", place: 1, eta_s: 0.4 }, 0);
  assert.deepEqual(laneStatus(a), { state: "queued", text: "Waiting for a free worker: next in line, starts in under a second" });
  assert.deepEqual(laneStatus(a, "reconnecting"), { state: "reconnecting", text: "reconnecting…" });
  assert.deepEqual(laneStatus(a, "closed"), { state: "closed", text: "disconnected" });
  feedLane(a, { type: "stage.events", run: "a", events: THREE_TASKS.slice(0, 2) }, 0);
  assert.deepEqual(laneStatus(a), { state: "live", text: "live" }, "running: the queue place no longer shown");
  feedLane(a, { type: "stage.error", run: "a", error: "Its end could not be recorded." }, 0);
  assert.deepEqual(laneStatus(a), { state: "error", text: "This run cannot be followed: Its end could not be recorded." });
  feedLane(a, { type: "stage.events", run: "a", events: THREE_TASKS }, 0);
  assert.deepEqual(laneStatus(a, "reconnecting"), { state: "finished", text: "finished in 503 ms (wall time)" }, "a finished run stays finished");
});

test("events that have not started the run yet: waiting to start, not the queue", () => {
  const a = lane("a");
  feedLane(a, { type: "stage.queue", run: "a", place: 3, eta_s: 4 }, 0);
  feedLane(a, { type: "stage.events", run: "a", events: [{ seq: 0, type: "run.note", t: 0 }] }, 0); // a type it does not know
  assert.equal(a.model.status, "idle");
  assert.equal(laneStatus(a).state, "queued");
  a.queue = null;
  assert.deepEqual(laneStatus(a), { state: "live", text: "waiting to start…" });
});
