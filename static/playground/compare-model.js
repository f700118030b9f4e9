/**
 * What a comparison says about its runs. Pure: no DOM, no clock (Node tests it).
 *
 *   specs ──laneNames()──> "sequential", "gather"; a strategy twice: "gather (A)", "gather (B)"
 *   runs {name, wall_s, status, failed} ──speedups()──> against the slowest: "gather: 2.0× faster than
 *                                        sequential" (", but 20 of 30 requests failed")
 *   models ──requestRows()──> request i in each run: when it started, how long it took;
 *                             where one run started it later than another, by how much
 *                             (differenceWords(): that in words)
 *   rows ──requestNote()──> one sentence: same latencies, different starts (or not)
 *   axis ends ──sharedEnd()──> the one time axis: the largest of them
 *   loop figures + summary.cost ──costFigures()──> a lane's "Loop blocked", CPU, memory, threads
 *                                                (a run alone in its process; others: none)
 *
 * A model here is a timeline model (timeline-model.js): lanes of segments, end, summary.
 */

import { percent } from "./loop-words.js";
import { formatRiseMb, formatSeconds } from "./scale.js";

export const LETTERS = ["A", "B", "C", "D"]; // a comparison holds at most four runs (comparisons.MAX_RUNS)
const SAME_RATIO = 1.05; // within 5%: "about as fast as", not "1.0× faster"
const LATER_S = 0.02; // below this, a later start is the loop's scheduling noise, not the strategy
// Durations this close (a share of the mean, or SAME_FLOOR_S) are "the same": what the
// client and a shared, busy machine add to each request, not what the server did.
const SAME_LATENCY = 0.25;
const SAME_FLOOR_S = 0.03;

/** Each run's name in the comparison's words: its strategy, with a letter when two share one. */
export function laneNames(specs) {
  const strategies = specs.map((spec, i) => spec?.strategy ?? `run ${LETTERS[i]}`);
  return strategies.map((name, i) => (strategies.filter((s) => s === name).length > 1 ? `${name} (${LETTERS[i]})` : name));
}

/** "2.0×", "12×": one decimal below ten. */
export function times(ratio) {
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}

/** How many of a run's requests did not end ok: {ok: 10, error: 20, ...} -> 20. */
export function failedOf(counts) {
  return Object.entries(counts ?? {}).reduce((sum, [status, n]) => sum + (status === "ok" ? 0 : n), 0);
}

/**
 * runs: [{name, wall_s, status, over, failed, requests}]. Until every run is over: {ready:
 * false}. Then the slowest (the first of equals) is the baseline and each run gets one line:
 * {name, ratio (baseline / its wall), baseline: bool, text}; a faster run that failed
 * requests says so, since speed bought with errors is not the same speed.
 */
export function speedups(runs) {
  if (runs.length < 2 || !runs.every((run) => run.over)) return { ready: false, lines: [], headline: null };
  const tag = (run) => (run.status && run.status !== "finished" ? `${run.name} (${run.status})` : run.name);
  // A run that ended before it began (cancelled while queued) has no time to compare.
  const timed = runs.filter((run) => run.wall_s > 0);
  const untimed = (run) => ({ name: run.name, ratio: null, baseline: false, text: `${tag(run)}: ended before any request was made` });
  if (timed.length < 2) {
    const lines = runs.map((run) => (timed.includes(run) ? { name: run.name, ratio: 1, baseline: true, text: `${tag(run)}: the only run with a time` } : untimed(run)));
    return { ready: true, lines, headline: "Fewer than two of these runs made requests: nothing to compare", baseline: null };
  }
  const base = timed.reduce((slowest, run) => (run.wall_s > slowest.wall_s ? run : slowest), timed[0]);
  const failures = (run, but) =>
    run.failed > 0 ? `${but ? ", but" : ";"} ${run.failed.toLocaleString("en-US")} of ${run.requests.toLocaleString("en-US")} requests failed` : "";
  const lines = runs.map((run) => {
    if (!timed.includes(run)) return untimed(run);
    if (run === base) return { name: run.name, ratio: 1, baseline: true, text: `${tag(run)}: the slowest, the baseline${failures(run, false)}` };
    const ratio = base.wall_s / run.wall_s;
    const how = ratio < SAME_RATIO ? "about as fast as" : `${times(ratio)} faster than`;
    return { name: run.name, ratio, baseline: false, text: `${tag(run)}: ${how} ${tag(base)}${failures(run, true)}` };
  });
  const fastest = lines.filter((line) => !line.baseline && line.ratio !== null).reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return { ready: true, lines, headline: fastest.text, baseline: base.name };
}

/** When request `lane` started (its first flight), how long it took from then to its outcome, its status. */
function requestCell(lane) {
  const flight = lane?.segments.find((segment) => segment.phase === "flight");
  if (!flight) return { start: null, took: null, status: lane?.status ?? null };
  const last = lane.segments[lane.segments.length - 1];
  const took = lane.status !== null && last.end !== null ? last.end - flight.start : null;
  return { start: flight.start, took, status: lane.status };
}

/**
 * One row per request index, up to the most requests any run has:
 * {task, cells: [{start, took, status} per run], later: {run, by, than} | null}.
 * `later`: the run that started it last, how much later (s) than the one that started it first.
 */
export function requestRows(models, names) {
  const count = Math.max(0, ...models.map((model) => model.laneCount));
  const rows = [];
  for (let task = 0; task < count; task += 1) {
    const cells = models.map((model) => requestCell(model.lanes[task]));
    const started = cells.map((cell, i) => ({ i, start: cell.start })).filter((c) => c.start !== null);
    let later = null;
    if (started.length >= 2) {
      const first = started.reduce((a, b) => (b.start < a.start ? b : a));
      const last = started.reduce((a, b) => (b.start > a.start ? b : a));
      if (last.start - first.start >= LATER_S) later = { run: names[last.i], by: last.start - first.start, than: names[first.i] };
    }
    rows.push({ task, cells, later });
  }
  return rows;
}

/**
 * A row's difference in words: "started 800 ms later in sequential" (+ "than in gather" for
 * 3-4 runs); "not started in batches" while a run has not reached it; else "started together".
 */
export function differenceWords(row, names) {
  if (row.later) return laterWords(row.later, names.length);
  const missing = names.filter((name, i) => row.cells[i].start === null);
  if (missing.length === names.length) return "not started";
  return missing.length ? `not started in ${missing.join(", ")}` : "started together";
}

/** "started 800 ms later in sequential" (+ "than in gather" for 3-4 runs). */
export function laterWords(later, runs) {
  const by = `${Math.round(later.by * 1000).toLocaleString("en-US")} ms`;
  return runs > 2 ? `started ${by} later in ${later.run} than in ${later.than}` : `started ${by} later in ${later.run}`;
}

/**
 * One sentence on the rows whose request finished in every run: did each request take about as
 * long in every run (the same seed: the same latency), and which one started latest?
 */
export function requestNote(rows, runs) {
  const done = rows.filter((row) => row.cells.every((cell) => cell.took !== null));
  if (!done.length) return null;
  const spread = done.map((row) => Math.max(...row.cells.map((c) => c.took)) - Math.min(...row.cells.map((c) => c.took)));
  const meanSpread = spread.reduce((a, b) => a + b, 0) / done.length;
  const meanTook = done.reduce((a, row) => a + row.cells.reduce((s, c) => s + c.took, 0) / row.cells.length, 0) / done.length;
  const ms = (s) => `${Math.round(s * 1000).toLocaleString("en-US")} ms`;
  const same = meanSpread <= Math.max(SAME_FLOOR_S, SAME_LATENCY * meanTook);
  const parts = [
    same
      ? `Each request took about as long in every run (${ms(meanSpread)} apart on average): what differs is when it started`
      : `The same request took different times in different runs (${ms(meanSpread)} apart on average): ` +
        "look at each run's errors, retries and waits",
  ];
  const latest = rows.filter((row) => row.later).reduce((a, b) => (a && a.later.by >= b.later.by ? a : b), null);
  if (latest) parts.push(`request #${latest.task} ${laterWords(latest.later, runs)}, the largest gap`);
  return `${parts.join("; ")}.`;
}

/** The shared axis: the largest of the runs' own axis ends (s); `fallback` when none has one. */
export function sharedEnd(ends, fallback) {
  const finite = ends.filter((end) => Number.isFinite(end) && end > 0);
  return finite.length ? Math.max(...finite) : fallback;
}

/**
 * A lane's figures for what its run cost, in words, keyed like its [data-lane] slots:
 * `loop` (loop-words.js loopFigures) -> loop_blocked; `cost` (summary.cost) -> cpu_s,
 * peak_memory_mb, threads. A figure the run has not got is left out.
 */
export function costFigures(loop, cost) {
  const figures = {};
  if (loop) figures.loop_blocked = `${formatSeconds(loop.blocked_s)} (${percent(loop.share)})`;
  if (Number.isFinite(cost?.cpu_s)) figures.cpu_s = formatSeconds(cost.cpu_s);
  if (Number.isFinite(cost?.peak_memory_mb)) figures.peak_memory_mb = formatRiseMb(cost.peak_memory_mb);
  if (Number.isInteger(cost?.threads)) figures.threads = cost.threads.toLocaleString("en-US");
  return figures;
}
