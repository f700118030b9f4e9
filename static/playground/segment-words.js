/**
 * A bar of the timeline in words: its tooltip's lines, and what the keyboard's live region
 * says. Pure: Node tests it.
 *
 *   segment (timeline-model.js) + now + the shared words ──describeSegment()──> lines
 */

import { formatMs, ordinal } from "./scale.js";
import { phaseDurations } from "./timeline-model.js";

const PHASES = { waiting: "waiting", flight: "in flight", backoff: "backing off" };

/** Tooltip lines for a segment (pure: Node can test it). */
export function describeSegment(segment, { now, rank = null, waitWords = {}, phaseWords = {} } = {}) {
  const end = segment.end ?? now;
  const ms = (s) => `${formatMs(s * 1000)} ms`;
  const lines = [`Task ${segment.task} · attempt ${segment.attempt}`];
  let phase = PHASES[segment.phase] ?? segment.phase;
  if (segment.phase === "waiting" && segment.reason) phase += ` for ${waitWords[segment.reason] ?? segment.reason}`;
  if (segment.phase === "backoff" && Number.isFinite(segment.delay_s)) phase += ` (${ms(segment.delay_s)} planned)`;
  lines.push(phase);
  lines.push(`${ms(segment.start)} → ${segment.end === null ? "now" : ms(end)} · ${ms(end - segment.start)}`);
  if (segment.status || segment.cut) {
    const parts = [segment.status ?? "no answer before the run ended"];
    if (segment.http_status !== null && segment.http_status !== undefined) parts.push(`HTTP ${segment.http_status}`);
    if (segment.error) parts.push(segment.error);
    lines.push(parts.join(" · "));
  }
  const phases = phaseDurations(segment, phaseWords);
  for (const { words, ms: spent } of phases) lines.push(`${words}: ${formatMs(spent)} ms`);
  if (phases.length && !phases.some((p) => p.name === "connect")) lines.push("no connecting: it reused a pooled connection");
  if (rank) lines.push(`The task finished ${ordinal(rank)}.`);
  return lines;
}
