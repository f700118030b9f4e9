// node --test tests/js/ : the event-loop lane's pure parts (loop-words.js) on real models, live and replayed.
import { test } from "node:test";
import assert from "node:assert/strict";

import { costFigures } from "../../static/playground/compare-model.js";
import { describeStretch, isStretch, loopFigures, loopSegments, loopSentence, loopVerdict, loopWatched, stretchAt } from "../../static/playground/loop-words.js";
import { Replay } from "../../static/playground/replay.js";
import { createTimeline } from "../../static/playground/timeline-model.js";
import { nextSelection } from "../../static/playground/timeline-keys.js";
import { stream } from "./streams.mjs";
import { VOCABULARY } from "./vocabulary.mjs";

/**
 * A blocking gather, alone in its process: five requests of 0.2 s, each holding the loop
 * while it runs, so they run one after another (0.2 s each, from 0.01 s to 1.01 s).
 */
function blockingEvents({ summary = true } = {}) {
  const events = [{ type: "run.started", t: 0, spec: { strategy: "blocking", requests: 5, own_process: true } }];
  for (let i = 0; i < 5; i += 1) {
    const start = 0.01 + i * 0.2;
    events.push(
      { type: "task.started", t: start, task: i, attempt: 1 },
      { type: "task.finished", t: start + 0.2, task: i, attempt: 1, status: "ok", http_status: 200 },
      { type: "loop.blocked", t: start + 0.2, start, end: start + 0.2 },
    );
  }
  const loop = { blocked_s: 1.0, stretches: 5, longest_s: 0.2, share: 0.99 };
  const cost = { cpu_s: 0.034, peak_memory_mb: 3.42, threads: 0 };
  events.push({ type: "run.finished", t: 1.01, status: "finished", summary: summary ? { wall_s: 1.01, loop, cost } : null });
  return stream(...events);
}

function modelOf(events) {
  const model = createTimeline(VOCABULARY);
  model.apply(events);
  return model;
}

const round = (segments) => segments.map(({ kind, start, end }) => [kind, Number(start.toFixed(3)), Number(end.toFixed(3))]);

test("only a run alone in its process has the lane", () => {
  assert.equal(loopWatched(modelOf(blockingEvents())), true);
  assert.equal(loopWatched(modelOf(stream({ type: "run.started", t: 0, spec: { strategy: "gather", requests: 2 } }))), false);
  assert.equal(loopWatched(createTimeline(VOCABULARY)), false);
  assert.equal(loopFigures(modelOf(stream({ type: "run.started", t: 0, spec: { strategy: "gather" } })), 0.5), null);
  assert.equal(loopSentence(modelOf(stream({ type: "run.started", t: 0, spec: { strategy: "gather" } })), 0.5), "");
});

test("loopSegments: free between the blocked stretches, from 0 to now", () => {
  const model = modelOf(blockingEvents());
  const segments = loopSegments(model.loopBlocked, model.end, 0, 1.2);
  assert.deepEqual(round(segments), [
    ["free", 0, 0.01],
    ["blocked", 0.01, 0.21],
    ["blocked", 0.21, 0.41],
    ["blocked", 0.41, 0.61],
    ["blocked", 0.61, 0.81],
    ["blocked", 0.81, 1.01],
  ]);
});

test("loopSegments within a zoomed window: cut at its edges, nothing outside it", () => {
  const model = modelOf(blockingEvents());
  assert.deepEqual(round(loopSegments(model.loopBlocked, model.end, 0.3, 0.5)), [
    ["blocked", 0.3, 0.41],
    ["blocked", 0.41, 0.5],
  ]);
  const gaps = [{ start: 0.1, end: 0.2 }, { start: 0.5, end: 0.6 }];
  assert.deepEqual(round(loopSegments(gaps, 1, 0.15, 0.55)), [
    ["blocked", 0.15, 0.2],
    ["free", 0.2, 0.5],
    ["blocked", 0.5, 0.55],
  ]);
  assert.deepEqual(loopSegments(gaps, 1, 2, 3), []); // a window after now: nothing known there
});

test("a live run's lane is free up to now except the stretches received", () => {
  const events = blockingEvents();
  const model = createTimeline(VOCABULARY);
  model.apply(events.slice(0, 5), 1000); // run.started, #0 started and finished, its stretch; #1 started
  assert.deepEqual(round(loopSegments(model.loopBlocked, 0.3, 0, 1)), [
    ["free", 0, 0.01],
    ["blocked", 0.01, 0.21],
    ["free", 0.21, 0.3],
  ]);
  const figures = loopFigures(model, 0.3);
  assert.equal(figures.stretches, 1);
  assert.ok(Math.abs(figures.blocked_s - 0.2) < 1e-9);
  assert.ok(Math.abs(figures.share - 0.2 / 0.3) < 1e-9);
  assert.equal(figures.final, false);
  assert.equal(loopVerdict(figures), null); // a verdict only once the server has measured the whole run
});

test("a replay's model at its cursor holds only the stretches that ended by then", () => {
  const replay = new Replay([blockingEvents()], () => createTimeline(VOCABULARY));
  replay.seek(0.5); // #0 and #1's stretches ended (0.21, 0.41); #2's (0.41-0.61) has not
  const model = replay.model;
  assert.equal(model.loopBlocked.length, 2);
  assert.deepEqual(round(loopSegments(model.loopBlocked, model.nowAt(), 0, 1.2)), [
    ["free", 0, 0.01],
    ["blocked", 0.01, 0.21],
    ["blocked", 0.21, 0.41],
    ["free", 0.41, 0.5],
  ]);
  assert.equal(loopSentence(model, model.nowAt()), "Event loop lane: blocked 2 times, 0.40 s of 0.50 s, the longest 200 ms.");
  replay.seek(0); // backwards: a fresh model, nothing blocked yet
  assert.deepEqual(replay.model.loopBlocked, []);
  replay.seek(replay.duration);
  assert.equal(replay.model.loopBlocked.length, 5);
});

test("stretchAt: the blocked stretch under the pointer, within a tolerance; none on free time", () => {
  const stretches = [{ start: 0.1, end: 0.2 }, { start: 0.5, end: 0.6 }];
  assert.equal(stretchAt(stretches, 0.15, 1), stretches[0]);
  assert.equal(stretchAt(stretches, 0.3, 1), null);
  assert.equal(stretchAt(stretches, 0.205, 1, 0.01), stretches[0]);
  assert.equal(stretchAt(stretches, 0.55, 0.58), null); // not ended by now: not drawn, not hit
  assert.equal(isStretch(stretches[0]), true);
  assert.equal(isStretch({ task: 0, start: 0.1, end: 0.2 }), false);
  assert.equal(isStretch(null), false);
});

test("a blocked stretch's tooltip says how long and when", () => {
  assert.deepEqual(describeStretch({ start: 0.4, end: 0.6005 }), ["Event loop blocked for 201 ms", "0.40–0.60 s: no other task could run"]);
  assert.deepEqual(describeStretch({ start: 12.5, end: 12.53 }), ["Event loop blocked for 30 ms", "12.50–12.53 s: no other task could run"]);
});

test("over: the server's summary.loop, the verdict and the sentence", () => {
  const model = modelOf(blockingEvents());
  const figures = loopFigures(model, model.end);
  assert.deepEqual(figures, { blocked_s: 1.0, share: 0.99, stretches: 5, longest_s: 0.2, wall_s: 1.01, final: true });
  assert.equal(loopVerdict(figures), "The event loop was blocked 99% of the run: while code held it, no other task ran");
  assert.equal(loopVerdict({ ...figures, share: 0.5 }), "The event loop was blocked 50% of the run: while code held it, no other task ran");
  assert.equal(loopVerdict({ ...figures, share: 0.3 }), null); // the server's verdict names it, with its figures
  assert.equal(loopSentence(model, model.end), "Event loop lane: blocked 5 times, 1.00 s of 1.01 s, the longest 200 ms.");
});

test("a watched loop that never blocked says so; a summary without loop counts from the model", () => {
  const model = modelOf(stream(
    { type: "run.started", t: 0, spec: { strategy: "to_thread", requests: 1, own_process: true } },
    { type: "task.started", t: 0, task: 0, attempt: 1 },
    { type: "task.finished", t: 0.21, task: 0, attempt: 1, status: "ok" },
    { type: "run.finished", t: 0.22, status: "finished", summary: { wall_s: 0.22, loop: null, cost: null } },
  ));
  assert.deepEqual(loopFigures(model, 0.22), { blocked_s: 0, share: 0, stretches: 0, longest_s: 0, wall_s: 0.22, final: false });
  assert.equal(loopSentence(model, 0.22), "Event loop lane: never blocked for 20 ms or more in 0.22 s.");
});

test("the keyboard reaches the loop's lane above request #0, steps along it and comes back down", () => {
  const model = modelOf(blockingEvents());
  const stretches = model.loopBlocked;
  const first = nextSelection(model, null, "ArrowDown", stretches); // request #0
  assert.equal(first.task, 0);
  const up = nextSelection(model, first, "ArrowUp", stretches);
  assert.equal(up, stretches[0]);
  assert.equal(nextSelection(model, up, "ArrowUp", stretches), up); // the top lane: stays
  assert.equal(nextSelection(model, up, "ArrowRight", stretches), stretches[1]);
  assert.equal(nextSelection(model, stretches[4], "ArrowRight", stretches), stretches[4]);
  assert.equal(nextSelection(model, stretches[4], "ArrowLeft", stretches), stretches[3]);
  const down = nextSelection(model, stretches[3], "ArrowDown", stretches);
  assert.equal(down.task, 0); // back to the top request, its bar nearest that moment
  assert.equal(nextSelection(model, stretches[3], "End", stretches).task, 4);
  assert.equal(nextSelection(model, stretches[3], "Escape", stretches), null);
  // Without the lane, ↑ at the top request stays where it is.
  assert.equal(nextSelection(model, first, "ArrowUp"), first);
});

test("summary figures from the lane: a lane's cost in words for the comparison", () => {
  const model = modelOf(blockingEvents());
  assert.deepEqual(costFigures(loopFigures(model, model.end), model.summary.cost), {
    loop_blocked: "1.000 s (99%)",
    cpu_s: "0.034 s",
    peak_memory_mb: "+3.4 MB",
    threads: "0",
  });
  assert.deepEqual(costFigures(null, null), {});
  assert.deepEqual(costFigures(null, { cpu_s: 1.5, peak_memory_mb: 120.4, threads: 20 }), { cpu_s: "1.500 s", peak_memory_mb: "+120 MB", threads: "20" });
});
