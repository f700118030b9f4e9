/**
 * Drawing only: the event-loop lane, above the request lanes of a run whose loop is watched
 * (loopWatched: it ran in a process of its own). Free time light, blocked stretches as red
 * bricks; what it draws comes from loop-words.js (pure). The timeline view calls it each
 * frame (a lane is a handful of rectangles: no cache), the minimap for its overview.
 *
 *   model.loopBlocked + now + [from, to] ──loopSegments()──> one Path2D per look ──fill()
 */

import { loopSegments } from "./loop-words.js";
import { BarBatch, COLORS } from "./timeline-style.js";

export const LOOP_LANE = 18; // CSS px: the lane's height
export const LOOP_GAP = 8; // CSS px between the lane and the first request
const LABEL = "event loop";

/**
 * The lane on the timeline canvas. `g`: the view's geometry (dpr, x0, plotW, from, to, the
 * time transform a, b, loopTop and loopH in device px, px() for a label's size).
 */
export function drawLoopLane(ctx, g, model, now, paints, font) {
  const y = g.loopTop;
  const h = g.loopH;
  ctx.save();
  ctx.beginPath();
  ctx.rect(g.x0, y, g.plotW, h);
  ctx.clip(); // zoomed: stretches reaching past either edge are cut there
  ctx.fillStyle = "#ffffff"; // after now: nothing known yet
  ctx.fillRect(g.x0, y, g.plotW, h);
  const batch = new BarBatch(g.dpr);
  for (const { kind, start, end } of loopSegments(model.loopBlocked, now, g.from, g.to)) {
    const x = g.a * start + g.b;
    batch.add(`loop-${kind}`, x, y, g.a * end + g.b - x, h);
  }
  batch.fill(ctx, paints);
  ctx.restore();
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = g.dpr;
  ctx.strokeRect(g.x0 + g.dpr / 2, y + g.dpr / 2, g.plotW - g.dpr, h - g.dpr);
  // The label in the gutter, smaller where the gutter is too narrow for it (a projected page's larger text).
  ctx.font = `${g.px(11)}px ${font}`;
  const room = g.x0 - 8 * g.dpr;
  const width = ctx.measureText(LABEL).width;
  if (width > room) ctx.font = `${(g.px(11) * room) / width}px ${font}`;
  ctx.fillStyle = COLORS.ink;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillText(LABEL, g.x0 - 6 * g.dpr, y + h / 2);
}

/** The lane on the minimap: a strip `h` device px tall at its top, the whole run's axis (`a` px a second). */
export function drawLoopStrip(ctx, { dpr, x0, a, h, paints }, model, now) {
  const batch = new BarBatch(dpr);
  for (const { kind, start, end } of loopSegments(model.loopBlocked, now, 0, Infinity)) {
    batch.add(`loop-${kind}`, x0 + a * start, 0, a * (end - start), h);
  }
  batch.fill(ctx, paints);
}
