/**
 * Drawing only: a finished run's whole timeline, small, on a card of the class gallery.
 *
 *   events (GET /api/runs/<id>, once) ──timeline-model.js──> lanes ──BarBatch──> one fill per look
 *
 * No axis, no labels, no tooltip: the card says the wall time; "Open" shows the run in full.
 * Transforms: time (s) ──/ end x width──> CSS px ──x dpr──> device px.
 */

import { createTimeline } from "./timeline-model.js";
import { BarBatch, createPaints, styleOf } from "./timeline-style.js";

export const MINI_WIDTH = 240; // CSS px: a card's width
export const MINI_HEIGHT = 56; // tall enough to see 10 lanes apart, short enough for 30 cards on a screen

/** Draw `events` (a finished run's, in seq order) on `canvas`; returns the model (lanes, counts). */
export function drawMini(canvas, events, vocabulary, dpr = globalThis.devicePixelRatio || 1) {
  const model = createTimeline(vocabulary);
  model.apply(events);
  canvas.width = Math.round(MINI_WIDTH * dpr);
  canvas.height = Math.round(MINI_HEIGHT * dpr);
  canvas.style.width = `${MINI_WIDTH}px`;
  canvas.style.height = `${MINI_HEIGHT}px`;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const end = model.nowAt();
  const lanes = model.laneCount;
  if (!lanes || !(end > 0)) return model;
  const x = (t) => (t / end) * canvas.width;
  const laneHeight = canvas.height / lanes;
  const gap = laneHeight >= 4 * dpr ? dpr : 0; // lanes apart when there is room for it
  const batch = new BarBatch(dpr);
  for (const lane of model.lanes) {
    const y = lane.task * laneHeight;
    for (const segment of lane.segments) {
      const start = x(segment.start);
      batch.add(styleOf(segment), start, y, x(segment.end ?? end) - start, laneHeight - gap);
    }
  }
  batch.fill(ctx, createPaints(ctx, dpr));
  return model;
}
