/**
 * The comparison page (/compare/?runs=...): 2 to 4 runs, each with its own model, view and
 * socket, drawn on one time axis. Wiring only: what the comparison says is compare-model.js.
 *
 *   boot.runs ──for each──> createTimeline + createTimelineView (its fixedDomain: the shared axis) + connectRun(ws)
 *     events ──> model.apply ──> view.markDirty; lane figures (a run alone in its process: its
 *                loop's blocked time and its cost, costFigures()); speed-ups and the request
 *                table (at most every TABLE_EVERY_MS while live)
 *     queue  ──> the lane's status: its place in line
 *   each animation frame while a run is live: axis = max over runs of axisEnd(model, now);
 *     when it changes, every view redraws at once (a finished run's bars shrink as the axis grows)
 *
 * A finished run replays from storage through the same socket, so stored and live
 * comparisons are one code path.
 */

import { costFigures, differenceWords, failedOf, LETTERS, laneNames, requestNote, requestRows, sharedEnd, speedups } from "./compare-model.js";
import { loopFigures, loopSentence } from "./loop-words.js";
import { queueWords } from "./queue.js";
import { Replay } from "./replay.js";
import { attachReplay } from "./replay-controls.js";
import { axisEnd, formatMs, formatSeconds, IDLE_DOMAIN_S } from "./scale.js";
import { connectRun } from "./socket.js";
import { createTimeline } from "./timeline-model.js";
import { createTimelineView } from "./timeline-view.js";

const ROWS_SHOWN = 12; // request rows in the table: a screenful a class can read; the note covers the rest
const TABLE_EVERY_MS = 250; // the table and speed-ups follow a live run four times a second
const PLOT_SHARE = 0.62; // of the window's height, shared by the lanes' timelines
const PLOT_MIN_CSS = 90;
const TEXT_SCALE = 1.3; // the canvases' 11 px labels at ~14 px: this page is meant to be projected

const $ = (id) => document.getElementById(id);
const boot = JSON.parse($("boot")?.textContent ?? "{}");
const vocabulary = boot.vocabulary;
const TERMINAL = new Set(vocabulary.run_end_statuses);
const names = laneNames(boot.runs.map((run) => run.spec));
const clock = () => performance.now();
let axis = IDLE_DOMAIN_S;
let tableAt = -Infinity;
let raf = 0;

const lanes = boot.runs.map((run, i) => createLane(run, i));
// Once every run is over, they replay together under one cursor (each lane's own zero).
const replayBar = attachReplay((replay) => replay.models.forEach((model, i) => lanes[i].view.setModel(model)));
let replayLoaded = false;

// Read-only hooks for browser tests and the curious.
window.playground = Object.freeze({
  lanes: lanes.map((lane) => ({
    model: lane.model,
    view: lane.view,
    run: lane.run,
    get liveFrames() {
      return lane.liveFrames; // frames of the page drawn while this run was live
    },
  })),
  get axis() {
    return axis;
  },
});

for (const lane of lanes) connect(lane);
refresh(true);

function createLane(run, i) {
  const el = document.querySelector(`.lane[data-run="${CSS.escape(run.id)}"]`);
  const part = (name) => el.querySelector(`[data-lane="${name}"]`);
  part("letter").textContent = LETTERS[i];
  part("name").textContent = names[i];
  const model = createTimeline(vocabulary);
  const plotMaxCss = Math.max(PLOT_MIN_CSS, Math.round((window.innerHeight * PLOT_SHARE) / boot.runs.length));
  const view = createTimelineView({
    canvas: part("timeline"),
    strip: part("concurrency"),
    tooltip: part("tooltip"),
    model,
    clock,
    plotMaxCss,
    textScale: TEXT_SCALE,
  });
  view.fixedDomain = axis; // the comparison's one axis, not this run's own
  view.placeholder = "Waiting for the run to start…";
  return { run, i, el, part, model, view, events: [], socket: null, replay: TERMINAL.has(run.status), state: "connecting", liveFrames: 0 };
}

function connect(lane) {
  lane.socket = connectRun(lane.run.ws ?? `/ws/runs/${lane.run.id}/`, {
    handlers: {
      events: (events) => receive(lane, events),
      queue: (message) => {
        if (lane.model.status !== "idle") return; // overtaken by run.started: stale
        setLaneStatus(lane, "queued", queueWords(message));
        updatePageStatus();
      },
      error: (message) => setLaneStatus(lane, "error", `The server refused: ${message.error}`),
    },
    onStatus: (state, info) => socketChanged(lane, state, info),
  });
}

function receive(lane, events) {
  lane.model.apply(events, clock());
  for (const event of events) if (event.seq === lane.events.length) lane.events.push(event); // once each, in order
  lane.view.markDirty();
  if (lane.model.end !== null) {
    lane.socket?.close(); // nothing more will come for this run
    if (!lane.model.laneCount) lane.view.placeholder = `Run ${lane.model.status} before any request was made.`;
    setLaneStatus(lane, lane.model.status, lane.replay ? `${lane.model.status}, replayed from storage` : lane.model.status);
  } else if (lane.model.running) setLaneStatus(lane, "live", "live");
  refresh(lane.model.end !== null);
  loadReplayWhenAllOver();
}

/** Every run over, with all its events: the replay bar appears. */
function loadReplayWhenAllOver() {
  if (replayLoaded || !lanes.every(({ model, events }) => model.end !== null && events.length === model.lastSeq + 1)) return;
  replayLoaded = true;
  replayBar.load(new Replay(lanes.map(({ events }) => events), () => createTimeline(vocabulary)));
}

function socketChanged(lane, state, info) {
  if (lane.model.end !== null) return; // over: the socket closing is expected
  if (state === "live") lane.model.resumeClock(clock());
  else lane.model.holdClock();
  if (state === "reconnecting" && lane.replay && lane.model.lastSeq >= 0) return endStoredRun(lane);
  if (state === "closed" && info.error) setLaneStatus(lane, "error", info.error);
  else if (state === "reconnecting") setLaneStatus(lane, "reconnecting", "reconnecting…");
  else if (state === "live" && lane.model.status === "idle") setLaneStatus(lane, "connecting", lane.replay ? "replaying…" : "waiting to start…");
  refresh(true);
}

/** A stored run whose events end without run.finished (its server stopped): closed at its last event. */
function endStoredRun(lane) {
  lane.socket?.close();
  const status = lane.run.status;
  // Numbered right after the last stored event: the model and the replay both end there.
  const end = { type: "run.finished", seq: lane.model.lastSeq + 1, t: lane.model.lastT, status, error: `run ${status}`, summary: null };
  if (lane.events.length === end.seq) lane.events.push(end); // every stored event came: it replays
  lane.model.apply([end]);
  lane.view.markDirty();
  setLaneStatus(lane, status, `${status}, replayed from storage`);
  refresh(true);
  loadReplayWhenAllOver();
}

function setLaneStatus(lane, state, text) {
  lane.state = state;
  const el = lane.part("status");
  el.dataset.state = state;
  if (el.textContent !== text) el.textContent = text;
}

/** The shared axis; every view redraws when it moves. Runs each frame while any run is live. */
function frame() {
  raf = 0;
  const now = clock();
  const next = sharedEnd(
    lanes.map(({ model }) => (model.status === "idle" ? null : axisEnd(model, model.nowAt(now)))),
    IDLE_DOMAIN_S,
  );
  if (next !== axis) {
    axis = next;
    // Every view at once, in this frame: one that drew earlier in it must not keep the old axis.
    for (const lane of lanes) {
      lane.view.fixedDomain = axis;
      lane.view.markDirty();
      lane.view.frame();
    }
  }
  for (const lane of lanes) if (lane.model.running) lane.liveFrames += 1;
  const live = lanes.some(({ model }) => model.running);
  if (now - tableAt >= TABLE_EVERY_MS) refresh(true);
  else updateFigures();
  if (live && !raf) raf = requestAnimationFrame(frame); // refresh() may have asked for it already: one a frame
}

/** Figures every call; the speed-ups and the table when `full` (they cost a pass over every request). */
function refresh(full) {
  if (!raf) raf = requestAnimationFrame(frame);
  updateFigures();
  if (!full) return;
  tableAt = clock();
  updateSpeedups();
  updateTable();
  updatePageStatus();
}

function updateFigures() {
  const now = clock();
  for (const lane of lanes) {
    const { model, part } = lane;
    const summary = model.summary ?? {};
    const wall = summary.wall_s ?? (model.status === "idle" ? null : model.end ?? model.nowAt(now));
    setText(part("wall_s"), wall === null ? "–" : formatSeconds(wall));
    setText(part("ideal_s"), Number.isFinite(summary.ideal_s) ? formatSeconds(summary.ideal_s) : "–");
    setText(part("efficiency"), Number.isFinite(summary.efficiency) ? `${Math.round(summary.efficiency * 100)}% of ideal` : "–");
    if (model.laneCount) setText(part("requests"), model.laneCount.toLocaleString("en-US"));
    if (Number.isFinite(summary.wall_s)) part("wall_s").dataset.value = String(summary.wall_s);
    updateCost(lane, now);
  }
}

/** Loop blocked, CPU, memory, threads: each shown when its run has it; the loop lane in words. */
function updateCost({ model, part }, now) {
  const at = model.nowAt(now);
  const loop = loopFigures(model, at);
  const figures = costFigures(loop, model.summary?.cost);
  for (const key of ["loop_blocked", "cpu_s", "peak_memory_mb", "threads"]) {
    const slot = part(key);
    setText(slot, figures[key] ?? "–");
    const row = slot.closest("[data-optional]");
    if (row.hidden === (key in figures)) row.hidden = !row.hidden; // written only when it changes
  }
  if (loop) part("loop_blocked").dataset.value = String(loop.blocked_s);
  setText(part("loop"), loopSentence(model, at));
}

function updateSpeedups() {
  const result = speedups(
    lanes.map(({ model }, i) => ({
      name: names[i],
      wall_s: model.summary?.wall_s ?? model.end,
      status: model.status,
      over: model.end !== null,
      failed: failedOf(model.summary?.counts ?? model.counts),
      requests: model.summary?.requests ?? model.laneCount,
    })),
  );
  const headline = $("speedup");
  headline.dataset.ready = String(result.ready);
  setText(headline, result.ready ? result.headline : "Waiting for every run to finish…");
  const list = $("speedups");
  const texts = result.lines.map((line) => `${line.text} (${formatSeconds(wallOf(line.name))})`);
  if (list.dataset.texts !== JSON.stringify(texts)) {
    list.dataset.texts = JSON.stringify(texts);
    list.replaceChildren(...texts.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  }
}

function wallOf(name) {
  const lane = lanes[names.indexOf(name)];
  return lane.model.summary?.wall_s ?? lane.model.end;
}

function updateTable() {
  const models = lanes.map((lane) => lane.model);
  const rows = requestRows(models, names);
  const table = $("request-table");
  const head = ["Request", ...names.map((name, i) => `${LETTERS[i]} · ${name}: started at, took`), "Difference"];
  const headKey = JSON.stringify(head);
  if (table.tHead.dataset.key !== headKey) {
    table.tHead.dataset.key = headKey;
    const tr = document.createElement("tr");
    tr.append(...head.map((text) => Object.assign(document.createElement("th"), { scope: "col", textContent: text })));
    table.tHead.replaceChildren(tr);
  }
  const shown = rows.slice(0, ROWS_SHOWN);
  const bodyRows = shown.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.task = String(row.task);
    const th = Object.assign(document.createElement("th"), { scope: "row", textContent: `#${row.task}` });
    const cells = row.cells.map((cell) => Object.assign(document.createElement("td"), { textContent: cellWords(cell) }));
    const diff = Object.assign(document.createElement("td"), { textContent: differenceWords(row, names) });
    diff.className = row.later ? "later" : "";
    tr.append(th, ...cells, diff);
    return tr;
  });
  const key = shown.map((row, i) => bodyRows[i].textContent).join("|");
  if (table.tBodies[0].dataset.key !== key) {
    table.tBodies[0].dataset.key = key;
    table.tBodies[0].replaceChildren(...bodyRows);
  }
  const more = $("request-more");
  more.hidden = rows.length <= ROWS_SHOWN;
  setText(more, `… and ${(rows.length - ROWS_SHOWN).toLocaleString("en-US")} more requests, in the timelines above.`);
  setText($("request-note"), requestNote(rows, lanes.length) ?? (rows.length ? "" : "No request has started yet."));
}

function cellWords(cell) {
  if (cell.start === null) return cell.status ? `${cell.status}, never started` : "not yet";
  const at = `${formatMs(cell.start * 1000)} ms`;
  if (cell.took === null) return `${at}, running`;
  return `${at}, ${formatMs(cell.took * 1000)} ms${cell.status && cell.status !== "ok" ? ` (${cell.status})` : ""}`;
}

function updatePageStatus() {
  const states = lanes.map((lane) => lane.state);
  const over = lanes.every(({ model }) => model.end !== null);
  const el = $("compare-status");
  const [state, text] = over
    ? ["finished", lanes.every((lane) => lane.replay) ? "Replayed from storage." : "Every run is over."]
    : states.includes("live")
      ? ["live", "Live"]
      : states.includes("reconnecting")
        ? ["reconnecting", "Reconnecting…"]
        : ["connecting", states.includes("queued") ? "Waiting for a free worker…" : "Connecting…"];
  el.dataset.state = state;
  setText(el, text);
  for (const lane of lanes) describeLane(lane);
}

/** The canvas's text alternative: what it shows, in one sentence. */
function describeLane(lane) {
  const { model, part } = lane;
  if (model.end === null) return;
  const wall = model.summary?.wall_s ?? model.end;
  part("timeline").setAttribute(
    "aria-label",
    `Timeline of ${names[lane.i]}: ${model.laneCount} requests, run ${model.status} in ${formatSeconds(wall)}; ` +
      `at most ${model.summary?.max_in_flight ?? model.maxInFlight} in flight at once.`,
  );
}

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}
