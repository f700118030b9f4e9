/**
 * Pure: a round of guesses in numbers and words, testable in Node (round-view.js draws it).
 *
 *   parseGuess("1.5 s") -> {ms: 1500}    parseGuess("soon") -> {error: "..."}
 *   histogram(guesses, {wall_ms, ideal_ms, mine}) -> {scale: "linear"|"log", lo, hi, ticks, bins: [{lo, hi, count, closest, mine, more}], ...}
 *   axisFraction(model, ms) -> 0..1 along the histogram's axis
 *   closestGuesses(guesses, wall_ms) -> the guesses nearest the wall time (ties: all)
 *   roundNewer(shown, next) -> whether a round message is not older than the one shown (number, then state)
 *   duration(1500) -> "1.5 s"; offWords(800, 512) -> "288 ms too long (1.6 × the time)"
 *   specWords(spec) -> "gather · 3 requests · 100 ms each"; stateWords(round, role) -> a sentence
 *   countWords(round) -> "3 guesses so far." (apart from the state's live region)
 */

import { trim, wallTime } from "./time-words.js";

/** 850 -> "850 ms", 1500 -> "1.5 s", 61000 -> "1 min 1 s" (time-words.js: the class pages' one way). */
export const duration = wallTime;

export const MIN_GUESS_MS = 1;
export const MAX_GUESS_MS = 600_000; // the server's range (classes/rounds.py)
const NICE = [1, 2, 2.5, 5]; // bin widths: 1, 2, 2.5, 5 x 10^k ms
export const TARGET_BINS = 12; // enough to see a spread, few enough for a phone's width
// Guesses past this many times the class's 90th percentile share one last bin ("more"), so that
// one wild guess does not squeeze everyone else's into a single bar; guesses ten times the
// measured time (the classic misconception) are not outliers, and stay on the axis.
export const OVERFLOW_FACTOR = 4;
// A log axis once the largest time shown is more than this many times the smallest: on a linear
// one, 200 ms and 3 s leave the measured time's bar a sliver at the left.
export const LOG_RATIO = 10;
const LOG_MAX_BINS = 2 * TARGET_BINS; // a log axis over 5 decades still fits a phone: about 24 bars

/** A typed guess: "800", "800 ms", "1.5 s", "1,5s", "2 min" -> {ms} (whole ms), or {error} in words. */
export function parseGuess(text) {
  const match = String(text ?? "")
    .trim()
    .toLowerCase()
    .match(/^(\d+(?:[.,]\d+)?)\s*(ms|s|sec|secs|seconds?|min|minutes?)?$/);
  if (!match) return { error: "Type a time such as 800 ms or 1.5 s." };
  const value = Number(match[1].replace(",", "."));
  const unit = match[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit.startsWith("m") ? 60_000 : 1000;
  const ms = Math.round(value * factor);
  if (ms < MIN_GUESS_MS || ms > MAX_GUESS_MS) {
    return { error: `Guess between ${duration(MIN_GUESS_MS)} and ${duration(MAX_GUESS_MS)}.` };
  }
  return { ms };
}

/** The guesses nearest `wallMs` (every one of a tie); none without a wall time. */
export function closestGuesses(guesses, wallMs) {
  if (wallMs == null || !guesses.length) return [];
  const best = Math.min(...guesses.map((g) => Math.abs(g.guess_ms - wallMs)));
  return guesses.filter((g) => Math.abs(g.guess_ms - wallMs) === best);
}

function niceWidth(span) {
  const raw = Math.max(span / TARGET_BINS, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of NICE) if (step * power >= raw) return step * power;
  return 10 * power;
}

/** The `q`-quantile of `values` (nearest rank: one of the values); null for none. */
export function quantile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Bin edges for a log axis: these mantissas in each decade, the finest that keeps the bins few. */
const LOG_STEPS = [
  [1, 1.5, 2, 3, 5, 7], // about x1.5 a bin
  [1, 2, 5], // about x2.2
  [1, 3], // about x3.2
  [1], // x10
];

function logEdges(lo, hi) {
  for (const steps of LOG_STEPS) {
    const edges = [];
    for (let power = 10 ** Math.floor(Math.log10(lo)); edges.at(-1) === undefined || edges.at(-1) <= hi; power *= 10) {
      for (const m of steps) edges.push(Math.round(m * power * 1000) / 1000);
    }
    const first = edges.findLastIndex((e) => e <= lo);
    const last = edges.findIndex((e) => e > hi);
    const cut = edges.slice(first, last + 1);
    if (cut.length - 1 <= LOG_MAX_BINS || steps.length === 1) return cut;
  }
  return [lo, hi];
}

/** Where `ms` falls along the model's axis, 0 (its lo) to 1 (its hi): linear, or by ratio on a log axis. */
export function axisFraction(model, ms) {
  const v = Math.min(Math.max(ms, model.lo), model.hi);
  if (model.scale === "log") return Math.log(v / model.lo) / Math.log(model.hi / model.lo);
  return (v - model.lo) / (model.hi - model.lo);
}

/**
 * Bins of guesses on an axis that holds the guesses, the wall and the ideal. The axis is linear from
 * 0 while the largest is at most LOG_RATIO x the smallest, else a log axis from the smallest (bins equal
 * in ratio: 1 s, 1.5 s, 2 s, 3 s...), so that guesses ten times the measured time stay apart from it.
 * Only true outliers, past OVERFLOW_FACTOR x the 90th percentile of the guesses (and past both lines),
 * share one last bin (`more: true`). Each bin says how many fell in it, whether it holds a closest
 * guess and the viewer's own (`mine`, in ms); `ticks` are the ms to label.
 */
export function histogram(guesses, { wall_ms: wall = null, ideal_ms: ideal = null, mine = null } = {}) {
  const values = guesses.map((g) => g.guess_ms);
  const marks = [wall, ideal].filter((x) => x != null && x > 0);
  const p90 = quantile(values, 0.9);
  const cap = p90 == null ? Infinity : Math.max(p90 * OVERFLOW_FACTOR, ...marks);
  const inside = [...values.filter((v) => v <= cap), ...marks];
  const top = Math.max(1, ...inside);
  const bottom = Math.max(1, Math.min(top, ...inside));
  const scale = top / bottom > LOG_RATIO ? "log" : "linear";
  const bin = (lo, hi, more) => ({ lo, hi, count: 0, closest: false, mine: false, more });
  let edges;
  let ticks;
  let width = null;
  if (scale === "log") {
    edges = logEdges(bottom, top);
    const mantissa = (e) => Math.round((e / 10 ** Math.floor(Math.log10(e) + 1e-9)) * 1000) / 1000;
    const labelled = edges.filter((e) => mantissa(e) === 1 || (edges.length <= 10 && [2, 5].includes(mantissa(e))));
    ticks = labelled.length >= 2 ? labelled : [edges[0], edges.at(-1)];
  } else {
    width = niceWidth(top);
    const count = Math.floor(top / width) + 1;
    edges = Array.from({ length: count + 1 }, (_, i) => i * width);
    const every = Math.max(1, Math.ceil(count / 6)); // at most ~6 labels
    ticks = edges.filter((_, i) => i % every === 0);
  }
  const bins = edges.slice(1).map((hi, i) => bin(edges[i], hi, false));
  const lo = edges[0];
  const hi = edges.at(-1);
  const more = bin(hi, Math.max(hi, ...values), true);
  const closest = new Set(closestGuesses(guesses, wall));
  for (const g of guesses) {
    const v = g.guess_ms;
    const into = v > cap ? more : (bins.find((b) => v < b.hi) ?? bins.at(-1));
    into.count += 1;
    into.closest ||= g.closest ?? closest.has(g); // the server marks them; a bare list is marked here
    into.mine ||= mine != null && v === mine;
  }
  if (more.count) bins.push(more);
  return { scale, lo, hi, width, ticks, bins, wall, ideal, mine, tallest: Math.max(1, ...bins.map((b) => b.count)) };
}

// A round only moves forward: open, then locked (or replaced by the next), then revealed.
const STATE_ORDER = { open: 0, replaced: 1, locked: 1, revealed: 2 };

/**
 * Whether `next` (a round from the socket or an answer) is at least as new as `shown`: a later
 * round number, or the same round in the same or a later state. A POST's answer that arrives after
 * a newer socket message (the round locked meanwhile) must not put it back to open.
 */
export function roundNewer(shown, next) {
  if (!next) return !shown;
  if (!shown) return true;
  if (next.number !== shown.number) return next.number > shown.number;
  return (STATE_ORDER[next.state] ?? 0) >= (STATE_ORDER[shown.state] ?? 0);
}

/** How far off a guess was: "288 ms too long (1.6 × the time)", "exactly right". */
export function offWords(guessMs, wallMs) {
  const off = guessMs - wallMs;
  if (off === 0) return "exactly right";
  const side = off > 0 ? "too long" : "too short";
  const ratio = wallMs > 0 ? guessMs / wallMs : null;
  const times = ratio == null ? "" : ratio >= 1 ? ` (${trim(ratio)} × the time)` : ` (${Math.round(ratio * 100)}% of the time)`;
  return `${duration(Math.abs(off))} ${side}${times}`;
}

/** A spec in a few words: strategy, requests, latency, the strategy's own knobs. */
export function specWords(spec) {
  if (!spec) return "";
  const parts = [spec.strategy];
  if (Array.isArray(spec.latencies_ms)) {
    parts.push(`${spec.latencies_ms.length} requests of ${spec.latencies_ms.map((x) => `${x}`).join(", ")} ms`);
  } else {
    parts.push(`${spec.requests} request${spec.requests === 1 ? "" : "s"}`, `${spec.latency_ms} ms each`);
  }
  if (spec.jitter_ms) parts.push(`± ${spec.jitter_ms} ms`);
  for (const key of ["limit", "workers", "rate", "retries", "timeout_ms"]) {
    if (spec[key] != null) parts.push(`${key.replace("_ms", "")} ${spec[key]}${key.endsWith("_ms") ? " ms" : ""}`);
  }
  return parts.join(" · ");
}

/**
 * What the round's state means, to the teacher, a learner or the room (role "projector"). For the
 * teacher and a learner these words sit in a live region: no count in them (countWords, shown
 * apart), so a screen reader hears the round open, lock and reveal, not every classmate's guess.
 */
export function stateWords(round, role) {
  if (!round) return role === "teacher" ? "No round yet: open one before you run something for everyone." : "";
  const teacher = role === "teacher";
  const room = role === "projector" ? ` ${countWords(round)}` : ""; // the projector: no live region, the count large
  const words = {
    open: teacher ? `Round ${round.number} is open.` : `Round ${round.number}: how long will it take?${room}`,
    locked: teacher
      ? `Round ${round.number} is locked on the run. Reveal once it has finished.`
      : `Guesses are locked: the run has started.${room}`,
    revealed: `Round ${round.number}, revealed.${room}`,
    replaced: `Round ${round.number} was replaced by a newer one.`,
  };
  return words[round.state] ?? "";
}

/** How many have guessed: "3 guesses so far." while open, "3 guesses." after; "" without a round. */
export function countWords(round) {
  if (!round || round.state === "replaced") return "";
  const n = round.guesses;
  return `${n} guess${n === 1 ? "" : "es"}${round.state === "open" ? " so far" : ""}.`;
}

/** The summary line under a histogram: how many, the wall and ideal times, who was closest. */
export function revealWords(reveal) {
  const closest = reveal.guesses.filter((g) => g.closest);
  const n = reveal.guesses.length;
  const who = closest.map((g) => (g.name ? `${g.name} (${duration(g.guess_ms)})` : duration(g.guess_ms)));
  const parts = [`${n} guess${n === 1 ? "" : "es"}`, `measured ${duration(reveal.wall_ms)}`];
  if (reveal.ideal_ms != null) parts.push(`ideal ${duration(reveal.ideal_ms)}`);
  if (who.length) parts.push(`closest: ${who.join(", ")}`);
  return `${parts.join("; ")}.`;
}
