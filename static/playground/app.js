/**
 * The entry module: wires the page together. No logic of its own beyond "which
 * run is shown".
 *
 *   boot (json_script) ──> form (presets, strategy, POST) ──201──> showRun(run)
 *   boot.vocabulary (the server's shared words) ──> model, legend, which statuses end a run
 *                          form ──onPlanChange──> code panel: the code that will run
 *   showRun: pushState, reset model + view, connectRun(ws) ──events──> model.apply
 *            ──> view.markDirty(), summary, legend, connection status,
 *                code panel: the code that ran (run.started's code)
 *                          connectRun(ws) ──queue──> #queue-status (place in line, estimated start)
 *                          until the first event (run.started, or run.finished if cancelled first)
 *   "Compare with…" (compare-picker.js): this run and the learner's recent ones ──> /compare/?runs=...
 *   Stop/Cancel button: the owner's, from queued to the run's end ──> POST /api/runs/<id>/cancel
 *   back/forward (popstate) ──> showRun(that entry's run), form refilled
 */

import { createCodePanel } from "./code-panel.js";
import { createComparePicker } from "./compare-picker.js";
import { createDownloads } from "./downloads.js";
import { createRunForm, csrfToken } from "./form.js";
import { createLegend } from "./legend.js";
import { loopSentence } from "./loop-words.js";
import { queueWords } from "./queue.js";
import { Replay } from "./replay.js";
import { attachReplay } from "./replay-controls.js";
import { connectRun } from "./socket.js";
import { renderSummary } from "./summary.js";
import { createTimeline } from "./timeline-model.js";
import { createTimelineView } from "./timeline-view.js";
import { attachZoom } from "./zoom-controls.js";

const SUMMARY_TICK_MS = 100; // the live wall clock in the summary: ten updates a second is plenty
const WAITING_TO_START = "Waiting for the run to start…";
const WAITING_FOR_WORKER = "Waiting for a free worker…"; // the line above the canvas says where in line

const $ = (id) => document.getElementById(id);
const boot = JSON.parse($("boot")?.textContent ?? "{}");
// The words the server and the page share (playground/events.py vocabulary()); no copy here.
const vocabulary = boot.vocabulary;
const TERMINAL = new Set(vocabulary.run_end_statuses);
const model = createTimeline(vocabulary);
const view = createTimelineView({ canvas: $("timeline"), strip: $("concurrency"), tooltip: $("tooltip"), announcer: $("timeline-said"), minimap: $("minimap"), model });
// A finished run replays under a time cursor: the timeline, the strip and the summary
// show the replay's model, "now" at the cursor; at its end that model is the whole run.
let runEvents = []; // the run on screen's events in seq order, for its replay
const replayBar = attachReplay((replay, cursor) => {
  view.fixedDomain ??= view.geometry?.domain ?? null; // the whole run's axis, kept while the cursor moves
  view.setModel(replay.model);
  renderSummary(summaryEl, replay.model, cursor);
  describeLoop(replay.model, cursor);
});
const zoom = attachZoom({
  view,
  canvas: $("timeline"),
  minimap: $("minimap"),
  zoomIn: $("zoom-in"),
  zoomOut: $("zoom-out"),
  reset: $("zoom-reset"),
  level: $("zoom-level"),
});
const summaryEl = $("summary");
const connEl = $("conn-status");
const stopButton = $("stop-button");
const queueEl = $("queue-status");
const canvasLabel = $("timeline").getAttribute("aria-label");
const legend = createLegend($("legend"), vocabulary);
const downloads = createDownloads($("downloads"), { canvas: $("timeline"), apiRuns: boot.api?.runs });
const codePanel = createCodePanel({ panel: $("strategy-panel"), boot });
const comparePicker = createComparePicker($("compare-with"), { boot }); // "Compare with…" the learner's runs
let handledCode = null; // the last run.started code put on the code panel (once per run)
let panelShowsRun = false; // the code panel shows what ran (true) or what will run (false)
let socket = null;
let current = null; // {run, replay}: the run on screen; replay = it was over before we looked
let ticker = 0;

// Read-only hooks for browser tests and the curious: model state, frame counters.
window.playground = Object.freeze({
  model,
  view,
  get run() {
    return current?.run ?? null;
  },
});

const form = createRunForm({
  form: $("run-form"),
  boot,
  presets: $("presets"),
  presetNote: $("preset-note"),
  onPlanChange: (plan) => {
    panelShowsRun = false; // the learner is planning the next run: show what it will run
    codePanel.showPlan(plan);
  },
  onCreated: (run) => showRun({ ...run, owned: true }, { push: true }),
  // While a new run is being asked for, the old result is no longer the answer.
  onSubmit: () => {
    delete summaryEl.dataset.status;
    summaryEl.dataset.state = "submitting";
  },
  onRefused: () => refreshSummary(),
});

stopButton?.addEventListener("click", stopRun);
history.replaceState({ run: boot.run ?? null }, "", location.href);
showRun(boot.run ?? null);

window.addEventListener("popstate", (event) => {
  const run = event.state?.run ?? null;
  if (run?.spec) form.fill(run.spec);
  showRun(run);
});

/** Put `run` (or nothing) on screen: a fresh timeline, replayed then live. */
function showRun(run, { push = false } = {}) {
  socket?.close();
  socket = null;
  hideQueue();
  model.reset();
  legend.update(model);
  replayBar.clear();
  runEvents = [];
  view.setModel(model);
  view.fixedDomain = null;
  view.choose(null); // a keyboard choice belongs to the run it was made in
  view.hover = null;
  zoom.reset(); // a new run is seen whole first
  view.markDirty();
  $("timeline").setAttribute("aria-label", canvasLabel);
  describeLoop(model, 0);
  if (push) {
    history.pushState({ run }, "", run.url);
    revealTimeline();
  }
  current = run ? { run, replay: TERMINAL.has(run.status) } : null;
  comparePicker.setRun(run);
  downloads.show(null); // offered once the run has ended
  if (!run && panelShowsRun) form.showStrategy(); // no run on screen: the code panel plans again
  refreshSummary();
  view.placeholder = null;
  if (!run) return setConnection("idle", "No run yet: pick an example or set up your own, then press Run.");
  view.placeholder = WAITING_TO_START;
  socket = connectRun(run.ws ?? `/ws/runs/${run.id}/`, {
    handlers: {
      events: receive,
      queue: showQueue,
      error: (message) => setConnection("error", `The server refused: ${message.error}`),
    },
    onStatus: connectionChanged,
  });
}

function receive(events) {
  model.apply(events, performance.now());
  for (const event of events) if (event.seq === runEvents.length) runEvents.push(event); // once each, in order
  if (model.status !== "idle") hideQueue(); // it started, or ended before it could
  view.markDirty();
  legend.update(model);
  refreshSummary();
  describeLoop(model, model.nowAt(performance.now()));
  if (model.code && model.code !== handledCode) {
    handledCode = model.code;
    panelShowsRun = true;
    codePanel.showRun(model.code, model.spec);
  }
  if (model.end !== null) {
    socket?.close(); // nothing more will come for this run
    if (!model.laneCount) view.placeholder = `Run ${model.status} before any request was made.`;
    describeRun();
    if (runEvents.length === model.lastSeq + 1) replayBar.load(new Replay([runEvents], () => createTimeline(vocabulary)));
    downloads.show(current?.run, model.spec?.strategy);
    // Coming back to this entry later replays it from storage.
    if (history.state?.run?.id === current?.run.id) {
      history.replaceState({ run: { ...current.run, status: model.status } }, "", location.href);
    }
    setConnection(
      current?.replay ? "replayed" : "finished",
      current?.replay ? "Replayed from storage." : `Run ${model.status}: all events received.`,
    );
  }
}

/**
 * {"type": "queue", "place", "eta_s"}: the run waits for a free worker. Shown until its
 * first event; one arriving after it (a message overtaken by run.started) is stale.
 */
function showQueue(message) {
  if (model.status !== "idle") return;
  const text = queueWords(message);
  if (queueEl.textContent !== text) queueEl.textContent = text; // a screen reader hears changes only
  setData(queueEl, "place", Number.isInteger(message.place) ? message.place : null);
  setData(queueEl, "etaS", Number.isFinite(message.eta_s) ? message.eta_s : null);
  queueEl.hidden = false;
  if (view.placeholder !== WAITING_FOR_WORKER) {
    view.placeholder = WAITING_FOR_WORKER;
    view.markDirty();
  }
  updateStopButton();
}

function hideQueue() {
  if (queueEl.hidden) return;
  queueEl.hidden = true;
  queueEl.textContent = "";
  setData(queueEl, "place", null);
  setData(queueEl, "etaS", null);
  if (view.placeholder === WAITING_FOR_WORKER) view.placeholder = WAITING_TO_START;
}

function setData(el, key, value) {
  if (value === null) delete el.dataset[key];
  else el.dataset[key] = String(value);
}

function connectionChanged(state, info) {
  if (model.end !== null) return; // the run is over; the socket closing is expected
  if (state === "closed") hideQueue(); // no more news of its place in line
  if (state === "live") model.resumeClock(performance.now());
  else model.holdClock();
  if (state === "connecting") setConnection("connecting", "Connecting…");
  else if (state === "live") setConnection("live", current?.replay ? "Replaying from storage…" : "Live");
  else if (state === "reconnecting") {
    if (current?.replay && model.lastSeq >= 0) return endStoredRun();
    const wait = info.delayMs ? ` (next try in ${(info.delayMs / 1000).toFixed(1)} s)` : "";
    setConnection("reconnecting", `Reconnecting…${wait}`);
  } else if (state === "closed" && info.error) setConnection("error", info.error);
}

/**
 * A run that was over before we looked, whose stored events end without
 * run.finished (the server stopped mid-run): close it at its last event.
 */
function endStoredRun() {
  socket?.close();
  const status = current.run.status;
  // Numbered right after the last stored event: the model and the replay both end there.
  const end = { type: "run.finished", seq: model.lastSeq + 1, t: model.lastT, status, error: `run ${status}`, summary: null };
  const whole = runEvents.length === end.seq; // every stored event came: it replays
  model.apply([end]);
  if (whole) {
    runEvents.push(end);
    replayBar.load(new Replay([runEvents], () => createTimeline(vocabulary)));
  }
  legend.update(model);
  describeRun();
  describeLoop(model, model.end);
  downloads.show(current.run, model.spec?.strategy);
  view.markDirty();
  refreshSummary();
  setConnection("replayed", `Replayed from storage (the run was ${status}).`);
}

/** On a narrow screen the timeline is below the form: bring it into view. */
function revealTimeline() {
  const panel = $("timeline").closest("section") ?? $("timeline");
  if (panel.getBoundingClientRect().top < window.innerHeight * 0.6) return;
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  panel.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
}

function setConnection(state, text) {
  connEl.dataset.state = state;
  connEl.textContent = text;
}

/** Ask the server to cancel the run on screen; its run.finished (cancelled) ends it here. */
async function stopRun() {
  const run = current?.run;
  if (!run) return;
  stopButton.disabled = true;
  try {
    const response = await fetch(`${boot.api?.runs ?? "/api/runs"}/${run.id}/cancel`, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken($("run-form")) },
      credentials: "same-origin",
    });
    // 409: it ended on its own meanwhile; run.finished is on its way either way.
    if (!response.ok && response.status !== 409) setConnection("error", `Could not stop the run (HTTP ${response.status}).`);
  } catch (error) {
    setConnection("error", `Could not reach the server to stop the run (${error.message}).`);
  } finally {
    stopButton.disabled = false;
  }
}

/**
 * Only the learner who started a run may stop it (a shared link is read-only): from the
 * moment it is queued to its end. Waiting for a worker, stopping it cancels it unbegun.
 */
function updateStopButton() {
  if (!stopButton) return;
  stopButton.hidden = !current?.run?.owned || current.replay || model.end !== null;
  const queued = model.status === "idle" && current?.run?.status === "queued";
  const label = queued ? "Cancel run" : "Stop run";
  if (stopButton.textContent !== label) stopButton.textContent = label;
}

/** Summary now, and ten times a second while the run is live. */
function refreshSummary() {
  updateStopButton();
  renderSummary(summaryEl, model, model.nowAt(performance.now()));
  if (model.running && !ticker) {
    ticker = setInterval(() => {
      if (!model.running) {
        clearInterval(ticker);
        ticker = 0;
        updateStopButton();
      }
      renderSummary(summaryEl, model, model.nowAt(performance.now()));
    }, SUMMARY_TICK_MS);
  }
}

/** The event-loop lane in words (part of the canvas's description): "" for a run without the lane. */
function describeLoop(shown, now) {
  const el = $("timeline-loop");
  const text = loopSentence(shown, now);
  if (el.textContent !== text) el.textContent = text;
}

/** The canvas's text alternative: what the picture shows, in one sentence. */
function describeRun() {
  const wall = model.summary?.wall_s ?? model.end;
  const counts = Object.entries(model.summary?.counts ?? model.counts).filter(([, n]) => n).map(([status, n]) => `${n} ${status}`).join(", ");
  $("timeline").setAttribute(
    "aria-label",
    `Timeline of ${model.laneCount} requests, run ${model.status} in ${wall.toFixed(3)} s` +
      `${counts ? ` (${counts})` : ""}; at most ${model.summary?.max_in_flight ?? model.maxInFlight} in flight at once.`,
  );
}
