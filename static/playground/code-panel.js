/**
 * The code panel: the code that will run (before a run) or that ran (a run on screen).
 *
 *   form: strategy + guard fields ──showPlan()──> the strategy's code, its helpers, and
 *                                                 a line naming the guards the fields add
 *   run.started {code: [{title, where, tokens}]} ──showRun()──> every piece, in order:
 *         the strategy open, the rest (helpers, guards, wire, Api.fetch) in <details>
 *
 * The server highlights each piece with Pygments (playground/strategies/shown.py): `tokens`
 * are [css class, text] pairs; showSource() makes a span of each, which app.css colours.
 *
 * guardPlan() is pure (Node tests it); the rest writes the DOM.
 */

// The function each guard parameter adds around api.fetch, as wire() applies them
// (playground/strategies/guards.py); the deadline is wire()'s own asyncio.timeout_at.
export const GUARD_CODE = {
  limit: "limited",
  rate: "at_rate",
  timeout_ms: "with_timeout",
  retries: "with_retries",
  deadline_ms: "wire()'s deadline",
};

/**
 * The guards `strategy` combines with, split by the form's `values` into those a run
 * would turn on (a number above 0, as wire() reads them) and those left empty.
 */
export function guardPlan(strategy, values = {}) {
  const on = [];
  const off = [];
  for (const param of strategy?.guards ?? []) {
    const text = String(values[param] ?? "").trim();
    const entry = { param, code: GUARD_CODE[param] ?? param, value: text };
    (text !== "" && Number(text) > 0 ? on : off).push(entry);
  }
  return { on, off };
}

export function createCodePanel({ panel, boot }) {
  const strategies = boot.strategies ?? [];
  const labels = boot.params ?? {};
  const $ = (selector) => panel?.querySelector(selector);
  const label = (param) => labels[param]?.label ?? param;

  /** One sentence from strings and {code} parts: names in <code>, never HTML. */
  function sentence(el, parts) {
    el.replaceChildren(...parts.map((part) => (typeof part === "string" ? part : Object.assign(document.createElement("code"), { textContent: part.code }))));
    el.hidden = parts.length === 0;
  }

  function planNote({ on, off }) {
    const parts = [];
    if (on.length) {
      parts.push("Guards the run will add around api.fetch: ");
      on.forEach((g, i) => parts.push(...(i ? [", "] : []), { code: g.code }, ` (${g.param} = ${g.value})`));
      parts.push(". Their code, wire() and Api.fetch are listed here once the run starts. ");
    }
    if (off.length) {
      parts.push(on.length ? "Filling another guard adds more: " : "No guards yet. Filling a guard field adds its code: ");
      off.forEach((g, i) => parts.push(...(i ? [", "] : []), `${label(g.param)} → `, { code: g.code }));
      parts.push(".");
    }
    return parts;
  }

  function render({ ran, strategy, pieces, note }) {
    if (!panel) return;
    const heading = $("[data-code='heading']");
    if (heading) heading.textContent = ran ? "The code that ran" : "The code that will run";
    const title = $("[data-strategy='label']");
    if (title) title.textContent = strategy?.label ?? "Strategy";
    panel.dataset.mode = ran ? "run" : "plan";
    const [main, ...rest] = pieces;
    $("[data-code='title']").textContent = main?.title ?? "";
    const where = $("[data-code='where']");
    where.textContent = main?.where ?? "";
    where.hidden = !main?.where;
    const code = $("#strategy-source code") ?? $("#strategy-source");
    showSource(code, main ?? { source: "# Choose a strategy to see the code that runs." });
    $("#code-more").replaceChildren(...rest.map(collapsed));
    sentence($("[data-code='note']"), note);
    for (const key of ["what", "when", "pitfall", "ideal"]) {
      const el = $(`[data-strategy="${key}"]`);
      if (!el) continue;
      el.textContent = strategy?.[key] ?? "";
      el.closest("[data-strategy-row]")?.toggleAttribute("hidden", !strategy?.[key]);
    }
  }

  return {
    /** Before a run: `strategy` (a name) and the form's `values`. */
    showPlan({ strategy: name, values }) {
      const strategy = strategies.find((s) => s.name === name);
      const pieces = strategy ? [strategy.code, ...(strategy.helpers ?? [])] : [];
      render({ ran: false, strategy, pieces, note: strategy ? planNote(guardPlan(strategy, values)) : [] });
    },
    /** A run's own code, from its run.started; `spec` names its strategy. */
    showRun(code, spec) {
      const strategy = strategies.find((s) => s.name === spec?.strategy);
      const guards = code.filter((piece) => piece.title?.startsWith("Guard for")).length;
      const note = [
        `Everything that ran for this run, in reading order: the strategy${guards ? `, ${guards === 1 ? "the guard" : `${guards} guards`} its spec turned on` : ""}, `,
        { code: "wire()" },
        " that put them together, and ",
        { code: "Api.fetch" },
        ", the request itself. Open one to read it.",
      ];
      render({ ran: true, strategy, pieces: code, note });
    },
  };
}

/** A piece of code behind a <details>: its title and file:line, then its source. */
function collapsed(piece) {
  const details = document.createElement("details");
  details.className = "code-piece";
  const summary = document.createElement("summary");
  const title = Object.assign(document.createElement("span"), { className: "piece-title", textContent: piece.title ?? "" });
  summary.append(title);
  if (piece.where) summary.append(" ", Object.assign(document.createElement("code"), { className: "where", textContent: piece.where }));
  const pre = Object.assign(document.createElement("pre"), { className: "code", tabIndex: 0 });
  const code = document.createElement("code");
  showSource(code, piece);
  pre.append(code);
  details.append(summary, pre);
  return details;
}

/**
 * Fill `code` (a <code> element) with a piece's source, highlighted from the server's
 * Pygments tokens ([css class, text] pairs: set as class and text, never as markup);
 * a piece without tokens (a run stored before them, a placeholder) shows its plain `source`.
 */
export function showSource(code, piece) {
  if (!Array.isArray(piece?.tokens)) {
    code.textContent = piece?.source ?? "";
    return;
  }
  const doc = code.ownerDocument;
  code.replaceChildren(
    ...piece.tokens.map(([cls, text]) => (cls ? Object.assign(doc.createElement("span"), { className: cls, textContent: text }) : doc.createTextNode(text))),
  );
}
