/**
 * Replay finished runs: one time cursor over their stored events. Pure: no DOM, no clock
 * (testable in Node); replay-controls.js turns buttons and animation frames into calls.
 * One run (a run's page) or several on one axis (a comparison, each from its own zero).
 *
 *   each run's events (seq order) ──seek(t)──> its timeline model holding the events up to t,
 *                                              "now" pinned at t (forward: only the new events;
 *                                              backward: a fresh model)
 *   advance(dt s)   the cursor moves dt x speed; at the end each model is its whole run
 *   next/previous   the cursor to the next or the previous moment an event happened, in any run
 */

export const SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Replay {
  /** `runs`: each run's events in seq order; `createModel()`: an empty timeline model. */
  constructor(runs, createModel) {
    this.runs = runs.map((events) => ({ events, applied: 0, model: null }));
    this.createModel = createModel;
    const times = runs.flatMap((events) => events.map((e) => e.t).filter(Number.isFinite));
    this.times = [...new Set(times)].sort((a, b) => a - b);
    this.duration = this.times.length ? this.times[this.times.length - 1] : 0;
    this.speed = 1;
    this.cursor = 0;
    this.seek(0);
  }

  /** The first run's model as of the cursor (a run's page has one). */
  get model() {
    return this.runs[0].model;
  }

  /** Every run's model as of the cursor, in the order given. */
  get models() {
    return this.runs.map((run) => run.model);
  }

  get atEnd() {
    return this.cursor >= this.duration;
  }

  /** Put the cursor at `t` (s, clamped to the runs); each model shows its run as it was then. */
  seek(t) {
    const target = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), this.duration);
    for (const run of this.runs) {
      if (run.model === null || target < this.cursor) {
        run.model = this.createModel();
        run.applied = 0;
      }
      let end = run.applied;
      while (end < run.events.length && !(run.events[end].t > target)) end += 1;
      if (end > run.applied) run.model.apply(run.events.slice(run.applied, end));
      run.applied = end;
      if (run.model.end === null) run.model.pinNow(target);
    }
    this.cursor = target;
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
