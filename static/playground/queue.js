/**
 * A queued run's place in line, in words. Pure: no DOM (Node tests it).
 *
 *   {"type": "queue", "place": 3, "eta_s": 4.2}          the server, while the run waits for a worker
 *     └─ queueWords() -> "Waiting for a free worker: 3rd in line, starts in about 4 s"
 *
 * `place` is 1-based (1: next to start); `eta_s` is seconds until the run starts, or
 * null when the server cannot tell. A field that is missing or out of range is left
 * out of the words rather than shown wrong.
 */

const UNDER_A_SECOND_S = 1; // below this a countdown in whole seconds would say "about 0 s"
const SECONDS_SHOWN_UP_TO = 60; // beyond this, minutes: "about 2 min" reads faster than "about 117 s"

/** 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd", 111 -> "111th", 1001 -> "1,001st". */
export function ordinal(n) {
  const lastTwo = n % 100;
  const last = n % 10;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? "th" : last === 1 ? "st" : last === 2 ? "nd" : last === 3 ? "rd" : "th";
  return `${n.toLocaleString("en-US")}${suffix}`;
}

/** "next in line", "3rd in line"; null unless `place` is a whole number >= 1. */
export function placeWords(place) {
  if (!Number.isInteger(place) || place < 1) return null;
  return place === 1 ? "next in line" : `${ordinal(place)} in line`;
}

/** "starts in under a second", "starts in about 4 s", "starts in about 2 min", "start time unknown". */
export function etaWords(etaS) {
  if (typeof etaS !== "number" || !Number.isFinite(etaS) || etaS < 0) return "start time unknown";
  if (etaS < UNDER_A_SECOND_S) return "starts in under a second";
  const seconds = Math.round(etaS);
  if (seconds < SECONDS_SHOWN_UP_TO) return `starts in about ${seconds} s`;
  return `starts in about ${Math.round(etaS / 60).toLocaleString("en-US")} min`;
}

/** The line shown while a run waits: a queue message -> words. */
export function queueWords(message) {
  const place = placeWords(message?.place);
  const eta = etaWords(message?.eta_s);
  return `Waiting for a free worker: ${place ? `${place}, ` : ""}${eta}`;
}
