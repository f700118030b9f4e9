/**
 * The concurrency strip: how many requests were in flight at each moment, on the
 * timeline's time axis, with its maximum (and the strategy's limit, if it has one)
 * labelled.
 *
 *   model.series (step function) ──inFlightColumns()──> max per device-pixel column ──> bars
 *
 * inFlightColumns is pure (Node tests it); drawConcurrency only paints.
 */

import { COLORS } from "./timeline-style.js";

// Spec fields that cap concurrency, drawn as a dashed line when the run set one.
const LIMIT_FIELDS = [
  ["limit", "limit"],
  ["workers", "workers"],
  ["batch_size", "batch size"],
  ["server_limit", "server limit"],
];

/**
 * The highest in-flight count within each column of `secondsPerColumn`, from `start`
 * (the left edge: 0, or where a zoomed timeline begins) to `end` seconds; -1 for columns
 * after `end`. O(points + columns): each step holds its value until the next step, and
 * consecutive steps cover consecutive columns.
 */
export function inFlightColumns(series, end, columns, secondsPerColumn, start = 0) {
  const out = new Int32Array(columns).fill(-1);
  if (!(secondsPerColumn > 0) || columns <= 0) return out;
  const column = (t) => Math.floor((t - start) / secondsPerColumn);
  const last = Math.min(columns - 1, column(end));
  const cover = (from, to, value) => {
    const c0 = Math.max(0, column(from));
    const c1 = Math.min(last, column(to));
    for (let c = c0; c <= c1; c += 1) if (value > out[c]) out[c] = value;
  };
  const { t, n } = series;
  cover(0, t.length ? Math.min(t[0], end) : end, 0);
  for (let i = 0; i < t.length; i += 1) {
    if (t[i] > end) break;
    cover(t[i], i + 1 < t.length ? Math.min(t[i + 1], end) : end, n[i]);
  }
  return out;
}

/** The strategy's own cap from the spec, if any: {value, label}. */
export function specLimit(spec) {
  for (const [field, label] of LIMIT_FIELDS) {
    const value = spec?.[field];
    if (Number.isFinite(value) && value > 0) return { value, label };
  }
  return null;
}

/**
 * Paint the strip. `frame` = {dpr, width, height (device px), x0, plotW (device px),
 * from, to (s): the stretch of time shown, cursor (s, or null): "now" while a run is live
 * or replayed, textScale (optional: labels this much larger)}; the time transform is the
 * timeline's, so bars line up with it, zoomed or not.
 */
export function drawConcurrency(ctx, frame, model, now) {
  const { dpr, width, height, x0, plotW, from, to, cursor = null } = frame;
  const top = 16 * dpr; // room for the caption above the bars
  const bottom = height - 4 * dpr;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#f8f9fb";
  ctx.fillRect(x0, top, plotW, bottom - top);

  const columns = Math.max(1, Math.floor(plotW));
  const bins = inFlightColumns(model.series, Math.min(now, to), columns, (to - from) / columns, from);
  const peak = model.summary?.max_in_flight ?? model.maxInFlight;
  const limit = specLimit(model.spec);
  const yMax = Math.max(1, peak, model.maxInFlight, limit?.value ?? 0);
  const yOf = (count) => bottom - (count / yMax) * (bottom - top);

  // One rect per run of equal columns: a flat stretch is one rect, not hundreds.
  const bars = new Path2D();
  for (let c = 0; c < columns; ) {
    const value = bins[c];
    let run = c + 1;
    while (run < columns && bins[run] === value) run += 1;
    if (value > 0) bars.rect(x0 + c, yOf(value), run - c, bottom - yOf(value));
    c = run;
  }
  ctx.fillStyle = COLORS.sky;
  ctx.fill(bars);
  if (cursor !== null && cursor >= from && cursor <= to) {
    ctx.fillStyle = COLORS.ink;
    ctx.fillRect(Math.round(x0 + ((cursor - from) / (to - from)) * plotW), top, dpr, bottom - top);
  }

  ctx.font = `${11 * dpr * (frame.textScale ?? 1)}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  const rule = (count, color, text, dash, inGutter, ink) => {
    const y = Math.round(yOf(count)) + 0.5;
    ctx.strokeStyle = color;
    ctx.lineWidth = dpr;
    ctx.setLineDash(dash.map((d) => d * dpr));
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x0 + plotW, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = "right";
    if (inGutter) {
      ctx.fillStyle = ink;
      ctx.fillText(text, x0 - 6 * dpr, y);
      return;
    }
    // Over the bars: on a white plate, so the words keep their contrast whatever is under them.
    const [right, middle] = [x0 + plotW - 4 * dpr, y - 7 * dpr];
    const width = ctx.measureText(text).width;
    ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
    ctx.fillRect(right - width - 2 * dpr, middle - 7 * dpr, width + 4 * dpr, 14 * dpr);
    ctx.fillStyle = ink;
    ctx.fillText(text, right, middle);
  };
  // The limit's words in a darker vermillion than its rule: 5.9:1 on the strip, not 3.7:1.
  if (limit && limit.value !== peak) rule(limit.value, COLORS.vermillion, `${limit.label} ${limit.value}`, [2, 3], false, "#a34400");
  if (peak > 0) rule(peak, COLORS.ink, `max ${peak}`, [4, 3], true, COLORS.ink);
  ctx.fillStyle = COLORS.muted;
  ctx.textAlign = "right";
  ctx.fillText("0", x0 - 6 * dpr, bottom - 4 * dpr);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText("requests in flight", x0 + 4 * dpr, 1 * dpr);
}
