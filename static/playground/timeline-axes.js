/**
 * Drawing only: what frames the bars on the timeline canvas -- the time grid with its tick
 * labels, the vertical rules (now, the ideal time, the learner's guess) with theirs, and the
 * lane labels ("#i", the completion rank). The timeline view (timeline-view.js) calls these
 * each frame, with its geometry `g` (device px: dpr, x0, plotW, marginRight, markTop, top,
 * plotH, step, cssW, from, to, the time transform a, b, px() for a label's size).
 *
 *   drawGrid ──> the bars (the view) ──> drawMarkers, drawLaneLabels
 */

import { formatMs, formatTick, niceTicks, ordinal } from "./scale.js";
import { COLORS } from "./timeline-style.js";

const LABELLED_LANE = 14; // CSS px: lanes at least this tall get "#i" and the completion rank

/** The plot's background: white, zebra lanes when they are tall enough, the time grid and its
 * tick labels; on an empty timeline, `placeholder`. */
export function drawGrid(ctx, g, model, font, placeholder) {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(g.x0, g.top, g.plotW, g.plotH);
  if (g.step >= 10 * g.dpr && model.laneCount) {
    ctx.fillStyle = "#f6f7f9"; // zebra lanes: easier to follow one task across
    for (let lane = 1; lane < model.laneCount; lane += 2) ctx.fillRect(g.x0, g.top + lane * g.step, g.plotW, g.step);
  }
  const ticks = niceTicks(g.from * 1000, g.to * 1000, Math.max(3, Math.floor(g.cssW / 90)));
  const tickStep = ticks.length > 1 ? ticks[1] - ticks[0] : g.to * 1000;
  ctx.fillStyle = COLORS.grid;
  ctx.font = `${g.px(11)}px ${font}`;
  ctx.textBaseline = "top";
  ctx.textAlign = "center";
  ticks.forEach((ms, i) => {
    const x = Math.round(g.a * (ms / 1000) + g.b);
    ctx.fillStyle = COLORS.grid;
    ctx.fillRect(x, g.markTop, g.dpr, g.top - g.markTop + g.plotH);
    ctx.fillStyle = COLORS.muted;
    const label = formatTick(ms, tickStep) + (i === ticks.length - 1 ? " ms" : "");
    const half = ctx.measureText(label).width / 2;
    ctx.fillText(label, Math.min(x, ctx.canvas.width - half - 2 * g.dpr), g.top + g.plotH + 6 * g.dpr);
  });
  if (!model.laneCount) {
    ctx.fillStyle = COLORS.muted;
    ctx.font = `${g.px(14)}px ${font}`;
    ctx.textBaseline = "middle";
    ctx.fillText(placeholder, g.x0 + g.plotW / 2, g.top + g.plotH / 2);
  }
}

/** Vertical rules: now (while live), the ideal time, the learner's guess. */
export function drawMarkers(ctx, g, model, now, font) {
  const summary = model.summary ?? {};
  const guess = summary.guess_s ?? (Number.isFinite(model.spec?.guess_ms) ? model.spec.guess_ms / 1000 : null);
  // Rules in the palette's colours; their labels darker, to read as text (WCAG contrast).
  const rule = (t, color, ink, dash, label, row) => {
    const after = t > g.to;
    const before = t < g.from;
    if ((after || before) && !label) return;
    const x = Math.round(g.a * Math.min(Math.max(t, g.from), g.to) + g.b) + 0.5;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5 * g.dpr;
    ctx.setLineDash(dash.map((d) => d * g.dpr));
    ctx.beginPath();
    ctx.moveTo(x, g.markTop);
    ctx.lineTo(x, g.top + g.plotH);
    ctx.stroke();
    ctx.setLineDash([]);
    if (!label) return;
    ctx.fillStyle = ink;
    ctx.font = `${g.px(11)}px ${font}`;
    ctx.textBaseline = "bottom";
    const text = after ? `${label} →` : before ? `← ${label}` : label;
    const width = ctx.measureText(text).width;
    ctx.textAlign = x + width + 4 * g.dpr > g.x0 + g.plotW + g.marginRight ? "right" : "left";
    ctx.fillText(text, ctx.textAlign === "left" ? x + 3 * g.dpr : x - 3 * g.dpr, g.markTop - (row === 0 ? 14 : 2) * g.dpr);
  };
  if (model.running) rule(now, "#6b7280", null, [], null, null); // now: live, or a replay's cursor
  if (Number.isFinite(summary.ideal_s)) {
    rule(summary.ideal_s, COLORS.green, "#00664d", [6, 3, 1, 3], `ideal ${formatMs(summary.ideal_s * 1000)} ms`, 0);
  }
  if (Number.isFinite(guess)) rule(guess, COLORS.purple, "#8c3d6e", [4, 3], `your guess ${formatMs(guess * 1000)} ms`, 1);
}

/** Lane labels: "#i" and completion rank when lanes are tall, else task-number ticks. */
export function drawLaneLabels(ctx, g, model, font) {
  if (!model.laneCount) return;
  ctx.font = `${g.px(11)}px ${font}`;
  ctx.textBaseline = "middle";
  const mid = (lane) => g.top + lane * g.step + g.step / 2;
  if (g.step < LABELLED_LANE * g.dpr) {
    ctx.fillStyle = COLORS.muted;
    ctx.textAlign = "right";
    for (const lane of niceTicks(0, model.laneCount - 1, Math.max(1, Math.floor(g.plotH / (28 * g.dpr))))) {
      ctx.fillText(`#${lane}`, g.x0 - 6 * g.dpr, Math.min(mid(lane), g.top + g.plotH - 6 * g.dpr));
    }
    return;
  }
  for (const lane of model.lanes) {
    ctx.fillStyle = COLORS.muted;
    ctx.textAlign = "right";
    ctx.fillText(`#${lane.task}`, g.x0 - 6 * g.dpr, mid(lane.task));
    const rank = model.completionRank(lane.task);
    const last = lane.segments[lane.segments.length - 1];
    if (!rank || !last || last.end === null || last.end < g.from || last.end > g.to) continue;
    const text = ordinal(rank);
    const x = g.a * last.end + g.b + 5 * g.dpr;
    ctx.fillStyle = COLORS.ink;
    ctx.textAlign = "left";
    ctx.fillText(text, Math.min(x, g.x0 + g.plotW + g.marginRight - ctx.measureText(text).width - 2 * g.dpr), mid(lane.task));
  }
}
