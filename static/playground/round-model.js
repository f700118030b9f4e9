/**
 * Pure: a round of guesses in numbers and words, testable in Node (round-view.js draws it).
 *
 *   parseGuess("1.5 s") -> {ms: 1500}    parseGuess("soon") -> {error: "..."}
 *   histogram(guesses, {wall_ms, ideal_ms, mine}) -> {lo, hi, width, bins: [{lo, hi, count, closest, mine}], ...}
 *   closestGuesses(guesses, wall_ms) -> the guesses nearest the wall time (ties: all)
 *   duration(1500) -> "1.5 s"; offWords(800, 512) -> "288 ms too long (1.6 × the time)"
 *   specWords(spec) -> "gather · 3 requests · 100 ms each"; stateWords(round, role) -> a sentence
 */

export const MIN_GUESS_MS = 1;
export const MAX_GUESS_MS = 600_000; // the server's range (classes/rounds.py)
const NICE = [1, 2, 2.5, 5]; // bin widths: 1, 2, 2.5, 5 x 10^k ms
export const TARGET_BINS = 12; // enough to see a spread, few enough for a phone's width
// Guesses past this many times the measured time share one last bin ("more"), so that one
// wild guess does not squeeze everyone else's into a single bar.
export const OVERFLOW_FACTOR = 4;

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

/** 850 -> "850 ms", 1500 -> "1.5 s", 61000 -> "1 min 1 s". */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

function trim(x) {
  return x >= 10 ? String(Math.round(x * 10) / 10) : String(Math.round(x * 100) / 100);
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

/**
 * Bins of guesses on a linear ms axis from 0 that holds the guesses, the wall and the ideal;
 * guesses past OVERFLOW_FACTOR x the larger of wall and ideal go to one last bin (`more: true`).
 * Each bin says how many fell in it, whether it holds a closest guess and the viewer's own (`mine`, in ms).
 */
export function histogram(guesses, { wall_ms: wall = null, ideal_ms: ideal = null, mine = null } = {}) {
  const values = guesses.map((g) => g.guess_ms);
  const marks = [wall, ideal].filter((x) => x != null);
  const cap = marks.length ? Math.max(...marks) * OVERFLOW_FACTOR : Infinity;
  const inside = values.filter((v) => v <= cap);
  const top = Math.max(1, ...inside, ...marks);
  const width = niceWidth(top);
  const count = Math.floor(top / width) + 1;
  const closest = new Set(closestGuesses(guesses, wall));
  const bin = (lo, hi, more) => ({ lo, hi, count: 0, closest: false, mine: false, more });
  const bins = Array.from({ length: count }, (_, i) => bin(i * width, (i + 1) * width, false));
  const more = bin(count * width, Math.max(...values, count * width), true);
  for (const g of guesses) {
    const into = g.guess_ms > cap ? more : bins[Math.min(Math.floor(g.guess_ms / width), count - 1)];
    into.count += 1;
    into.closest ||= g.closest ?? closest.has(g); // the server marks them; a bare list is marked here
    into.mine ||= mine != null && g.guess_ms === mine;
  }
  if (more.count) bins.push(more);
  return { lo: 0, hi: count * width, width, bins, wall, ideal, mine, tallest: Math.max(1, ...bins.map((b) => b.count)) };
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

/** What the round's state means, to the teacher or a learner. */
export function stateWords(round, role) {
  if (!round) return role === "teacher" ? "No round yet: open one before you run something for everyone." : "";
  const n = round.guesses;
  const counted = `${n} guess${n === 1 ? "" : "es"}`;
  const teacher = role === "teacher";
  const words = {
    open: teacher ? `Round ${round.number} is open: ${counted} so far.` : `Round ${round.number}: how long will it take?`,
    locked: teacher
      ? `Round ${round.number} is locked on the run: ${counted}. Reveal once it has finished.`
      : `Guesses are locked: the run has started (${counted}).`,
    revealed: `Round ${round.number}, revealed: ${counted}.`,
    replaced: `Round ${round.number} was replaced by a newer one.`,
  };
  return words[round.state] ?? "";
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
