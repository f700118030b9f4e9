/**
 * Pure: the gallery's cards sorted, filtered, picked for a comparison, and put in words. Testable in Node.
 *
 *   cards (class.gallery) ──shownCards({sort, strategy, text})──> what the dashboard lists
 *   card ──cardWords()──> {title, line, params, status}        ──pickToggle()──> at most two picked
 *
 * A card: {run, learner, name, strategy, params, n, status, wall_s, created, url} (classes/gallery.py).
 */

import { wallTime } from "./time-words.js";

export const SORTS = Object.freeze({
  newest: "Newest first",
  fastest: "Fastest first",
  slowest: "Slowest first",
  name: "By name",
});
export const MAX_PICKED = 2; // a comparison is two runs on one axis

const byNewest = (a, b) => String(b.created).localeCompare(String(a.created));

/** `wall_s` ascending (dir 1) or descending (-1); runs without a wall time (not finished) last. */
function byWall(dir) {
  return (a, b) => {
    const x = Number.isFinite(a.wall_s) ? a.wall_s : null;
    const y = Number.isFinite(b.wall_s) ? b.wall_s : null;
    if (x === null || y === null) return x === y ? byNewest(a, b) : x === null ? 1 : -1;
    return dir * (x - y) || byNewest(a, b);
  };
}

const COMPARE = {
  newest: byNewest,
  fastest: byWall(1),
  slowest: byWall(-1),
  name: (a, b) => String(a.name).localeCompare(String(b.name), undefined, { sensitivity: "base" }) || byNewest(a, b),
};

/** A new array of `cards` in the order `sort` names (an unknown sort: newest). */
export function sortCards(cards, sort) {
  return [...cards].sort(COMPARE[sort] ?? byNewest);
}

/** The cards of `strategy` ("" : any) whose learner's name holds `text` (any case, trimmed). */
export function filterCards(cards, { strategy = "", text = "" } = {}) {
  const needle = text.trim().toLocaleLowerCase();
  return cards.filter(
    (card) => (!strategy || card.strategy === strategy) && (!needle || String(card.name).toLocaleLowerCase().includes(needle)),
  );
}

export function shownCards(cards, { sort = "newest", strategy = "", text = "" } = {}) {
  return sortCards(filterCards(cards, { strategy, text }), sort);
}

/** The strategies the cards use, in alphabetical order (the filter's choices). */
export function strategiesOf(cards) {
  return [...new Set(cards.map((card) => card.strategy).filter(Boolean))].sort();
}

/** "1.23 s", "850 ms"; "" when there is no wall time (time-words.js: as the stage and the rounds say it). */
export function wallWords(wallS) {
  return Number.isFinite(wallS) ? wallTime(wallS * 1000) : "";
}

/** "limit 10 · latency_ms 200": every parameter, in the spec's order. */
export function paramsWords(params) {
  return Object.entries(params ?? {})
    .map(([name, value]) => `${name} ${Array.isArray(value) ? `[${value.length}]` : value}`)
    .join(" · ");
}

const STATUS_WORDS = {
  queued: () => "waiting for a worker",
  running: () => "running…",
  finished: (card) => `finished in ${wallWords(card.wall_s) || "?"}`,
};

export function statusWords(card) {
  return (STATUS_WORDS[card.status] ?? (() => String(card.status)))(card);
}

export function cardWords(card) {
  const n = Number.isInteger(card.n) ? `${card.n.toLocaleString("en")} ${card.n === 1 ? "request" : "requests"}` : "";
  return {
    title: String(card.name),
    line: [card.strategy, n].filter(Boolean).join(" · "),
    params: paramsWords(card.params),
    status: statusWords(card),
  };
}

/** What a card shows that can change while its run goes: its status and wall time (run id first). */
export function cardKey(card) {
  return `${card.run} ${card.status} ${card.wall_s ?? ""}`;
}

/** The shown cards in order, as one string: the same string, the same dashboard. */
export function listKey(cards) {
  return cards.map(cardKey).join("\n");
}

/** Whether the card's run is over, so its events are all stored (fetched once for the mini timeline). */
export function isOver(card) {
  return card.status !== "queued" && card.status !== "running";
}

/** `picked` with `run` added (the oldest pick dropped past MAX_PICKED) or, if it was picked, removed. */
export function pickToggle(picked, run) {
  if (picked.includes(run)) return picked.filter((id) => id !== run);
  return [...picked, run].slice(-MAX_PICKED);
}

/** The picks still on the dashboard (a card can leave it: a learner removed). */
export function pickedStill(picked, cards) {
  const runs = new Set(cards.map((card) => card.run));
  return picked.filter((id) => runs.has(id));
}

/** What a learner's page says while runs are paused. */
export function pausedWords(code) {
  return `Your teacher paused runs in class ${code}: Run is off until they resume.`;
}

/** "3 runs", "2 of 7 runs" when a filter hides some. */
export function countWords(shown, all) {
  const runs = (n) => `${n} ${n === 1 ? "run" : "runs"}`;
  return shown === all ? runs(all) : `${shown} of ${runs(all)}`;
}
