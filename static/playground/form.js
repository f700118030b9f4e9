/**
 * The run form: presets, the strategy's parameters and guards, and POST /api/runs
 * with errors shown where they belong.
 *
 *   preset button ──fill()──> fields ──submit──> formToSpec ──POST──> 201 onCreated(run)
 *   strategy select ──showStrategy()──> its own params (required marked), then its
 *                                       guards; onPlanChange(plan) for the code panel
 *   400 ──> errors at their fields
 *
 * The server renders every field (each in [data-field], under its data-group); this
 * module shows, hides, fills and regroups them, so the form still posts without
 * JavaScript.
 */

import { formToSpec, presetValues, splitErrors, strategyParams } from "./spec.js";

// Fields a non-empty latencies list replaces (one latency per request).
const OVERRIDDEN_BY_LIST = ["requests", "latency_ms"];

export function createRunForm({ form, boot, presets, presetNote, onCreated, onPlanChange = () => {}, onSubmit = () => {}, onRefused = () => {} }) {
  const strategies = boot.strategies ?? [];
  const button = form.querySelector("#run-button");
  const generalErrors = form.querySelector("#form-errors");
  const strategySelect = form.elements.namedItem("strategy");
  let hidden = new Set();
  const planned = new Set(); // fields that change the code that runs: every strategy's params and guards
  for (const s of strategies) for (const param of [...(s.params ?? []), ...(s.guards ?? [])]) planned.add(param);

  /** The form's fields as spec.js reads them; a list of numbers is typed as text (the server says which). */
  function fields() {
    return [...form.elements]
      .filter((el) => el.name && !el.disabled && el.type !== "submit" && el.type !== "button")
      .map((el) => ({
        name: el.name,
        kind: boot.params?.[el.name]?.kind === "list" ? "list" : el.type === "checkbox" ? "checkbox" : el.type === "number" ? "number" : "text",
        value: el.value,
        checked: el.checked,
        required: el.required,
      }));
  }

  function wrapper(name) {
    return form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  }

  /**
   * The chosen strategy's own parameters under "Strategy parameters" (required ones
   * marked), the guards it combines with under "Guards", every other strategy's hidden.
   */
  function showStrategy() {
    const name = strategySelect?.value;
    const { own, guards, required, hidden: others } = strategyParams(strategies, name);
    hidden = others;
    for (const el of form.querySelectorAll("[data-field]")) {
      const field = el.dataset.field;
      el.dataset.home ??= el.dataset.group; // where the server put it: kept for fields no strategy lists
      el.dataset.group = own.has(field) ? "params" : guards.has(field) ? "guards" : el.dataset.home;
      // A field the server sent back with an error stays in sight, whatever the strategy.
      el.hidden = hidden.has(field) && !el.classList.contains("has-error");
      el.classList.toggle("is-required", required.has(field));
      const input = form.elements.namedItem(field);
      if (!(input instanceof Element)) continue;
      if (required.has(field)) input.setAttribute("aria-required", "true");
      else input.removeAttribute("aria-required");
    }
    forceOwnProcess(strategies.find((s) => s.name === name));
    // A heading with nothing under it (sequential has no parameters of its own) goes too.
    for (const title of form.querySelectorAll(".group-title[data-group]")) {
      title.hidden = !form.querySelector(`.fields [data-field][data-group="${title.dataset.group}"]:not([hidden])`);
    }
    markOverridden();
    planChanged();
  }

  /**
   * A strategy that blocks its loop or starts threads always runs alone (its catalog entry's
   * own_process), and so does any run with block_ms: the box shows it ticked and fixed; the
   * learner's own choice comes back after.
   */
  function forceOwnProcess(strategy = strategies.find((s) => s.name === strategySelect?.value)) {
    const box = form.elements.namedItem("own_process");
    if (!(box instanceof HTMLInputElement)) return;
    const block = form.elements.namedItem("block_ms");
    const blocks = block instanceof HTMLInputElement && Number(block.value) > 0 && !wrapper("block_ms")?.hidden;
    if (strategy?.own_process === true || blocks) {
      if (!box.disabled) box.dataset.chosen = String(box.checked);
      box.checked = true;
      box.disabled = true; // left out of the spec: the server turns it on for this strategy
    } else if (box.disabled) {
      box.checked = box.dataset.chosen === "true";
      box.disabled = false;
    }
  }

  /** The code panel follows the strategy and the guards the form turns on. */
  function planChanged() {
    const values = Object.fromEntries(fields().map((f) => [f.name, f.kind === "checkbox" ? f.checked : f.value]));
    onPlanChange({ strategy: strategySelect?.value, values });
  }

  /** A latencies list sets the number of requests and each latency: say so. */
  function markOverridden() {
    const list = form.elements.namedItem("latencies_ms");
    const on = Boolean(list?.value.trim());
    for (const name of OVERRIDDEN_BY_LIST) wrapper(name)?.classList.toggle("is-overridden", on);
  }

  function fill(values) {
    for (const [name, value] of Object.entries(values)) {
      const el = form.elements.namedItem(name);
      if (!el || el instanceof RadioNodeList) continue;
      if (el.type === "checkbox") el.checked = Boolean(value);
      else el.value = value;
    }
    clearErrors();
    showStrategy();
  }

  function renderPresets() {
    if (!presets) return;
    presets.replaceChildren(
      ...(boot.presets ?? []).map((preset) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "preset";
        b.dataset.preset = preset.name;
        b.setAttribute("aria-pressed", "false");
        b.textContent = preset.label ?? preset.name;
        if (preset.text) b.title = preset.text;
        b.addEventListener("click", () => choosePreset(preset, b));
        return b;
      }),
    );
  }

  function choosePreset(preset, b) {
    fill(presetValues(preset.spec, fields(), boot.params ?? {}));
    for (const other of presets.querySelectorAll("[data-preset]")) other.setAttribute("aria-pressed", String(other === b));
    if (presetNote) {
      presetNote.textContent = preset.text ?? "";
      presetNote.hidden = !preset.text;
    }
    // Ask for a prediction before the run: guessing first is the point.
    form.elements.namedItem("guess_ms")?.focus({ preventScroll: true });
  }

  function clearErrors() {
    for (const list of form.querySelectorAll("[data-errors-for]")) {
      list.replaceChildren();
      list.hidden = true;
    }
    for (const el of form.querySelectorAll("[data-field].has-error")) el.classList.remove("has-error");
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    generalErrors.replaceChildren();
    generalErrors.hidden = true;
  }

  function showErrors(errors) {
    clearErrors();
    const visible = new Set(fields().map((f) => f.name).filter((name) => !hidden.has(name) && wrapper(name)));
    const { byField, general } = splitErrors(errors, visible);
    for (const [name, messages] of Object.entries(byField)) {
      const list = form.querySelector(`[data-errors-for="${CSS.escape(name)}"]`);
      list.replaceChildren(...messages.map((m) => Object.assign(document.createElement("li"), { textContent: m })));
      list.hidden = false;
      wrapper(name).classList.add("has-error");
      form.elements.namedItem(name)?.setAttribute("aria-invalid", "true");
    }
    generalErrors.replaceChildren(...general.map((m) => Object.assign(document.createElement("p"), { textContent: m })));
    generalErrors.hidden = general.length === 0;
    const first = Object.keys(byField)[0];
    (first ? form.elements.namedItem(first) : generalErrors)?.focus?.();
  }

  async function submit(event) {
    event.preventDefault();
    const { spec, errors } = formToSpec(fields(), { skip: hidden });
    if (Object.keys(errors).length) return showErrors(errors);
    clearErrors();
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    onSubmit(spec);
    let created = false;
    try {
      const response = await fetch(boot.api?.runs ?? "/api/runs", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(form) },
        body: JSON.stringify(spec),
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => null);
      created = response.status === 201 && Boolean(body?.id);
      if (created) onCreated({ ...body, status: "queued", spec });
      else if (response.status === 400 && body?.errors) showErrors(body.errors);
      else showErrors({ __all__: [`The server answered ${response.status}${body?.error ? `: ${body.error}` : ""}; the run did not start.`] });
    } catch (error) {
      showErrors({ __all__: [`Could not reach the server (${error.message}); the run did not start.`] });
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
      if (!created) onRefused();
    }
  }

  // The guess sits beside Run (in the sticky bar): predict, then press.
  const guess = wrapper("guess_ms");
  const actions = form.querySelector("#run-actions");
  if (guess && actions) actions.prepend(guess);
  renderPresets();
  strategySelect?.addEventListener("change", showStrategy);
  form.addEventListener("submit", submit);
  form.addEventListener("input", (event) => {
    if (event.target.name === "latencies_ms") markOverridden();
    if (event.target.name === "block_ms") forceOwnProcess();
    if (planned.has(event.target.name)) planChanged();
    // Edited by hand: no longer exactly the example (the guess is expected to change).
    if (event.target.name !== "guess_ms") {
      for (const b of presets?.querySelectorAll('[aria-pressed="true"]') ?? []) b.setAttribute("aria-pressed", "false");
    }
    // A corrected field loses its old complaint.
    const list = form.querySelector(`[data-errors-for="${CSS.escape(event.target.name ?? "")}"]`);
    if (list && !list.hidden) {
      list.hidden = true;
      wrapper(event.target.name)?.classList.remove("has-error");
      event.target.removeAttribute("aria-invalid");
    }
  });
  showStrategy();
  return {
    /** Show a run's spec: its values, every other field back to its initial value. */
    fill: (spec) => fill(presetValues(spec, fields(), boot.params ?? {})),
    showStrategy,
    showErrors,
  };
}

/** Django's CSRF token: the form's hidden input, else the cookie. */
export function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (input?.value) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
