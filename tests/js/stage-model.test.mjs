// node --test tests/js/ : the stage in words, and which stage messages a page takes.
import { test } from "node:test";
import assert from "node:assert/strict";

import { byWords, headline, loadWords, sameRuns, stageNewer, stagePlan, wallWords } from "../../static/playground/stage-model.js";

const teacherRun = { id: "a", strategy: "gather", n: 10, by: "teacher", learner: null, name: null };
const learnerRun = { id: "b", strategy: "sequential", n: 1, by: "learner", learner: 7, name: "Quiet Otter" };

test("a stage is shown only if newer than the one shown", () => {
  const one = { rev: 3, runs: [teacherRun], load: null };
  assert.equal(stageNewer(null, one), true);
  assert.equal(stageNewer(one, { ...one, rev: 2 }), false, "a late message is dropped");
  assert.equal(stageNewer(one, { ...one }), false, "the same rev again (hello, then the message held) once");
  assert.equal(stageNewer(one, { rev: 4, runs: [], load: null }), true);
  assert.equal(stageNewer(null, { rev: "4", runs: [] }), false);
  assert.equal(stageNewer(null, undefined), false);
  const named = { rev: 5, runs: [learnerRun], load: null };
  const unnamed = { ...named, runs: [{ ...learnerRun, name: null }] };
  assert.equal(stageNewer(named, unnamed), true, "names hidden since: the same rev again, shown");
  assert.equal(stageNewer(unnamed, named), true, "names shown since");
  assert.equal(stageNewer(unnamed, { ...unnamed }), false);
});

test("the same runs keep their lanes; other runs or their order do not", () => {
  assert.equal(sameRuns({ runs: [teacherRun] }, { runs: [{ ...teacherRun, name: "x" }] }), true);
  assert.equal(sameRuns({ runs: [teacherRun, learnerRun] }, { runs: [learnerRun, teacherRun] }), false);
  assert.equal(sameRuns(null, { runs: [] }), true);
  assert.equal(sameRuns(null, { runs: [teacherRun] }), false);
});

test("a class.stage rebuilds the lanes only for other runs; a hello always, even at the rev shown", () => {
  const one = { rev: 3, runs: [teacherRun], load: null };
  assert.deepEqual(stagePlan(null, one), { rebuild: true });
  assert.deepEqual(stagePlan(one, { ...one, rev: 4 }), { rebuild: false }, "the same runs, newer words: lanes kept");
  assert.deepEqual(stagePlan(one, { rev: 4, runs: [teacherRun, learnerRun] }), { rebuild: true });
  assert.equal(stagePlan(one, { ...one }), null, "the same rev again: dropped");
  assert.deepEqual(stagePlan(one, { ...one }, { hello: true }), { rebuild: true }, "a reconnect: the server replays from seq 0");
  assert.deepEqual(stagePlan(null, one, { hello: true }), { rebuild: true });
  assert.deepEqual(stagePlan(one, { ...one, rev: 5 }, { hello: true }), { rebuild: true });
  assert.equal(stagePlan(one, { ...one, rev: 2 }, { hello: true }), null, "an older stage, even in a hello: dropped");
  assert.equal(stagePlan(one, undefined, { hello: true }), null, "a hello without a stage");
  assert.equal(stagePlan(one, { rev: 3 }, { hello: true }), null, "a stage without runs");
});

test("who ran it: the teacher, a name only when given and allowed, else a learner", () => {
  assert.equal(byWords(teacherRun), "the teacher");
  assert.equal(byWords(learnerRun), "Quiet Otter");
  assert.equal(byWords(learnerRun, { names: false }), "a learner");
  assert.equal(byWords({ ...learnerRun, name: null }), "a learner");
});

test("the load at launch in words, singular for one; nothing without one", () => {
  assert.equal(loadWords({ running: 3, queued: 2 }), "While 3 other runs were running, 2 waiting.");
  assert.equal(loadWords({ running: 1, queued: 0 }), "While 1 other run was running, 0 waiting.");
  assert.equal(loadWords({ running: 0, queued: 0 }), "Nothing else was running or waiting.");
  assert.equal(loadWords({ running: 0, queued: 4 }), "While 0 other runs were running, 4 waiting.");
  assert.equal(loadWords(null), "");
  assert.equal(loadWords({}), "");
});

test("the headline names the runs and hides names on the projector", () => {
  assert.equal(headline({ runs: [] }), "Nothing on stage yet.");
  assert.equal(headline({ runs: [teacherRun] }), "On stage: gather, 10 requests, run by the teacher.");
  const two = headline({ runs: [teacherRun, learnerRun] }, { names: false });
  assert.equal(two, "Compared on one time axis: A · gather, 10 requests, run by the teacher; B · sequential, 1 request, run by a learner.");
});

test("a lane's status: waiting, live, then its wall time", () => {
  assert.equal(wallWords({ end: null, status: "idle" }), "waiting to start…");
  assert.equal(wallWords({ end: null, status: "running" }), "live");
  assert.equal(wallWords({ end: 0.51, status: "finished", summary: { wall_s: 0.503 } }), "finished in 503 ms (wall time)");
  assert.equal(wallWords({ end: 1.2, status: "cancelled", summary: null }), "cancelled in 1.2 s (wall time)");
});
