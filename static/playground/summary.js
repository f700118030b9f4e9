/**
 * The numbers under the timeline. While a run is live they come from the model
 * (elapsed time, outcomes so far, peak in flight); once run.finished arrives, from
 * the server's summary, which wins. Fields the summary leaves null stay hidden; retry,
 * 429/503 and deadline figures show when not zero or when the spec asked for them. A run
 * alone in its process adds its event loop's blocked time (loop-words.js: live from the
 * stretches received, then the server's summary.loop) and its cost (summary.cost: CPU time,
 * memory, threads); other runs have neither, and show no box for them.
 *
 *   summaryValues(model, now) -> {key: {value, text}}   pure: Node tests it
 *   renderSummary(el, model, now)                       writes [data-summary=key]
 */

import { loopFigures, loopVerdict, percent } from "./loop-words.js";
import { formatMs, formatRiseMb, formatSeconds } from "./scale.js";

const FINISH_ORDER_SHOWN = 12; // beyond this, a list of task numbers stops being readable

/** Display values keyed like the DOM hooks: wall_s, count-ok, max_in_flight, ... */
export function summaryValues(model, now) {
  const summary = model.summary ?? {};
  const values = {};
  const put = (key, value, format = String) => {
    if (value !== null && value !== undefined && (typeof value !== "number" || Number.isFinite(value))) {
      values[key] = { value, text: format(value) };
    }
  };
  if (model.status !== "idle") {
    const wall = summary.wall_s ?? (model.end ?? now);
    put("wall_s", wall, formatSeconds);
    const counts = summary.counts ?? model.counts;
    for (const key of model.statuses) put(`count-${key}`, counts[key] ?? 0);
    // Counts the server may add (e.g. not_started after a cancel) show when non-zero.
    for (const [key, n] of Object.entries(counts)) if (!model.statuses.includes(key) && n) put(`count-${key}`, n);
    put("requests", summary.requests ?? model.laneCount);
    put("max_in_flight", summary.max_in_flight ?? model.maxInFlight);
  }
  const ms = (v) => `${formatMs(v)} ms`;
  put("throughput_rps", summary.throughput_rps, (v) => `${round(v)} requests/s`);
  put("p50_ms", summary.p50_ms, ms);
  put("p95_ms", summary.p95_ms, ms);
  put("ideal_s", summary.ideal_s, formatSeconds);
  put("ideal_formula", summary.ideal_formula);
  put("efficiency", summary.efficiency, (v) => `${Math.round(v * 100)}% of ideal`);
  const guess = summary.guess_s ?? (Number.isFinite(model.spec?.guess_ms) ? model.spec.guess_ms / 1000 : null);
  put("guess_s", guess, formatSeconds);
  put("guess_vs", compareGuess(guess, summary.wall_s));
  putGuardFigures(put, summary, model.spec ?? {});
  putLoopFigures(put, loopFigures(model, now));
  putCostFigures(put, summary.cost);
  put("waiting", waitingText(summary.waiting, model.waitWords));
  put("phases", phasesText(summary.phases, model.phaseWords));
  if (model.status !== "idle") put("finish_order", finishOrder(model.completionOrder(), model.laneCount));
  put("verdict", summary.verdict);
  if (model.error) put("error", model.error);
  return values;
}

/**
 * Retries, back-off, 429/503 answers and deadline cut-offs: shown when not zero, or
 * when the spec asked for what they measure (a 0 then is the answer: "no 429s").
 */
function putGuardFigures(put, summary, spec) {
  const asked = (value, ...fields) => value > 0 || fields.some((field) => spec[field]);
  if (asked(summary.retries, "retries")) {
    put("retries", summary.retries);
    if (Number.isFinite(summary.attempts)) put("attempts", `${summary.attempts.toLocaleString("en-US")} attempts in all`);
  }
  if (asked(summary.backoff_s, "retries")) put("backoff_s", summary.backoff_s, formatSeconds);
  if (asked(summary.rejected, "server_rate", "server_limit")) put("rejected", summary.rejected);
  if (asked(summary.cut_by_deadline, "deadline_ms")) put("cut_by_deadline", summary.cut_by_deadline);
}

/** The event loop's blocked time and share, its stretches and the longest; the verdict once over. */
function putLoopFigures(put, loop) {
  if (!loop) return;
  put("loop_blocked", loop.blocked_s, (v) => `${formatSeconds(v)}, ${percent(loop.share)} of the run`);
  const n = loop.stretches;
  const stretches = n ? `${n.toLocaleString("en-US")} ${n === 1 ? "stretch" : "stretches"}, the longest ${formatMs(loop.longest_s * 1000)} ms` : "never 20 ms or more at once";
  put("loop_stretches", stretches);
  put("loop_verdict", loopVerdict(loop));
}

/** summary.cost = {cpu_s, peak_memory_mb, threads}: what the run's own process spent. */
function putCostFigures(put, cost) {
  if (!cost) return;
  put("cpu_s", cost.cpu_s, (v) => `${formatSeconds(v)} of CPU`);
  put("peak_memory_mb", cost.peak_memory_mb, (v) => `${formatRiseMb(v)} of memory at its peak`);
  put("threads", cost.threads, (v) => (v ? `${v.toLocaleString("en-US")} ${v === 1 ? "extra thread" : "extra threads"} at the peak` : "no extra thread"));
}

/**
 * summary.phases = {connect: {count, mean_ms, p95_ms, slow}, wait: ..., read: ...} -> one line
 * per phase ("12 connecting (DNS, TCP, TLS): 4 ms on average, p95 9 ms"), or null.
 */
export function phasesText(phases, phaseWords = {}) {
  const lines = Object.entries(phases ?? {})
    .filter(([, p]) => p?.count > 0)
    .map(([name, p]) => {
      let line = `${p.count.toLocaleString("en-US")} ${phaseWords[name] ?? name}: ${formatMs(p.mean_ms)} ms on average, p95 ${formatMs(p.p95_ms)} ms`;
      if (p.slow) line += ` (${p.slow.toLocaleString("en-US")} took 0.9 s or more: a SYN retry)`;
      return line;
    });
  return lines.length ? lines.join("\n") : null;
}

/**
 * summary.waiting = {reason: {requests, mean_s}} -> one line per reason, or null.
 * `waits` counts attempts that waited: a retried request may wait again.
 */
export function waitingText(waiting, waitWords = {}) {
  const lines = Object.entries(waiting ?? {})
    .filter(([, w]) => w?.waits > 0)
    .map(([reason, w]) => {
      const n = `${w.waits.toLocaleString("en-US")} ${w.waits === 1 ? "wait" : "waits"}`;
      return `${n} for ${waitWords[reason] ?? reason}, ${formatMs(w.mean_s * 1000)} ms each on average`;
    });
  return lines.length ? lines.join("\n") : null;
}

/** "#2, #0, #1": the tasks in the order they finished, the first few of them. */
export function finishOrder(order, lanes) {
  if (!order.length) return null;
  const shown = order.slice(0, FINISH_ORDER_SHOWN).map((task) => `#${task}`).join(", ");
  const more = Math.max(order.length, lanes) - Math.min(order.length, FINISH_ORDER_SHOWN);
  return more > 0 ? `${shown} … (${more.toLocaleString("en-US")} more)` : shown;
}

/** How the guess compares with the measured wall time, once there is one. */
function compareGuess(guess, wall) {
  if (!Number.isFinite(guess) || !Number.isFinite(wall) || wall <= 0 || guess <= 0) return null;
  const ratio = guess / wall;
  if (ratio > 1.15) return `${round(ratio)}× the measured time`;
  if (ratio < 1 / 1.15) return `the run took ${round(1 / ratio)}× longer`;
  return "close to the measured time";
}

function round(x) {
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Write the values into `el`: each [data-summary=key] gets text and data-value. */
export function renderSummary(el, model, now) {
  const values = summaryValues(model, now);
  const rows = new Map(); // optional row -> has something to show
  for (const slot of el.querySelectorAll("[data-summary]")) {
    const entry = values[slot.dataset.summary];
    slot.textContent = entry ? entry.text : slot.tagName === "SMALL" ? "" : "–";
    if (entry && typeof entry.value === "number") slot.dataset.value = String(entry.value);
    else delete slot.dataset.value;
    const row = slot.closest("[data-optional]");
    if (row) rows.set(row, rows.get(row) || Boolean(entry));
  }
  // Optional rows (and the verdict) only appear once there is something to say.
  for (const [row, shown] of rows) row.hidden = !shown;
  const over = model.end !== null;
  if (over) el.dataset.status = model.status;
  else delete el.dataset.status;
  el.dataset.state = model.status;
}
