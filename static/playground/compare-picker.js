/**
 * "Compare with…" on a run's page: the learner's recent runs as checkboxes; Compare opens
 * /compare/?runs=<this run>,<the checked ones>.
 *
 *   setRun(run) ──> shown for a run, hidden without one
 *   <details> opened (each time) ──GET /api/runs/mine (newest first, the learner's own)──> one checkbox a
 *                      run, this run left out; at most max_runs - 1 checked at once
 *   submit ──> location = /compare/?runs=a,b   (the checkboxes come from this script: without
 *              JavaScript there is no list; /compare/ also accepts `runs` repeated, as a form sends it)
 */

import { formatSeconds } from "./scale.js";

export function createComparePicker(root, { boot }) {
  const form = root.querySelector("form");
  const list = root.querySelector("[data-recent]");
  const note = root.querySelector("[data-note]");
  const button = root.querySelector("button[type=submit]");
  const here = form.elements.namedItem("runs");
  const compareUrl = boot.compare?.url ?? "/compare/";
  const others = (boot.compare?.max_runs ?? 4) - 1;
  let run = null;
  let loaded = null; // the run id the list was last fetched for

  root.addEventListener("toggle", () => {
    if (root.open && run) load(); // each time: the runs' statuses and wall times move on
  });
  list.addEventListener("change", limit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = [run.id, ...checked().map((box) => box.value)];
    location.assign(`${compareUrl}?runs=${ids.join(",")}`);
  });

  function checked() {
    return [...list.querySelectorAll("input[type=checkbox]:checked")];
  }

  /** Up to `others` runs beside this one: the rest are disabled until one is unchecked. */
  function limit() {
    const full = checked().length >= others;
    for (const box of list.querySelectorAll("input[type=checkbox]")) box.disabled = full && !box.checked;
    button.disabled = checked().length === 0;
  }

  async function load() {
    const id = run.id;
    loaded = id;
    note.textContent = "Loading your recent runs…";
    list.replaceChildren();
    button.disabled = true;
    let runs;
    try {
      const response = await fetch(boot.api?.mine ?? "/api/runs/mine", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      runs = (await response.json()).runs;
    } catch (error) {
      note.textContent = `Could not load your runs (${error.message}).`;
      return;
    }
    if (run?.id !== id) return; // another run came on screen meanwhile
    const mine = runs.filter((other) => other.id !== id);
    list.replaceChildren(...mine.map(item));
    note.textContent = mine.length
      ? `Choose up to ${others} of your recent runs, newest first.`
      : "No other runs of yours yet: start another run (or a pair), then compare.";
    limit();
  }

  function item(other) {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "runs", value: other.id });
    const wall = Number.isFinite(other.wall_s) ? formatSeconds(other.wall_s) : "–";
    const requests = Number.isInteger(other.requests) ? `${other.requests.toLocaleString("en-US")} requests` : "";
    const text = Object.assign(document.createElement("span"), { textContent: `${other.strategy}, ${requests}, ${wall}, ${other.status}` });
    label.append(box, " ", text);
    li.append(label);
    return li;
  }

  return {
    /** The run on screen (null: none); its id is the comparison's first. */
    setRun(next) {
      run = next?.id ? next : null;
      root.hidden = !run;
      if (!run) return;
      here.value = run.id;
      if (root.open && loaded !== run.id) load();
    },
  };
}
