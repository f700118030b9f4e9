/**
 * The legend under the timeline: one entry per look (timeline-style.js LOOKS), in the
 * order legendEntries() gives: waiting, in flight, a flight's connecting and reading, the
 * server's task statuses (each also the colour of waiting for the answer), back-off, retry;
 * then the event-loop lane's two looks, listed only while a run with that lane is on screen.
 * With a run on screen it marks the looks that run has drawn (the others fade) and says
 * what its requests waited for; the tooltip names the reason of each single wait.
 *
 *   vocabulary (boot data) ──legendEntries()──> [{key, label, hint}]   pure: Node tests it
 *   model ──LegendScan.update()──> {looks, reasons}   pure and incremental: Node tests it
 *         ──createLegend().update(model)──> [data-legend=key][data-present], waiting's words
 */

import { loopWatched } from "./loop-words.js";
import { LOOKS, styleOf, swatch } from "./timeline-style.js";

const LOOP_LOOKS = ["loop-free", "loop-blocked"]; // the event-loop lane's (loop-lane.js)

/** The legend's entries for the server's `vocabulary`: a look per phase and per task status. */
export function legendEntries(vocabulary) {
  const waits = orList(vocabulary.wait_reasons.map((reason) => vocabulary.wait_words[reason] ?? reason));
  return ["waiting", "flight", "connect", "read", ...vocabulary.task_statuses, "backoff", "link", ...LOOP_LOOKS].map((key) => ({
    key,
    label: LOOKS[key]?.label ?? key,
    hint: key === "waiting" ? `for ${waits}: the tooltip says which` : LOOKS[key]?.hint,
    loop: LOOP_LOOKS.includes(key), // listed only while the run on screen has the lane
  }));
}

/** The looks and wait reasons a model holds; closed segments are read once each. */
export class LegendScan {
  constructor() {
    this.epoch = -1;
  }

  update(model) {
    if (model.epoch !== this.epoch) {
      this.epoch = model.epoch;
      this.read = 0;
      this.closedLooks = new Set();
      this.reasons = new Set();
    }
    for (; this.read < model.closed.length; this.read += 1) this.note(model.closed[this.read], this.closedLooks);
    const looks = new Set(this.closedLooks);
    for (const segment of model.open) this.note(segment, looks);
    if (model.links.length) looks.add("link");
    if (loopWatched(model)) looks.add("loop-free");
    if (loopWatched(model) && model.loopBlocked.length) looks.add("loop-blocked");
    return { looks, reasons: this.reasons, loop: loopWatched(model) };
  }

  note(segment, looks) {
    const look = styleOf(segment);
    if (look === "waiting-cut") looks.add("waiting").add("cancelled");
    else looks.add(look);
    if (segment.phase === "waiting" && segment.reason) this.reasons.add(segment.reason);
    for (const phase of segment.phases ?? []) if (phase.name === "connect" || phase.name === "read") looks.add(phase.name);
  }
}

/** The waiting entry's words: what this run's requests waited for (`waitWords`: the vocabulary's). */
export function waitingLabel(reasons, waitWords = {}) {
  const words = [...reasons].map((reason) => waitWords[reason] ?? reason);
  return words.length ? `waiting for ${orList(words)}` : "waiting";
}

/** "a, b or c". */
function orList(words) {
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : (words[0] ?? "");
}

/** The legend in `list` (a <ul>), its entries from the server's `vocabulary`. */
export function createLegend(list, vocabulary) {
  if (!list) return { update() {} };
  const scan = new LegendScan();
  const items = new Map();
  list.replaceChildren(
    ...legendEntries(vocabulary).map(({ key, label, hint, loop }) => {
      const item = document.createElement("li");
      item.dataset.legend = key;
      item.hidden = loop;
      const words = Object.assign(document.createElement("span"), { textContent: label });
      const text = document.createElement("span");
      text.append(words);
      if (hint) {
        item.title = hint;
        text.append(" ", Object.assign(document.createElement("small"), { textContent: hint }));
      }
      item.append(swatch(key), text);
      items.set(key, { item, words, label, hint, loop });
      return item;
    }),
  );
  let shown = ""; // what the DOM says now: write only on change

  return {
    /** Mark what `model` has drawn; an idle model (no run) marks nothing. */
    update(model) {
      const idle = model.status === "idle";
      const { looks, reasons, loop: lane } = idle ? { looks: new Set(), reasons: new Set(), loop: false } : scan.update(model);
      const key = `${idle}|${[...looks].sort()}|${[...reasons].sort()}|${lane}`;
      if (key === shown) return;
      shown = key;
      list.toggleAttribute("data-run", !idle);
      for (const [look, { item, words, label, hint, loop }] of items) {
        if (loop) item.hidden = !lane;
        const present = looks.has(look);
        item.toggleAttribute("data-present", present);
        item.title = idle || present ? hint ?? "" : `not in this run${hint ? `: ${hint}` : ""}`;
        if (look === "waiting") words.textContent = idle ? label : waitingLabel(reasons, vocabulary.wait_words);
      }
    },
  };
}
