/**
 * The class's stage on the teacher's page, every learner's page and the projector: the run (or two
 * runs on one time axis) the teacher put on stage, drawn live as the playground draws a run.
 *
 *   mountStage(parts = { role: "teacher" | "learner" | "projector" }) -> { "class.hello", "class.stage" } handlers
 *     (a learner's also class.removed, class.ended, error: the stage stops following)
 *     the teacher's: parts.stagePreset(name) sets the Run-for-everyone form to a preset (a round's)
 *     every role: a stage run's end calls parts.stageFinished(runId), if set (class-round.js)
 *   class.hello {stage} / class.stage <stage> ──newer rev?──> same runs: the words only
 *                                              other runs: lanes closed, new ones built, each with
 *                                              createTimeline + createTimelineView + connectRun(run.ws)
 *   each run's socket (/ws/runs/<id>/): stored events, then live, once each (socket.js) ──> its model
 *   each animation frame while a run is live: one axis for both runs (as compare.js)
 *   learner: class.removed / class.ended / error ──> stop(): every lane's socket closed, the stage hidden
 *   teacher: Run for everyone ──POST /api/classes/<code>/runs──> 201 (class.stage follows)
 *            Clear stage      ──POST /api/classes/<code>/stage {"runs": []}──> 200
 *
 * The projector never shows a name (stage-model.js byWords with names off).
 */

import { sharedEnd } from "./compare-model.js";
import { csrfToken } from "./form.js";
import { queueWords } from "./queue.js";
import { axisEnd, IDLE_DOMAIN_S } from "./scale.js";
import { connectRun } from "./socket.js";
import { byWords, headline, loadWords, sameRuns, stageNewer, wallWords } from "./stage-model.js";
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
  const handlers = {
    "class.hello": (message) => stage.show(message.stage),
    "class.stage": (message) => stage.show(message),
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
    this.clock = () => performance.now();
    this.frame = this.frame.bind(this);
  }

  /** A stage from the class socket; older ones than the one shown are dropped, and all after stop(). */
  show(stage) {
    if (this.stopped || !stageNewer(this.shown, stage)) return;
    const rebuild = !sameRuns(this.shown, stage);
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

  /** The page left the class: every lane's socket closed, the stage emptied and hidden. */
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
    const lane = { run, i, el, who, status, model, view, socket: null, events: 0 };
    const setStatus = (state, text) => {
      status.dataset.state = state;
      setText(status, text);
    };
    lane.socket = connectRun(run.ws, {
      handlers: {
        events: (events) => {
          model.apply(events, this.clock());
          lane.events += events.length;
          view.markDirty();
          setStatus(model.end === null ? "live" : "finished", wallWords(model));
          if (model.end !== null && el.dataset.state !== "finished") {
            lane.socket.close(); // nothing more will come for this run
            el.dataset.state = "finished";
            el.dataset.wall = String(model.summary?.wall_s ?? model.end);
            this.onFinished(run.id);
          }
          this.refresh();
        },
        queue: (message) => {
          if (model.status === "idle") setStatus("queued", queueWords(message));
        },
        error: (message) => setStatus("error", `The server refused: ${message.error}`),
      },
      onStatus: (state) => {
        if (model.end !== null) return;
        if (state === "live") model.resumeClock(this.clock());
        else model.holdClock();
        if (state === "reconnecting") setStatus("reconnecting", "reconnecting…");
      },
    });
    lane.close = () => {
      lane.socket.close();
      view.destroy();
    };
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
    for (const lane of this.lanes) if (lane.model.running) setText(lane.status, wallWords(lane.model));
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
