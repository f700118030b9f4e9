/**
 * The teacher's page of a class: the roster, live, from the class socket; remove a learner;
 * show or hide names to learners.
 *
 *   boot (class_public) ──ws──> connectRun(/ws/classes/<code>/) ──class.roster──> the list, the count
 *                                        (the stage's, the round's, the gallery's messages: their parts; its state: the stage too)
 *   Remove button ──DELETE /api/classes/<code>/learners/<id>──> 204 (the roster message follows)
 *   "Learners see each other's names" ──PATCH /api/classes/<code> {show_names}──> 200
 */

import { clock, countWords } from "./class-words.js";
import { csrfToken } from "./form.js";
import { mountGallery } from "./class-gallery.js";
import { joinHandlers } from "./class-handlers.js";
import { mountRound } from "./class-round.js";
import { mountStage } from "./class-stage.js";
import { connectRun } from "./socket.js";

const $ = (id) => document.getElementById(id);
const boot = JSON.parse($("boot").textContent);
const api = `/api/classes/${boot.code}`;
const settingsForm = $("class-settings");
const STATUS_WORDS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Disconnected" };

function renderRoster(message) {
  $("roster-count").textContent = countWords(message.count, boot.max_learners);
  $("roster-empty").hidden = message.count > 0;
  const items = message.learners.map((learner) => {
    const li = document.createElement("li");
    li.dataset.learner = String(learner.id);
    const name = document.createElement("span");
    name.className = "learner-name";
    name.textContent = learner.name; // text, never markup
    const joined = document.createElement("small");
    joined.textContent = ` joined ${clock(learner.joined)}`;
    name.append(joined);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${learner.name}`);
    remove.addEventListener("click", () => removeLearner(learner, remove));
    li.append(name, remove);
    return li;
  });
  $("roster").replaceChildren(...items);
}

function showError(text) {
  $("class-error").textContent = text;
  $("class-error").hidden = !text;
}

async function call(method, url, body) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken(settingsForm) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const text = data.error ?? Object.values(data.errors ?? {}).flat().join(" ");
    throw new Error(text || `The server answered ${response.status}.`);
  }
  return response;
}

async function removeLearner(learner, button) {
  button.disabled = true;
  try {
    await call("DELETE", `${api}/learners/${learner.id}`);
    showError("");
  } catch (error) {
    button.disabled = false;
    showError(`Could not remove ${learner.name}: ${error.message}`);
  }
}

$("show-names").addEventListener("change", async (event) => {
  const box = event.target;
  try {
    await call("PATCH", api, { show_names: box.checked });
    showError("");
  } catch (error) {
    box.checked = !box.checked;
    showError(`Could not change the setting: ${error.message}`);
  }
});

const status = $("class-status");
const parts = { role: "teacher" };
const connection = connectRun(boot.ws, {
  // Joined, not spread: every part reads its share of class.hello.
  handlers: joinHandlers(mountStage(parts), mountRound(parts), mountGallery(parts), {
    "class.roster": renderRoster,
    "class.ended": (message) => {
      connection.close();
      showError(message.message);
    },
    error: (message) => showError(message.error),
  }),
  onStatus: (state) => {
    status.dataset.state = state === "closed" ? "error" : state;
    status.textContent = STATUS_WORDS[state] ?? state;
    parts.stageStatus?.(state); // the stage's runs come on this socket: their clocks hold while it is down
  },
});
window.playgroundClass = { connection };
