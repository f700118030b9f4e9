/**
 * Replay a finished run: a time cursor over its stored events. Pure: no DOM, no clock
 * (testable in Node); replay-controls.js turns buttons and animation frames into calls.
 *
 *   events (seq order) ──seek(t)──> a timeline model holding the events up to t, "now" pinned at t
 *                                   (forward: only the new events; backward: a fresh model)
 *   advance(dt s)   the cursor moves dt x speed; at the end the model is the whole run
 *   next/previous   the cursor to the next or the previous moment an event happened
 */

export const SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Replay {
  /** `events`: the run's events in seq order; `createModel()`: an empty timeline model. */
  constructor(events, createModel) {
    this.events = events;
    this.createModel = createModel;
    this.times = [...new Set(events.map((e) => e.t).filter(Number.isFinite))].sort((a, b) => a - b);
    this.duration = this.times.length ? this.times[this.times.length - 1] : 0;
    this.speed = 1;
    this.model = null;
    this.applied = 0; // events[0 .. applied) are in the model
    this.cursor = 0;
    this.seek(0);
  }

  get atEnd() {
    return this.cursor >= this.duration;
  }

  /** Put the cursor at `t` (s, clamped to the run); the model shows the run as it was then. */
  seek(t) {
    const target = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), this.duration);
    if (this.model === null || target < this.cursor) {
      this.model = this.createModel();
      this.applied = 0;
    }
    let end = this.applied;
    while (end < this.events.length && !(this.events[end].t > target)) end += 1;
    if (end > this.applied) this.model.apply(this.events.slice(this.applied, end));
    this.applied = end;
    this.cursor = target;
    if (this.model.end === null) this.model.pinNow(target);
    return this.model;
  }

  /** Move the cursor on by `seconds` of wall clock at this speed; true once at the end. */
  advance(seconds) {
    this.seek(this.cursor + seconds * this.speed);
    return this.atEnd;
  }

  /** The next moment after the cursor when something happened (an event), or the end. */
  nextEventTime() {
    return this.times.find((t) => t > this.cursor + 1e-9) ?? this.duration;
  }

  /** The last moment before the cursor when something happened, or the start. */
  previousEventTime() {
    for (let i = this.times.length - 1; i >= 0; i -= 1) if (this.times[i] < this.cursor - 1e-9) return this.times[i];
    return 0;
  }

  setSpeed(speed) {
    if (SPEEDS.includes(speed)) this.speed = speed;
  }
}
