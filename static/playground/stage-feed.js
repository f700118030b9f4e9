/**
 * The stage runs' events as the class socket brings them, and what each lane says. Pure: no DOM
 * (Node tests it); class-stage.js draws.
 *
 *   {"type": "stage.events", "run", "events"} ──laneOf(lanes, message)──> the lane with that run id (none: ignored)
 *   {"type": "stage.queue", "run", "place", "eta_s"}      │
 *   {"type": "stage.error", "run", "error"}               v
 *                                         feedLane(lane, message, atMs): its model, queue or error updated
 *                                           freshEvents(lastSeq, events): seq > lastSeq, no holes (repeats dropped)
 *                                         laneStatus(lane): {state, text} the lane's status line shows
 *
 * The server replays each stage run from seq 0 when it comes on stage and after every class.hello
 * (a reconnect of the class socket), so a lane rebuilt empty at a hello sees every event once.
 */

import { queueWords } from "./queue.js";
import { wallWords } from "./stage-model.js";

/** The lane (any object with run.id) a stage.* message is for; null when none has its run id. */
export function laneOf(lanes, message) {
  const id = message?.run;
  if (typeof id !== "string" || !id) return null;
  return lanes.find((lane) => lane.run?.id === id) ?? null;
}

/** The events of `events` after `lastSeq`, in order, up to the first hole (a lost event: nothing
 * after it can be drawn right); repeats and events without a whole-number seq are dropped. */
export function freshEvents(lastSeq, events) {
  const fresh = [];
  let last = lastSeq;
  for (const event of Array.isArray(events) ? events : []) {
    if (!Number.isInteger(event?.seq) || event.seq <= last) continue;
    if (event.seq > last + 1) break;
    last = event.seq;
    fresh.push(event);
  }
  return fresh;
}

/**
 * A stage.* message into its lane ({model, events, queue, error}, as laneOf found it): new events
 * applied to the model at `atMs` (the page's clock) and counted; the queue place or error kept for
 * laneStatus. Returns how many events were new.
 */
export function feedLane(lane, message, atMs) {
  if (message?.type === "stage.queue") lane.queue = message;
  else if (message?.type === "stage.error") lane.error = String(message.error ?? "error");
  else if (message?.type === "stage.events") {
    const fresh = freshEvents(lane.model.lastSeq, message.events);
    if (fresh.length) lane.model.apply(fresh, atMs);
    lane.events += fresh.length;
    return fresh.length;
  }
  return 0;
}

/**
 * A lane's status line: {state, text}, state as the status element's data-state.
 *   lane.model   its timeline (end, status, lastSeq, summary)
 *   lane.queue   the last stage.queue for it, or null; lane.error: a stage.error's text, or null
 *   socket       the class socket's state (socket.js): connecting | live | reconnecting | closed
 * A finished run stays finished; then a run that cannot be followed; then the socket down (or closed); then
 * its place in the queue while nothing has started; "connecting…" until the first events.
 */
export function laneStatus({ model, queue = null, error = null }, socket = "live") {
  if (model.end !== null) return { state: "finished", text: wallWords(model) };
  if (error !== null) return { state: "error", text: `This run cannot be followed: ${error}` };
  if (socket === "reconnecting") return { state: "reconnecting", text: "reconnecting…" };
  if (socket === "closed") return { state: "closed", text: "disconnected" }; // the class socket, for good
  if (model.status === "idle" && queue) return { state: "queued", text: queueWords(queue) };
  if (model.lastSeq < 0) return { state: "connecting", text: "connecting…" };
  return { state: "live", text: wallWords(model) };
}
