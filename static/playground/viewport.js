/**
 * The visible stretch of the time axis: zoom and pan. Pure: testable in Node.
 *
 *   window null            the whole run, [0, domain] (the axis grows with a live run)
 *   window {from, to}      seconds, a stretch inside [0, domain] (stays put while the run grows)
 *
 *   zoomAt(window, domain, factor, anchor)  factor > 1 zooms in, keeping `anchor` (s) under the pointer
 *   panBy(window, domain, dt)               shift by dt seconds, kept inside [0, domain]
 *   centerOn(window, domain, t)             the same span, centred on t (the minimap)
 *   visible(window, domain)                 [from, to] to draw
 */

// Closest zoom: a thousandth of the run, or 0.1 ms (a request's phases), whichever is wider.
export const MIN_SPAN_FRACTION = 0.001;
export const MIN_SPAN_S = 0.0001;
export const STEP = 1.5; // one key press or button click: 1.5x in or out
export const PAN_FRACTION = 0.2; // one arrow press: a fifth of what is visible

/** [from, to] in seconds: the window, clamped to [0, domain], or the whole axis. */
export function visible(window, domain) {
  if (!window) return [0, domain];
  const span = Math.min(window.to - window.from, domain);
  const from = Math.min(Math.max(window.from, 0), domain - span);
  return [from, from + span];
}

function minSpan(domain) {
  return Math.min(domain, Math.max(domain * MIN_SPAN_FRACTION, MIN_SPAN_S));
}

/** Zoom by `factor` (>1 in, <1 out) around `anchor` (s): the anchor stays where it is on screen. */
export function zoomAt(window, domain, factor, anchor) {
  if (!(factor > 0) || !(domain > 0)) return window;
  const [from, to] = visible(window, domain);
  const span = Math.min(Math.max((to - from) / factor, minSpan(domain)), domain);
  if (span >= domain) return null; // zoomed all the way out: follow the whole run again
  const at = Math.min(Math.max(anchor, from), to);
  const start = at - ((at - from) / (to - from)) * span;
  return clampWindow(start, span, domain);
}

/** Move the window by `dt` seconds (positive: later). The whole axis does not move. */
export function panBy(window, domain, dt) {
  if (!window) return null;
  const [from, to] = visible(window, domain);
  return clampWindow(from + dt, to - from, domain);
}

/** The window's span, centred on `t` (s). */
export function centerOn(window, domain, t) {
  if (!window) return null;
  const [from, to] = visible(window, domain);
  return clampWindow(t - (to - from) / 2, to - from, domain);
}

function clampWindow(start, span, domain) {
  const from = Math.min(Math.max(start, 0), domain - span);
  return { from, to: from + span };
}

/** "1.0x" for the whole run, "12x" zoomed: how much closer than the whole run we look. */
export function zoomLevel(window, domain) {
  const [from, to] = visible(window, domain);
  const level = domain / (to - from);
  return level < 10 ? `${level.toFixed(1)}x` : `${Math.round(level)}x`;
}
