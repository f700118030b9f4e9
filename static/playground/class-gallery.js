/**
 * The class's gallery: on the teacher's page, the learners' runs as cards (sorted, filtered,
 * each with a mini timeline; Spotlight, Compare, Open) and the Pause/Resume toggle; on a
 * learner's page, the Run button off while the teacher pauses runs.
 *
 *   mountGallery({ role: "teacher" | "learner" }) -> { "class.<type>": handler, ... } for the class socket
 *
 *   teacher:  class.gallery (the full list) ──gallery-model.js──> the cards
 *             a finished card ──GET /api/runs/<id> (once)──> gallery-mini.js
 *             Spotlight ──POST /api/classes/<code>/stage {"runs": [id]}        (the stage's endpoint)
 *             Compare   ──POST /api/classes/<code>/stage {"runs": [id, id]}
 *             Pause     ──PATCH /api/classes/<code> {"runs_paused": bool}──> class.paused to every page
 *   learner:  class.hello / class.paused {paused} ──> #run-button disabled, a note in the banner saying why
 *             class.removed / class.ended / error ──> Run on again (the playground works on its own)
 */

import { csrfToken } from "./form.js";
import { drawMini } from "./gallery-mini.js";
import {
  cardKey,
  cardWords,
  countWords,
  isOver,
  listKey,
  pausedWords,
  pickedStill,
  pickToggle,
  shownCards,
  SORTS,
  strategiesOf,
} from "./gallery-model.js";

// A run of more requests than this is not fetched for its card (its events would be megabytes):
// "Open" shows it.
export const MINI_MAX_REQUESTS = 2000;

const $ = (id) => document.getElementById(id);

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function mountGallery(parts) {
  return parts.role === "teacher" ? mountTeacher() : mountLearner();
}

// --- The learner's page --------------------------------------------------------------------

function mountLearner() {
  const banner = $("class-banner");
  const button = $("run-button");
  const code = banner?.querySelector("strong")?.textContent ?? "";
  let paused = false;
  const note = document.createElement("p");
  note.id = "class-paused";
  note.className = "class-paused-note";
  note.setAttribute("role", "status");
  note.hidden = true;
  banner?.append(note);
  // The form turns Run back on when its request ends (form.js); while paused it stays off.
  if (button) {
    new MutationObserver(() => {
      if (paused && !button.disabled) button.disabled = true;
    }).observe(button, { attributes: true, attributeFilter: ["disabled"] });
  }

  function setPaused(message) {
    if (typeof message.paused !== "boolean" || !button) return;
    paused = message.paused;
    button.disabled = paused;
    button.title = paused ? pausedWords(code) : "";
    button.dataset.paused = String(paused);
    note.textContent = paused ? pausedWords(code) : "";
    note.hidden = !paused;
  }

  // Out of the class (removed, ended, refused): the playground works on its own, so Run is on again.
  const leave = () => setPaused({ paused: false });
  return { "class.hello": setPaused, "class.paused": setPaused, "class.removed": leave, "class.ended": leave, error: leave };
}

// --- The teacher's page --------------------------------------------------------------------

function mountTeacher() {
  const boot = JSON.parse($("boot").textContent);
  const api = `/api/classes/${boot.code}`;
  const controls = $("gallery-controls");
  const sort = $("gallery-sort");
  const strategy = $("gallery-strategy");
  const name = $("gallery-name");
  const list = $("gallery-cards");
  const compare = $("gallery-compare");
  const pause = $("pause-runs");
  const minis = new Map(); // run id -> its card's mini timeline (a canvas, or a note): drawn once
  const items = new Map(); // run id -> its card on the page: {li, key, status, mini, pick}, kept while the run is listed
  let cards = [];
  let picked = [];
  let shownKey = null; // listKey() of the cards on the page: the same, nothing to redraw
  let strategyKey = null;
  let paused = Boolean(boot.runs_paused);

  for (const [value, words] of Object.entries(SORTS)) sort.add(new Option(words, value));
  controls.addEventListener("input", render);
  controls.addEventListener("submit", (event) => event.preventDefault());

  function showError(text) {
    $("gallery-error").textContent = text;
    $("gallery-error").hidden = !text;
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken(controls) },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      const text = data.error ?? Object.values(data.errors ?? {}).flat().join(" ");
      throw new Error(text || `The server answered ${response.status}.`);
    }
    return response;
  }

  async function stage(runs, what) {
    try {
      await call("POST", `${api}/stage`, { runs });
      showError("");
    } catch (error) {
      showError(`Could not ${what}: ${error.message}`);
    }
  }

  // The Strategy choices are rebuilt only when the set changes: rebuilding closes an open dropdown.
  function strategies() {
    const chosen = strategy.value;
    const names = strategiesOf(cards);
    if (chosen && !names.includes(chosen)) names.push(chosen); // a choice stays until the teacher changes it
    const key = names.join("\n");
    if (key === strategyKey) return;
    strategyKey = key;
    strategy.replaceChildren(new Option("Any", ""), ...names.map((s) => new Option(s, s)));
    strategy.value = chosen;
  }

  function mini(card) {
    let element = minis.get(card.run);
    if (element) return element;
    if (!isOver(card)) {
      const waiting = document.createElement("p");
      waiting.className = "gallery-mini gallery-mini--waiting";
      waiting.textContent = "Timeline when it ends";
      return waiting; // not kept: the finished card draws its timeline
    }
    if (!(card.n <= MINI_MAX_REQUESTS)) {
      element = document.createElement("p");
      element.className = "gallery-mini gallery-mini--waiting";
      element.textContent = "Too many requests to draw small: Open it";
    } else {
      element = document.createElement("canvas");
      element.className = "gallery-mini";
      element.setAttribute("role", "img");
      element.setAttribute("aria-label", `Timeline of ${card.name}'s run, loading`);
      fetchMini(card, element);
    }
    minis.set(card.run, element);
    return element;
  }

  async function fetchMini(card, canvas) {
    try {
      const response = await fetch(`/api/runs/${card.run}`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const run = await response.json();
      const model = drawMini(canvas, run.events, boot.vocabulary);
      const words = cardWords(card);
      canvas.setAttribute("aria-label", `Timeline of ${card.name}'s run: ${words.line}, ${words.status}, ${model.laneCount} lanes`);
      canvas.dataset.drawn = "true";
    } catch (error) {
      canvas.setAttribute("aria-label", `Timeline of ${card.name}'s run: not drawn (${error.message})`);
      minis.delete(card.run); // the card's next change tries again
      const item = items.get(card.run);
      if (item) item.key = null;
    }
  }

  function button(text, label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function paragraph(className) {
    const p = document.createElement("p");
    p.className = className;
    return p;
  }

  /** A card's element, built once per run; its words are set by updateItem. */
  function newItem(card) {
    const li = document.createElement("li");
    li.className = "gallery-card";
    li.dataset.run = card.run;
    const title = document.createElement("h3");
    title.className = "gallery-name";
    const line = paragraph("gallery-line");
    const params = paragraph("gallery-params");
    const status = paragraph("gallery-status");
    const actions = document.createElement("div");
    actions.className = "gallery-actions";
    const pick = button("Pick", `Pick ${card.name}'s run to compare`, () => {
      picked = pickToggle(picked, card.run);
      render();
    });
    const open = document.createElement("a");
    open.href = card.url;
    open.target = "_blank";
    open.rel = "noopener";
    open.textContent = "Open";
    open.setAttribute("aria-label", `Open ${card.name}'s run`);
    actions.append(button("Spotlight", `Spotlight ${card.name}'s run for everyone`, () => stage([card.run], "spotlight it")), pick, open);
    const placeholder = paragraph("gallery-mini");
    li.append(title, line, params, status, placeholder, actions);
    return { li, key: null, title, line, params, status, mini: placeholder, pick };
  }

  /** The card's words and mini timeline, in place: its buttons (and the focus on one) stay. */
  function updateItem(item, card) {
    const key = cardKey(card);
    if (item.key === key) return;
    item.key = key;
    const words = cardWords(card);
    item.li.dataset.status = card.status;
    setText(item.title, words.title); // text, never markup
    setText(item.line, words.line);
    setText(item.params, words.params);
    setText(item.status, words.status);
    if (!isOver(card) && item.mini.classList.contains("gallery-mini--waiting")) return; // still waiting
    const element = mini(card);
    if (element !== item.mini) {
      item.mini.replaceWith(element);
      item.mini = element;
    }
  }

  /** The shown cards, in order, each element reused by run id; only misplaced ones move. */
  function placeCards(shown) {
    const listed = new Set(cards.map((card) => card.run));
    for (const [run, item] of items) {
      if (!listed.has(run)) {
        item.li.remove();
        items.delete(run);
        minis.delete(run);
      }
    }
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const wanted = shown.map((card) => {
      if (!items.has(card.run)) items.set(card.run, newItem(card));
      const item = items.get(card.run);
      updateItem(item, card);
      return item.li;
    });
    const keep = new Set(wanted);
    for (const li of [...list.children]) if (!keep.has(li)) li.remove();
    wanted.forEach((li, i) => {
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
    });
    // A moved card loses the focus in some browsers: give it back.
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  function render() {
    picked = pickedStill(picked, cards);
    const shown = shownCards(cards, { sort: sort.value, strategy: strategy.value, text: name.value });
    const key = listKey(shown);
    if (key !== shownKey) {
      placeCards(shown);
      shownKey = key;
    }
    for (const [run, item] of items) {
      const pressed = String(picked.includes(run));
      if (item.pick.getAttribute("aria-pressed") !== pressed) item.pick.setAttribute("aria-pressed", pressed);
    }
    setText($("gallery-count"), countWords(shown.length, cards.length));
    $("gallery-empty").hidden = cards.length > 0;
    compare.disabled = picked.length !== 2;
  }

  compare.addEventListener("click", () => stage([...picked], "compare them"));

  function setPaused(message) {
    if (typeof message.paused !== "boolean") return;
    paused = message.paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume learners' runs" : "Pause learners' runs";
    $("pause-note").hidden = !paused;
  }

  pause.addEventListener("click", async () => {
    pause.disabled = true;
    try {
      // The answer says what the class is now: class.paused may have come first and set `paused`.
      const answer = await (await call("PATCH", api, { runs_paused: !paused })).json();
      setPaused({ paused: answer.runs_paused });
      showError("");
    } catch (error) {
      showError(`Could not ${paused ? "resume" : "pause"} runs: ${error.message}`);
    } finally {
      pause.disabled = false;
    }
  });

  let lists = 0; // class.gallery messages shown: a list fetched before the latest one is older
  function showCards(list) {
    cards = list;
    strategies();
    render();
  }

  // After a reconnect the server sends the list only if it has cards; the cards shown stay until
  // then (no "No runs yet" flash, the picks kept), and a read of the list covers a class emptied since.
  async function reread() {
    const before = lists;
    try {
      const response = await fetch(`${api}/gallery`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const data = await response.json();
      if (before === lists && Array.isArray(data.cards)) showCards(data.cards);
    } catch (error) {
      showError(`Could not read the learners' runs again: ${error.message}`);
    }
  }

  return {
    "class.hello": (message) => {
      setPaused(message);
      if (cards.length) reread();
    },
    "class.paused": setPaused,
    "class.gallery": (message) => {
      if (!Array.isArray(message.cards)) return;
      lists += 1;
      showCards(message.cards);
    },
  };
}
