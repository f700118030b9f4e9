/**
 * The class's round of guesses, on the teacher's page (teacher_rounds.html) and in each learner's
 * banner (learner_round.html): the same ids on both, what is shown follows the role.
 *
 *   mountRound({role}) -> {"class.hello", "class.round", "class.reveal"} handlers for the class socket
 *   (role "teacher", "learner", or "projector": display only, the count, the lock, the reveal, no names)
 *
 *   teacher: "Open a round" ──POST /api/classes/<code>/rounds {spec?}──> class.round (count, state, who guessed)
 *            the round locks on a run (the stage) ──the stage's lane sees it finish (parts.stageFinished)──> "Reveal" is ready
 *            "Reveal" ──POST .../reveal──> class.reveal to every page (a 409 says why not yet)
 *            the history (GET .../rounds) when the round's number or state changes; "Download CSV" is a link
 *   learner: guess box ──parseGuess──POST .../guesses {guess_ms}──> "your guess: X" (until the lock)
 *            class.reveal ──> the histogram, their own guess highlighted, how far off they were
 *
 * round-model.js says it in numbers and words (pure), round-view.js draws the histogram.
 */

import { csrfToken } from "./form.js";
import {
  countWords,
  duration,
  histogram,
  offWords,
  parseGuess,
  revealWords,
  roundNewer,
  specWords,
  stateWords,
} from "./round-model.js";
import { drawHistogram } from "./round-view.js";

const $ = (id) => document.getElementById(id);

async function post(url, body) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken(document) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const text = data.error ?? Object.entries(data.errors ?? {}).map(([field, m]) => `${field}: ${m.join(" ")}`).join(" ");
    throw new Error(text || `The server answered ${response.status}.`);
  }
  return data;
}

/** A guess without who made it: what the projector shows. */
function anonymous({ guess_ms, closest }) {
  return { guess_ms, closest };
}

/** What Run for everyone will run, on the teacher's round panel once a round is open. */
function nextWords(chosen, filled) {
  if (!chosen) return "The class predicts the next run you start with Run for everyone, whatever it is.";
  if (!filled) return `Set Run for everyone to “${chosen.label}” before you press it.`;
  return `Run for everyone is set to “${chosen.label}”: press it once the class has guessed.`;
}

/** Set a line's text, and hide it when empty; written only on a change, so a live region speaks
 * only when its words change (not on every classmate's guess). */
function say(id, text) {
  const node = $(id);
  if (!node || (node.textContent === text && node.hidden === !text)) return;
  node.textContent = text;
  node.hidden = !text;
}

export function mountRound(parts) {
  const { role } = parts;
  const box = $("round");
  if (!box) return {};
  // next: the teacher's words on what Run for everyone will run (set when they open a round)
  // finished: the stage runs seen to end (class-stage.js tells, parts.stageFinished): a locked round's
  // run among them makes Reveal ready, without a socket of this part's own on the run.
  const state = { api: null, round: null, mine: null, guessed: [], finished: new Set(), next: "", historyAsked: 0 };
  const teacher = role === "teacher";
  const projector = role === "projector"; // display only: no form, no buttons, no names
  if (teacher) {
    parts.stageFinished = (runId) => {
      state.finished.add(runId);
      render();
    };
  }

  function render() {
    const round = state.round;
    box.hidden = !teacher && !round;
    box.dataset.state = round?.state ?? "none";
    const finished = teacher && round?.state === "locked" && state.finished.has(round.run);
    say("round-state", stateWords(round, role) + (finished ? " The run has finished." : ""));
    say("round-spec-words", round?.spec ? `The run: ${specWords(round.spec)}` : "");
    if (projector) return;
    say("round-count", countWords(round)); // apart from the live region: a guess changes only this
    if (teacher) {
      const waiting = round?.state === "open" || round?.state === "locked";
      say("round-next", round?.state === "open" ? state.next : "");
      say("round-guessed", waiting && state.guessed.length ? `Guessed: ${state.guessed.map((l) => l.name).join(", ")}.` : "");
      $("round-reveal").disabled = !(round && (round.state === "locked" || round.state === "revealed"));
      return;
    }
    const open = round?.state === "open";
    $("guess-form").hidden = !open;
    const until = open ? " (you can change it until the run starts)" : "";
    say("guess-mine", state.mine != null ? `Your guess: ${duration(state.mine)}${until}.` : "");
  }

  function showReveal(message) {
    // The projector's socket is the teacher's, names and all: the room sees the times only.
    const reveal = projector ? { ...message, guesses: message.guesses.map(anonymous) } : message;
    // A learner's own guess: the one this page sent (or the hello's "mine"), never found by an id.
    const mine = role === "learner" ? state.mine : null;
    const model = histogram(reveal.guesses, { wall_ms: reveal.wall_ms, ideal_ms: reveal.ideal_ms, mine });
    const words = revealWords(reveal);
    drawHistogram($("round-histogram"), model, { label: `Histogram of the guesses: ${words}` });
    say("round-summary", words);
    $("round-figure").hidden = false;
    if (role === "learner") {
      const off = mine == null ? "You did not guess this round." : `You guessed ${duration(mine)}: ${offWords(mine, reveal.wall_ms)}.`;
      say("round-off", off);
    }
    if (teacher) listGuesses(reveal);
  }

  function hideReveal() {
    $("round-figure").hidden = true;
    say("round-off", "");
    if (teacher) $("round-guesses").replaceChildren();
  }

  function listGuesses(reveal) {
    const items = reveal.guesses.map((g) => {
      const li = document.createElement("li");
      const who = g.name ?? `Learner ${g.learner}`;
      li.textContent = `${g.closest ? "★ " : ""}${who}: ${duration(g.guess_ms)} (${offWords(g.guess_ms, reveal.wall_ms)})`;
      if (g.closest) li.className = "is-closest";
      return li;
    });
    $("round-guesses").replaceChildren(...items);
  }

  /** A round from the socket or an answer; one older than the round shown is dropped (it came late). */
  function setRound(round) {
    if (!roundNewer(state.round, round)) return false;
    const before = state.round;
    if (round?.number !== before?.number) hideReveal();
    state.round = round;
    render();
    // The history changes with a round's number or state, not with each guess (one message a guess).
    const moved = round?.number !== before?.number || round?.state !== before?.state;
    if (teacher && moved) loadHistory().catch(() => {}); // a convenience: the next change loads it again
    return true;
  }

  async function loadHistory() {
    if (!state.api) return;
    const asked = ++state.historyAsked; // answers may come out of order: only the last asked is shown
    const response = await fetch(`${state.api}/rounds`, { headers: { Accept: "application/json" } });
    if (!response.ok || asked !== state.historyAsked) return;
    const body = await response.json();
    if (asked !== state.historyAsked) return;
    const rows = body.rounds.map((r) => {
      const tr = document.createElement("tr");
      const closest = r.entries.filter((e) => e.closest).map((e) => e.name).join(", ");
      const ms = (x) => (x == null ? "" : duration(x));
      for (const cell of [r.number, r.state, r.guesses, ms(r.wall_ms), ms(r.ideal_ms), closest]) {
        const td = document.createElement("td");
        td.textContent = String(cell);
        tr.append(td);
      }
      return tr;
    });
    $("round-history").replaceChildren(...rows);
    $("round-history-empty").hidden = rows.length > 0;
  }

  if (teacher) {
    const presets = JSON.parse($("round-presets").textContent);
    $("round-open-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = presets.find((p) => p.name === $("round-spec").value);
      try {
        setRound(await post(`${state.api}/rounds`, chosen ? { spec: chosen.spec } : {}));
        // The class predicts the run it will watch: Run for everyone is set to the same preset.
        const filled = chosen ? (parts.stagePreset?.(chosen.name) ?? false) : false;
        state.next = nextWords(chosen, filled);
        render();
        say("round-error", "");
      } catch (error) {
        say("round-error", `Could not open a round: ${error.message}`);
      }
    });
    $("round-reveal").addEventListener("click", async () => {
      try {
        await post(`${state.api}/reveal`); // the reveal comes to this page over the socket too
        say("round-error", "");
      } catch (error) {
        say("round-error", `Not yet: ${error.message}`);
      }
    });
  } else if (!projector) {
    $("guess-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const parsed = parseGuess($("guess-input").value);
      if (parsed.error) return say("guess-error", parsed.error);
      try {
        const answer = await post(`${state.api}/guesses`, { guess_ms: parsed.ms });
        // Still this round's guess unless a newer round opened meanwhile (its "mine" is null).
        if (answer.round.number >= (state.round?.number ?? 0)) state.mine = answer.guess_ms;
        $("guess-input").value = "";
        say("guess-error", "");
        if (!setRound(answer.round)) render();
      } catch (error) {
        say("guess-error", error.message);
      }
    });
  }

  return {
    "class.hello": (hello) => {
      state.api = `/api/classes/${hello.class.code}`;
      state.mine = hello.mine ?? null;
      state.guessed = teacher ? (hello.guessed ?? []) : [];
      setRound(hello.round ?? null);
      if (hello.reveal) showReveal(hello.reveal);
    },
    "class.round": (message) => {
      if (!roundNewer(state.round, message.round)) return; // late: a newer round or state is shown
      if ("mine" in message) state.mine = message.mine;
      if (teacher && Array.isArray(message.guessed)) state.guessed = message.guessed; // the teacher's: who, never what
      setRound(message.round);
    },
    "class.reveal": (reveal) => {
      if (state.round?.number === reveal.round) showReveal(reveal);
    },
  };
}
