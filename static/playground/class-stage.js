/**
 * The class's stage on the teacher's page, every learner's page and the projector: the run (or two
 * runs on one time axis) the teacher put on stage, drawn live as the playground draws a run.
 *
 *   mountStage(parts = { role: "teacher" | "learner" | "projector" })
 *     -> handlers for the class socket: class.hello, class.stage, stage.events, stage.queue, stage.error
 *     (a learner's also class.removed, class.ended, error: the stage stops following)
 *     parts.stageStatus(state): the class page tells the class socket's state (connectRun's onStatus)
 *     the teacher's: parts.stagePreset(name) sets the Run-for-everyone form to a preset (a round's)
 *     every role: a stage run's end calls parts.stageFinished(runId), if set (class-round.js)
 *   class.stage <stage> ──newer rev?──> same runs: the words only
 *                                       other runs: lanes closed, new ones built (createTimeline + createTimelineView)
 *   class.hello {stage} (the class socket (re)connected) ──> every lane rebuilt empty: the server replays from seq 0
 *   the class socket (/ws/classes/<code>/), no socket per run:
 *     stage.events / stage.queue / stage.error {run} ──stage-feed.js: to the lane of that run id, repeats dropped──> its model
 *   the class socket down: every live lane's clock held (open bars stop growing); back live: they grow again
 *   each animation frame while a run is live: one axis for both runs (as compare.js)
 *   learner: class.removed / class.ended / error ──> stop(): every lane closed, the stage hidden
 *   teacher: Run for everyone ──POST /api/classes/<code>/runs──> 201 (class.stage follows)
 *            Clear stage      ──POST /api/classes/<code>/stage {"runs": []}──> 200
 *
 * The projector never shows a name (stage-model.js byWords with names off).
 */

import { sharedEnd } from "./compare-model.js";
import { csrfToken } from "./form.js";
import { axisEnd, IDLE_DOMAIN_S } from "./scale.js";
import { feedLane, laneOf, laneStatus } from "./stage-feed.js";
import { byWords, headline, loadWords, stagePlan } from "./stage-model.js";
import { createTimeline } from "./timeline-model.js";
import { createTimelineView } from "./timeline-view.js";

const PLOT_MAX_CSS = { teacher: 260, learner: 200, projector: 520 }; // the projector's lanes large
const TEXT_SCALE = { teacher: 1, learner: 1, projector: 1.5 };

const $ = (id) => document.getElementById(id);

export function mountStage(parts) {
  const { role } = parts;
  const root = $("stage");
  if (!root) return {};
  const boot = JSON.parse($("boot")?.textContent ?? "{}");
  // A stage run's end, told to the other parts (the round's Reveal): parts.stageFinished(runId).
  const onFinished = (runId) => parts.stageFinished?.(runId);
  const stage = new StageView({ root, role, vocabulary: boot.vocabulary, onFinished });
  if (role === "teacher") parts.stagePreset = mountRunForm(boot, stage); // a round's preset fills the form
  window.playgroundStage = stage; // read-only hook for browser tests and the curious
  parts.stageStatus = (state) => stage.socketStatus(state);
  const feed = (message) => stage.feed(message);
  const handlers = {
    // A hello follows every (re)connect: the server replays each stage run from seq 0, into empty lanes.
    "class.hello": (message) => stage.show(message.stage, { hello: true }),
    "class.stage": (message) => stage.show(message),
    "stage.events": feed,
    "stage.queue": feed,
    "stage.error": feed,
  };
  if (role !== "learner") return handlers;
  // A learner out of the class (removed, ended, refused: their page closes the class socket for
  // good): the stage's lanes stop following and go away.
  const stop = () => stage.stop();
  return { ...handlers, "class.removed": stop, "class.ended": stop, error: stop };
}

class StageView {
  constructor({ root, role, vocabulary, onFinished = () => {} }) {
    Object.assign(this, { root, role, vocabulary, onFinished });
    this.shown = null;
    this.stopped = false;
    this.lanes = [];
    this.axis = IDLE_DOMAIN_S;
    this.raf = 0;
    this.socket = "connecting"; // the class socket's state (socket.js), as the page tells it
    this.clock = () => performance.now();
    this.frame = this.frame.bind(this);
  }

  /** A stage from the class socket; older ones than the one shown are dropped, and all after stop().
   * `hello` (a class.hello): the same rev is taken too, and every lane rebuilt empty (stagePlan). */
  show(stage, { hello = false } = {}) {
    const plan = this.stopped ? null : stagePlan(this.shown, stage, { hello });
    if (!plan) return;
    const { rebuild } = plan;
    this.shown = stage;
    const options = { names: this.role !== "projector" };
    this.root.hidden = this.role === "learner" && stage.runs.length === 0;
    this.root.dataset.runs = stage.runs.map((run) => run.id).join(",");
    setText($("stage-headline"), headline(stage, options));
    const load = loadWords(stage.load);
    setText($("stage-load"), load);
    $("stage-load").hidden = !load;
    if (rebuild) {
      for (const lane of this.lanes) lane.close();
      this.lanes = stage.runs.map((run, i) => this.lane(run, i));
      $("stage-lanes").replaceChildren(...this.lanes.map((lane) => lane.el));
      this.axis = IDLE_DOMAIN_S;
      this.refresh();
    }
    this.lanes.forEach((lane, i) => setText(lane.who, `${stage.runs.length > 1 ? `${"AB"[i]} · ` : ""}${stage.runs[i].strategy}, run by ${byWords(stage.runs[i], options)}`));
  }

  /** A stage.* message: to the lane of its run (none: dropped), then that lane redrawn and its status said. */
  feed(message) {
    const lane = laneOf(this.lanes, message);
    if (!lane) return;
    if (feedLane(lane, message, this.clock())) {
      lane.view.markDirty();
      this.refresh();
    }
    lane.update();
  }

  /** The class socket's state: while it is down no lane knows its run goes on, so their clocks hold. */
  socketStatus(state) {
    this.socket = state;
    for (const lane of this.lanes) {
      if (lane.model.end !== null) continue;
      if (state === "live") lane.model.resumeClock(this.clock());
      else lane.model.holdClock();
      lane.update();
    }
    this.refresh();
  }

  /** The page left the class: every lane closed, the stage emptied and hidden. */
  stop() {
    this.stopped = true;
    for (const lane of this.lanes) lane.close();
    this.lanes = [];
    $("stage-lanes").replaceChildren();
    this.root.dataset.runs = "";
    this.root.hidden = true;
  }

  lane(run, i) {
    const el = document.createElement("section");
    el.className = "stage-lane";
    el.dataset.run = run.id;
    const titleId = `stage-lane-${run.id}`;
    el.setAttribute("aria-labelledby", titleId);
    const head = document.createElement("div");
    head.className = "stage-lane-head";
    const who = Object.assign(document.createElement("h3"), { id: titleId, className: "stage-who" });
    const status = Object.assign(document.createElement("p"), { className: "stage-status", textContent: "connecting…" });
    status.setAttribute("role", "status");
    head.append(who, status);
    const wrap = Object.assign(document.createElement("div"), { className: "canvas-wrap" });
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.tabIndex = 0;
    canvas.setAttribute("aria-label", `Timeline of the run on stage (${run.strategy}): one bar per request, time running left to right`);
    const tooltip = Object.assign(document.createElement("div"), { className: "tooltip", hidden: true });
    tooltip.setAttribute("role", "tooltip");
    wrap.append(canvas, tooltip);
    const stripWrap = Object.assign(document.createElement("div"), { className: "canvas-wrap strip-wrap" });
    const strip = document.createElement("canvas");
    strip.setAttribute("role", "img");
    strip.setAttribute("aria-label", "Requests in flight over time, on the same time axis");
    stripWrap.append(strip);
    el.append(head, wrap, stripWrap);

    const model = createTimeline(this.vocabulary);
    const view = createTimelineView({
      canvas,
      strip,
      tooltip,
      model,
      clock: this.clock,
      plotMaxCss: PLOT_MAX_CSS[this.role],
      textScale: TEXT_SCALE[this.role],
    });
    view.fixedDomain = this.axis;
    view.placeholder = "Waiting for the run to start…";
    const lane = { run, i, el, who, status, model, view, events: 0, queue: null, error: null };
    // The status line and, once the run is over, the lane's data-state and data-wall (and the round told).
    lane.update = () => {
      const { state, text } = laneStatus(lane, this.socket);
      status.dataset.state = state;
      setText(status, text);
      if (model.end !== null && el.dataset.state !== "finished") {
        el.dataset.state = "finished";
        el.dataset.wall = String(model.summary?.wall_s ?? model.end);
        this.onFinished(run.id);
      }
    };
    lane.update(); // "connecting…" until its first events
    lane.close = () => view.destroy();
    return lane;
  }

  refresh() {
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  }

  /** The shared axis (as compare.js): every view redraws when it moves. */
  frame() {
    this.raf = 0;
    const now = this.clock();
    const ends = this.lanes.map(({ model }) => (model.status === "idle" ? null : axisEnd(model, model.nowAt(now))));
    const next = sharedEnd(ends, IDLE_DOMAIN_S);
    if (next !== this.axis) {
      this.axis = next;
      for (const lane of this.lanes) {
        lane.view.fixedDomain = next;
        lane.view.markDirty();
        lane.view.frame();
      }
    }
    for (const lane of this.lanes) if (lane.model.running) lane.update();
    if (this.lanes.some(({ model }) => model.running)) this.refresh();
  }

  /** For tests: each lane's run, status, bars and events. */
  get state() {
    return this.lanes.map(({ run, model, events }) => ({ id: run.id, status: model.status, bars: model.laneCount, events, lastSeq: model.lastSeq }));
  }
}

/** The teacher's "Run for everyone" form: a preset fills the JSON spec; Run posts it; Clear empties the stage.
 * Returns choose(presetName): the form set to that preset (a round opened on it: class-round.js). */
function mountRunForm(boot, stage) {
  const form = $("stage-form");
  const api = `/api/classes/${boot.code}`;
  const presets = new Map((boot.presets ?? []).map((preset) => [preset.name, preset]));
  const showError = (text) => {
    $("stage-error").textContent = text;
    $("stage-error").hidden = !text;
  };
  const choose = (name) => {
    const preset = presets.get(name);
    if (!preset) return false;
    $("stage-preset").value = name;
    $("stage-spec").value = JSON.stringify(preset.spec);
    return true;
  };
  $("stage-preset").addEventListener("change", (event) => choose(event.target.value));
  const post = async (url, body, button) => {
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken(form) },
        body,
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const errors = Object.entries(data.errors ?? {}).map(([field, texts]) => `${field}: ${texts.join(" ")}`);
        throw new Error(data.error ?? (errors.join("; ") || `The server answered ${response.status}.`));
      }
      showError("");
      stage.show(data.stage ?? data); // the socket's class.stage says the same; whichever comes first
    } catch (error) {
      showError(error.message);
    } finally {
      button.disabled = false;
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    post(`${api}/runs`, $("stage-spec").value, $("stage-run"));
  });
  $("stage-clear").addEventListener("click", () => post(`${api}/stage`, JSON.stringify({ runs: [] }), $("stage-clear")));
  return choose;
}

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}
