/**
 * The stage in words and the decisions class-stage.js takes on it. Pure: testable in Node.
 *
 *   stageNewer(shown, next)   a class.stage message to show (its rev beyond the one shown, or names changed)
 *   sameRuns(a, b)            the same runs on stage: keep the lanes (and what they hold)
 *   stagePlan(shown, next, {hello})  null: drop it; {rebuild}: show it, lanes built anew or kept
 *   byWords(run, {names})     who ran it: "the teacher", the learner's name, or "a learner"
 *   loadWords(load)           "While 3 other runs were running, 2 waiting." (the load at launch)
 *   headline(stage)           what is on stage, in one line
 *   wallWords(model)          the wall time of a finished run, or how it is going
 */

import { wallTime } from "./time-words.js";

/** Whether `next` (a stage) is newer than `shown` (null: nothing shown yet), or the same stage with
 * names shown or hidden since (the teacher's setting changed: it is announced again, same rev). */
export function stageNewer(shown, next) {
  if (!next || !Number.isInteger(next.rev) || !Array.isArray(next.runs)) return false;
  const names = (stage) => stage.runs.map((run) => run.name ?? "").join("\n");
  return shown === null || next.rev > shown.rev || (next.rev === shown.rev && names(next) !== names(shown));
}

export function sameRuns(a, b) {
  const ids = (stage) => (stage?.runs ?? []).map((run) => run.id).join(",");
  return ids(a) === ids(b);
}

/** What a page does with a stage (from class.stage, or class.hello with `hello`): null to drop it, else
 * {rebuild}: whether its lanes are built anew, empty. A hello follows every (re)connect of the class
 * socket, after which the server replays each stage run from seq 0: it is taken even at the rev shown
 * (though not older), and always rebuilds; otherwise only other runs rebuild. */
export function stagePlan(shown, next, { hello = false } = {}) {
  const again = hello && shown !== null && next?.rev === shown.rev && Array.isArray(next.runs);
  if (!again && !stageNewer(shown, next)) return null;
  return { rebuild: hello || !sameRuns(shown, next) };
}

/** Who ran it; `names`: false hides a learner's name even when the message carries one (the projector). */
export function byWords(run, { names = true } = {}) {
  if (run.by === "teacher") return "the teacher";
  return names && typeof run.name === "string" && run.name ? run.name : "a learner";
}

const plural = (n, one, many) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** The load recorded when the teacher launched the run; "" when none was. */
export function loadWords(load) {
  if (!load || !Number.isInteger(load.running) || !Number.isInteger(load.queued)) return "";
  if (load.running === 0 && load.queued === 0) return "Nothing else was running or waiting.";
  const running = `${plural(load.running, "other run was", "other runs were")} running`;
  return `While ${running}, ${load.queued.toLocaleString("en-US")} waiting.`;
}

function runWords(run, options) {
  return `${run.strategy}, ${plural(run.n, "request", "requests")}, run by ${byWords(run, options)}`;
}

export function headline(stage, options = {}) {
  const runs = stage?.runs ?? [];
  if (!runs.length) return "Nothing on stage yet.";
  if (runs.length === 1) return `On stage: ${runWords(runs[0], options)}.`;
  return `Compared on one time axis: ${runs.map((run, i) => `${"AB"[i]} · ${runWords(run, options)}`).join("; ")}.`;
}

/** A lane's status line from its model: waiting, live, or its wall time once over. */
export function wallWords(model) {
  if (model.end === null) return model.status === "running" ? "live" : "waiting to start…";
  const wall = model.summary?.wall_s ?? model.end;
  return `${model.status} in ${wallTime(wall * 1000)} (wall time)`;
}
