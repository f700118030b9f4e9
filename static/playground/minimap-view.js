/**
 * The minimap: the whole run, small, with the stretch of time a zoomed timeline shows
 * framed and the rest shaded. Drawing only; the timeline view calls it while zoomed.
 *
 *   every segment (closed and open) --> one thin bar per lane, the run's full time axis
 *   the event-loop lane, if the run has one --> a strip along the top (loop-lane.js)
 *   the window [from, to]            --> shade outside, a frame around it
 */

import { drawLoopStrip } from "./loop-lane.js";
import { loopWatched } from "./loop-words.js";
import { BarBatch, COLORS, styleOf } from "./timeline-style.js";

const LOOP_STRIP = 5; // CSS px: the event loop's strip, above the requests' bars

/**
 * `frame`: the timeline's geometry (dpr, x0, plotW, domain, from, to) plus the minimap
 * canvas's width and height (device px), the paints and the font.
 */
export function drawMinimap(ctx, frame, model, now) {
  const { dpr, x0, plotW, domain, from, to, width, height, paints, font } = frame;
  const a = plotW / domain;
  const strip = loopWatched(model) ? LOOP_STRIP * dpr : 0;
  const laneH = (height - strip) / Math.max(model.laneCount, 1);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(x0, 0, plotW, height);
  const batch = new BarBatch(dpr);
  const add = (segment) =>
    batch.add(styleOf(segment), x0 + a * segment.start, strip + segment.task * laneH, a * ((segment.end ?? now) - segment.start), laneH);
  for (const segment of model.closed) add(segment);
  for (const segment of model.open) add(segment);
  batch.fill(ctx, paints);
  if (strip) drawLoopStrip(ctx, { dpr, x0, a, h: strip - dpr, paints }, model, now);
  const left = x0 + a * from;
  const right = x0 + a * to;
  ctx.fillStyle = "rgba(31, 41, 55, 0.45)";
  ctx.fillRect(x0, 0, left - x0, height);
  ctx.fillRect(right, 0, x0 + plotW - right, height);
  ctx.strokeStyle = COLORS.black;
  ctx.lineWidth = 2 * dpr;
  ctx.strokeRect(left, dpr, Math.max(right - left, 2 * dpr), height - 2 * dpr);
  ctx.fillStyle = COLORS.muted;
  ctx.font = `${11 * dpr}px ${font}`;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillText("whole run", x0 - 6 * dpr, height / 2);
}
