/**
 * The timeline by keyboard: which segment a key selects next. Pure: Node tests it.
 *
 *   ↑ / ↓              the request above / below, its segment nearest the same moment
 *   ← / →              the previous / next segment of this request (its phases, its attempts)
 *   Home / End         the first / last request
 *   Page Up / Page Down ten requests up / down
 *   Escape             no selection
 *
 * A run whose event loop is watched has its loop's lane above request #0: ↑ (or Page Up) from
 * the top request reaches the blocked stretch nearest the same moment, ← → step between
 * stretches, ↓ goes back down to the requests. Requests that have no segment yet (queued behind others in a live run) are stepped over.
 * The view shows the selected segment as the pointer's: outlined, with its tooltip, and
 * says the tooltip's words in a live region.
 */

export const TIMELINE_KEYS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown", "Escape"];
const PAGE = 10; // requests a Page Up / Page Down moves

/**
 * The segment `key` moves the selection to from `segment` (null: nothing selected yet),
 * null for none (Escape, an empty timeline), or undefined when the key is not the timeline's.
 * `stretches`: the loop lane's blocked stretches ({start, end}), [] when there is no lane;
 * one of them may be the selection too.
 */
export function nextSelection(model, segment, key, stretches = []) {
  if (!TIMELINE_KEYS.includes(key)) return undefined;
  if (key === "Escape") return null;
  if (segment && stretches.includes(segment)) return fromStretch(model, segment, key, stretches);
  const next = requestSelection(model, segment, key);
  const up = key === "ArrowUp" || key === "PageUp";
  // Up from the top request (or from nothing, with no request yet): the loop's lane above it.
  if (stretches.length && up && (next === segment || next === null)) return segment ? nearestInTime(stretches, segment.start) : stretches[0];
  return next;
}

/** From a blocked stretch of the loop's lane: ← → along the lane, ↓ (or any other move) down to the requests. */
function fromStretch(model, stretch, key, stretches) {
  const index = stretches.indexOf(stretch);
  if (key === "ArrowLeft") return stretches[Math.max(0, index - 1)];
  if (key === "ArrowRight") return stretches[Math.min(stretches.length - 1, index + 1)];
  if (key === "ArrowUp" || key === "PageUp") return stretch; // the top lane: stay
  const first = requestSelection(model, null, key === "End" ? "End" : "Home");
  if (!first) return stretch; // no request has a bar yet
  return key === "Home" || key === "End" ? first : nearestInTime(model.lanes[first.task].segments, stretch.start);
}

function requestSelection(model, segment, key) {
  const lanes = model.lanes;
  const filled = (task) => lanes[task]?.segments.length > 0;
  const firstFilled = (from, step) => {
    for (let task = from; task >= 0 && task < lanes.length; task += step) if (filled(task)) return task;
    return null;
  };
  if (!segment || !filled(segment.task)) {
    const task = key === "ArrowUp" || key === "End" || key === "PageUp" ? firstFilled(lanes.length - 1, -1) : firstFilled(0, 1);
    return task === null ? null : lanes[task].segments[0];
  }
  const own = lanes[segment.task].segments;
  const index = Math.max(0, own.indexOf(segment));
  if (key === "ArrowLeft") return own[Math.max(0, index - 1)];
  if (key === "ArrowRight") return own[Math.min(own.length - 1, index + 1)];
  const target = {
    ArrowUp: () => firstFilled(segment.task - 1, -1),
    ArrowDown: () => firstFilled(segment.task + 1, 1),
    Home: () => firstFilled(0, 1),
    End: () => firstFilled(lanes.length - 1, -1),
    PageUp: () => firstFilled(Math.max(0, segment.task - PAGE), 1),
    PageDown: () => firstFilled(Math.min(lanes.length - 1, segment.task + PAGE), -1),
  }[key]();
  if (target === null || target === segment.task) return segment; // at the edge: stay
  return nearestInTime(lanes[target].segments, segment.start);
}

/** The segment that covers time `t`, else the one whose edge is nearest to it (the earlier on a tie). */
function nearestInTime(segments, t) {
  let best = segments[0];
  let bestDistance = Infinity;
  for (const segment of segments) {
    const end = segment.end ?? Infinity; // still open: it runs on to now
    const distance = t < segment.start ? segment.start - t : t > end ? t - end : 0;
    if (distance < bestDistance) {
      best = segment;
      bestDistance = distance;
    }
  }
  return best;
}
