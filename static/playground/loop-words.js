/**
 * The event-loop lane's numbers and words. Pure: no DOM, no clock (Node tests it).
 *
 *   model.spec.own_process ──loopWatched()──> is there a lane at all (only a run alone in its
 *                                             process has its loop watched; a shared loop is not)
 *   model.loopBlocked [{start, end}] + now + the window shown
 *       ──loopSegments()──> [{kind: "free" | "blocked", start, end}]   what the lane draws
 *       ──stretchAt()────> the blocked stretch under the pointer
 *   a stretch ──describeStretch()──> its tooltip's lines
 *   model + now ──loopFigures()──> {blocked_s, share, stretches, longest_s, wall_s}  (the server's
 *                                 summary.loop once the run is over, else counted from the model)
 *               ──loopSentence()──> the lane in one sentence, for screen readers
 *
 * A stretch is reported once the loop runs again (its event's t is its end), so a live run's
 * lane is free up to now except the stretches received, and a replay's model, pinned at its
 * cursor, holds only the stretches that ended by then.
 */

import { formatMs } from "./scale.js";

export const MIN_STRETCH_MS = 20; // the server reports held stretches this long or longer (events.py LoopBlocked)
// Blocked at least half the run: the headline of the run. (The server's
// verdict already names a loop blocked a fifth of the run or more, with its figures: summary.py.)
const HIGH_SHARE = 0.5;

/** Whether `model`'s run has its event loop watched: it ran alone in a process of its own. */
export function loopWatched(model) {
  return model?.spec?.own_process === true;
}

/** Whether a hovered or chosen item is a loop stretch rather than a request's segment. */
export function isStretch(item) {
  return Boolean(item) && item.task === undefined && Number.isFinite(item.start);
}

/**
 * The lane from `from` to `to` (s), cut at `now`: free time between the blocked stretches that
 * ended by `now`. `stretches` in the order they came (the loop reports them in time order).
 */
export function loopSegments(stretches, now, from, to) {
  const end = Math.min(now, to);
  let at = Math.max(0, from);
  const segments = [];
  if (!(end > at)) return segments;
  for (const stretch of stretches) {
    if (stretch.end > now || stretch.end <= at) continue;
    if (stretch.start >= end) break;
    const start = Math.max(stretch.start, at);
    if (start > at) segments.push({ kind: "free", start: at, end: start });
    const stop = Math.min(stretch.end, end);
    segments.push({ kind: "blocked", start, end: stop });
    at = stop;
  }
  if (end > at) segments.push({ kind: "free", start: at, end });
  return segments;
}

/** The blocked stretch (ended by `now`) under time `t`, within `tol` seconds, nearest first; or null. */
export function stretchAt(stretches, t, now, tol = 0) {
  let best = null;
  let bestDistance = Infinity;
  for (const stretch of stretches) {
    if (stretch.end > now) continue;
    const distance = t < stretch.start ? stretch.start - t : t > stretch.end ? t - stretch.end : 0;
    if (distance <= tol && distance < bestDistance) {
      best = stretch;
      bestDistance = distance;
    }
  }
  return best;
}

const seconds = (s) => s.toFixed(2);

/** A blocked stretch's tooltip lines: how long, and when. */
export function describeStretch(stretch) {
  return [
    `Event loop blocked for ${formatMs((stretch.end - stretch.start) * 1000)} ms`,
    `${seconds(stretch.start)}–${seconds(stretch.end)} s: no other task could run`,
  ];
}

/**
 * The lane's figures: the server's summary.loop once the run is over, else (live, a replay's
 * cursor, a summary without it) counted from the stretches received by `now`; null when the
 * loop is not watched (or nothing ran yet). `final`: the server's.
 */
export function loopFigures(model, now) {
  if (!loopWatched(model) || model.status === "idle") return null;
  const wall = model.summary?.wall_s ?? model.end ?? now;
  const loop = model.summary?.loop;
  if (loop && Number.isFinite(loop.blocked_s)) {
    const share = Number.isFinite(loop.share) ? loop.share : wall > 0 ? loop.blocked_s / wall : 0;
    return { blocked_s: loop.blocked_s, share, stretches: loop.stretches ?? 0, longest_s: loop.longest_s ?? 0, wall_s: wall, final: true };
  }
  let blocked = 0;
  let count = 0;
  let longest = 0;
  for (const { start, end } of model.loopBlocked) {
    if (end > now) continue;
    blocked += end - start;
    count += 1;
    longest = Math.max(longest, end - start);
  }
  return { blocked_s: blocked, share: wall > 0 ? Math.min(blocked / wall, 1) : 0, stretches: count, longest_s: longest, wall_s: wall, final: false };
}

/** "99%": a share in whole percent (a share above zero never reads "0%"). */
export function percent(share) {
  const pct = Math.round(share * 100);
  return `${share > 0 && pct === 0 ? "<1" : pct}%`;
}

/** The summary's line on the loop, once the run is over and its loop was blocked most of it; else null. */
export function loopVerdict(figures) {
  if (!figures?.final || figures.share < HIGH_SHARE) return null;
  return `The event loop was blocked ${percent(figures.share)} of the run: while code held it, no other task ran`;
}

/** The lane in one sentence, for screen readers: "event loop blocked 5 times, 1.00 s of 1.01 s". "" without a lane. */
export function loopSentence(model, now) {
  const figures = loopFigures(model, now);
  if (!figures) return "";
  const of = `${seconds(figures.blocked_s)} s of ${seconds(figures.wall_s)} s`;
  if (!figures.stretches) return `Event loop lane: never blocked for ${MIN_STRETCH_MS} ms or more in ${seconds(figures.wall_s)} s.`;
  const times = figures.stretches === 1 ? "once" : `${figures.stretches.toLocaleString("en-US")} times`;
  return `Event loop lane: blocked ${times}, ${of}, the longest ${formatMs(figures.longest_s * 1000)} ms.`;
}
