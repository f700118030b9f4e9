/**
 * Timeline model: run events in, lanes of segments out. Pure: no DOM, no clock.
 *
 *   events (seq order) ──apply()──> lanes[task].segments   what the bars are
 *                                   closed / open          what the view caches / redraws
 *                                   links                  retry connectors
 *                                   series                 requests in flight over time
 *                                   completion order, counts, end, summary, code
 *
 * One task's life, one lane:  waiting ─> flight ─> backoff ─> waiting ─> flight
 *                             (attempt 1 ...........)       (attempt 2 .....)
 * A finished flight also holds the phases its task.finished measured (phasesOf()):
 *   flight.phases = [{name: "connect" | "wait" | "read", start, end}]   connect absent: a reused connection
 * A segment opens at its event's `t` and closes when the next phase of its task
 * begins (or at the run's end). Open segments end at a "now" the caller supplies.
 *
 * The words it counts by come from the server: `vocabulary` is the boot data's
 * (playground/events.py vocabulary()), so the model keeps no list of statuses.
 */

// A task index beyond this is a corrupt event, not a lane to allocate.
const MAX_LANES = 100_000;
// A task.finished whose status the vocabulary lacks is drawn and counted as this one.
const UNKNOWN_STATUS = "error";

/** `vocabulary`: {task_statuses: [...], ...}, as the server's boot data gives it. */
export function createTimeline(vocabulary) {
  return new Timeline(vocabulary);
}

export class Timeline {
  constructor(vocabulary) {
    if (!Array.isArray(vocabulary?.task_statuses)) {
      throw new TypeError("createTimeline(vocabulary): vocabulary.task_statuses (the boot data's) is required");
    }
    this.statuses = [...vocabulary.task_statuses]; // what counts, in the server's order
    this.waitWords = { ...vocabulary.wait_words }; // what a request waits for, in words
    this.phaseNames = [...(vocabulary.phases ?? [])]; // a request's phases in flight, in order
    this.phaseWords = { ...vocabulary.phase_words }; // and in words
    this.version = 0; // bumps on every change: cheap cache key for views
    this.epoch = 0; // bumps on reset: a view drops everything it drew
    this.reset();
  }

  /** Forget the run: back to an empty timeline. */
  reset() {
    this.epoch += 1;
    this.version += 1;
    this.lastSeq = -1;
    this.spec = null;
    this.code = null; // [{title, where, tokens}]: the code that ran, from run.started
    this.status = "idle"; // idle | running | a run end status (vocabulary.run_end_statuses)
    this.error = null;
    this.summary = null;
    this.end = null; // server t of run.finished
    this.lastT = 0; // server t of the latest event
    this.receivedAt = null; // caller's clock (ms) when that event arrived; null: clock held
    this.clockBase = 0; // server t that receivedAt corresponds to
    this.nowFloor = 0; // "now" never runs backwards
    this.lanes = [];
    this.open = new Set(); // segments with end === null
    this.closed = []; // segments in the order they closed (append-only)
    this.links = []; // {task, from, to}: consecutive attempts of one task
    this.series = { t: [], n: [] }; // in-flight count after each change, at time t
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.counts = Object.fromEntries(this.statuses.map((status) => [status, 0]));
    this.segmentCount = 0;
    this.finishLog = []; // {task, superseded} per task.finished, in order
    this.loopBlocked = []; // {start, end}: stretches the run's event loop ran nothing (loop.blocked)
    this.ranked = null; // cached {version, order, rank}
  }

  get laneCount() {
    return this.lanes.length;
  }

  get running() {
    return this.status === "running";
  }

  /** Whether "now" moves with the caller's clock: live and connected (not a replay's pinned cursor). */
  get ticking() {
    return this.running && this.receivedAt !== null;
  }

  /**
   * Apply events in seq order. Duplicates (seq <= lastSeq) are skipped; at a gap
   * (seq > lastSeq + 1) applying stops, so lastSeq stays the last contiguous seq
   * to resume after. `atMs` is the caller's clock when the batch arrived.
   */
  apply(events, atMs = null) {
    let applied = 0;
    let duplicates = 0;
    let gap = false;
    for (const event of events) {
      const seq = event.seq;
      if (Number.isInteger(seq)) {
        if (seq <= this.lastSeq) {
          duplicates += 1;
          continue;
        }
        if (seq > this.lastSeq + 1) {
          gap = true;
          break;
        }
        this.lastSeq = seq;
      }
      this.applyOne(event);
      applied += 1;
    }
    if (applied) {
      this.version += 1;
      if (atMs !== null) {
        this.receivedAt = atMs;
        this.clockBase = this.lastT;
      }
    }
    return { applied, duplicates, gap };
  }

  applyOne(event) {
    const t = Number.isFinite(event.t) ? Math.max(event.t, 0) : this.lastT;
    this.lastT = Math.max(this.lastT, t);
    const handler = HANDLERS[event.type];
    if (handler) handler(this, event, t);
  }

  /** Where open segments end: run end once over, else last t + time since it arrived. */
  nowAt(atMs = null) {
    if (this.end !== null) return this.end;
    let now = this.lastT;
    if (this.running && atMs !== null && this.receivedAt !== null) {
      now = Math.max(now, this.clockBase + Math.max(0, atMs - this.receivedAt) / 1000);
    }
    this.nowFloor = Math.max(this.nowFloor, now);
    return this.nowFloor;
  }

  /** A replay's cursor: "now" is `t` (open bars end there) and stays there, whatever the clock says. */
  pinNow(t) {
    this.receivedAt = null;
    this.nowFloor = Math.max(this.lastT, t);
  }

  /** Connection lost: we no longer know that the run goes on, so open bars stop growing. */
  holdClock() {
    this.receivedAt = null;
  }

  /** Connection back at `atMs`: open bars grow again from where they stopped. */
  resumeClock(atMs) {
    this.receivedAt = atMs;
    this.clockBase = this.nowFloor;
  }

  /** The segment of `lane` under time `t` (± tol seconds), nearest first, or null. */
  hitTest(t, lane, now = this.nowAt(), tol = 0) {
    const segments = this.lanes[lane]?.segments;
    if (!segments) return null;
    let best = null;
    let bestDistance = Infinity;
    for (const segment of segments) {
      const end = segment.end ?? now;
      const distance = t < segment.start ? segment.start - t : t > end ? t - end : 0;
      // On a tie prefer the later segment: a zero-length wait sits under its flight's start.
      if (distance <= tol && distance <= bestDistance) {
        best = segment;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Tasks in the order they finished for good (a retried attempt does not count). */
  completionOrder() {
    return this.ranking().order;
  }

  /** 1-based rank in which `task` finished, or null while it has not. */
  completionRank(task) {
    return this.ranking().rank.get(task) ?? null;
  }

  ranking() {
    if (this.ranked?.version !== this.version) {
      const order = this.finishLog.filter((entry) => !entry.superseded).map((entry) => entry.task);
      const rank = new Map(order.map((task, index) => [task, index + 1]));
      this.ranked = { version: this.version, order, rank };
    }
    return this.ranked;
  }

  // --- helpers used by the event handlers ---------------------------------

  lane(task) {
    if (!Number.isInteger(task) || task < 0 || task >= MAX_LANES) return null;
    while (this.lanes.length <= task) {
      this.lanes.push({ task: this.lanes.length, segments: [], status: null, attempt: 0, finish: null });
    }
    return this.lanes[task];
  }

  openSegment(lane, event, phase, t) {
    const attempt = Number.isInteger(event.attempt) ? event.attempt : Math.max(lane.attempt, 1);
    this.closeOpen(lane, t);
    let from = null;
    if (attempt > lane.attempt) {
      // A later attempt begins: link it to the last one, whose outcome no longer counts.
      if (lane.attempt > 0) from = lastOfAttempt(lane, lane.attempt);
      lane.attempt = attempt;
      this.uncount(lane);
    }
    const segment = {
      task: lane.task,
      attempt,
      phase,
      start: t,
      end: null,
      status: null,
      reason: event.reason ?? null,
      http_status: null,
      error: null,
    };
    if (phase === "backoff") segment.delay_s = event.delay_s ?? null;
    lane.segments.push(segment);
    this.open.add(segment);
    this.segmentCount += 1;
    if (phase === "flight") this.step(t, +1);
    if (from) this.links.push({ task: lane.task, from, to: segment });
    return segment;
  }

  closeOpen(lane, t) {
    const last = lane.segments[lane.segments.length - 1];
    if (last && last.end === null) this.close(last, Math.max(t, last.start));
  }

  close(segment, t) {
    segment.end = t;
    this.open.delete(segment);
    this.closed.push(segment);
    if (segment.phase === "flight") this.step(t, -1);
  }

  step(t, delta) {
    this.inFlight += delta;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.series.t.push(t);
    this.series.n.push(this.inFlight);
  }

  uncount(lane) {
    if (lane.status !== null) this.counts[lane.status] -= 1;
    lane.status = null;
    if (lane.finish) lane.finish.superseded = true;
    lane.finish = null;
  }
}

function lastOfAttempt(lane, attempt) {
  for (let i = lane.segments.length - 1; i >= 0; i -= 1) {
    const segment = lane.segments[i];
    if (segment.attempt === attempt && segment.phase !== "backoff") return segment;
  }
  return null;
}

/**
 * The phases of a task.finished the model keeps: known names (`names`: the vocabulary's), finite
 * times, in time order; anything else dropped, not trusted. [] when it has none.
 */
export function phasesOf(phases, names) {
  if (!Array.isArray(phases)) return [];
  return phases
    .filter((p) => names.includes(p?.name) && Number.isFinite(p.start) && Number.isFinite(p.end) && p.end >= p.start)
    .map(({ name, start, end }) => ({ name, start, end }))
    .sort((a, b) => a.start - b.start);
}

/** "connecting (DNS, TCP, TLS) 12 ms"-style parts of a flight's phases: [{name, words, ms}]. */
export function phaseDurations(segment, phaseWords = {}) {
  return (segment.phases ?? []).map(({ name, start, end }) => ({ name, words: phaseWords[name] ?? name, ms: (end - start) * 1000 }));
}

function onRunStarted(model, event) {
  model.spec = event.spec ?? null;
  model.code = Array.isArray(event.code) ? event.code : null;
  model.status = "running";
  const latencies = model.spec?.latencies_ms;
  const n = Array.isArray(latencies) && latencies.length ? latencies.length : model.spec?.requests;
  if (Number.isInteger(n) && n > 0) model.lane(n - 1);
}

function onTaskPhase(phase) {
  return (model, event, t) => {
    const lane = model.lane(event.task);
    if (lane) model.openSegment(lane, event, phase, t);
  };
}

function onTaskFinished(model, event, t) {
  const lane = model.lane(event.task);
  if (!lane) return;
  const status = model.statuses.includes(event.status) ? event.status : UNKNOWN_STATUS;
  // The open segment of this attempt takes the outcome: usually its flight, or its
  // wait when it was cancelled before it started. With none, a zero-length flight does.
  let segment = lane.segments[lane.segments.length - 1];
  if (!segment || segment.end !== null || (Number.isInteger(event.attempt) && segment.attempt !== event.attempt)) {
    segment = model.openSegment(lane, event, "flight", t);
  }
  segment.status = status;
  segment.http_status = event.http_status ?? null;
  segment.error = event.error ?? null;
  if (segment.phase === "flight") segment.phases = phasesOf(event.phases, model.phaseNames);
  model.close(segment, Math.max(t, segment.start));
  model.uncount(lane);
  lane.status = status;
  model.counts[status] += 1;
  lane.finish = { task: lane.task, superseded: false };
  model.finishLog.push(lane.finish);
}

function onTaskBackoff(model, event, t) {
  const lane = model.lane(event.task);
  if (!lane) return;
  model.uncount(lane); // this outcome is about to be retried
  model.openSegment(lane, event, "backoff", t);
}

function onRunFinished(model, event, t) {
  const end = Math.max(t, model.lastT);
  for (const segment of [...model.open]) {
    segment.cut = true; // still open when the run ended: it never got an outcome
    model.close(segment, Math.max(end, segment.start));
  }
  model.end = end;
  model.status = event.status ?? "finished";
  model.error = event.error ?? null;
  model.summary = event.summary ?? null;
}

function onLoopBlocked(model, event) {
  const start = Number.isFinite(event.start) ? Math.max(event.start, 0) : null;
  const end = Number.isFinite(event.end) ? event.end : null;
  if (start !== null && end !== null && end >= start) model.loopBlocked.push({ start, end });
}

const HANDLERS = {
  "run.started": onRunStarted,
  "task.waiting": onTaskPhase("waiting"),
  "task.started": onTaskPhase("flight"),
  "task.finished": onTaskFinished,
  "task.backoff": onTaskBackoff,
  "loop.blocked": onLoopBlocked,
  "run.finished": onRunFinished,
};
/** The event types the model reads (Node checks them against the server's vocabulary.event_types). */
export const HANDLED_EVENTS = Object.freeze(Object.keys(HANDLERS));
