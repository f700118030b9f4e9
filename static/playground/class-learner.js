/**
 * A learner's class banner above the playground: how many have joined (their names if the
 * teacher shows them), and, if the teacher removes this learner or the class ends, saying so.
 *
 *   #class-banner[data-ws] ──connectRun──> class.roster ──> the count (and names)
 *                                          class.removed / class.ended / error ──> the banner says why; no reconnect;
 *                                            the gallery turns Run on again, the stage stops following (their handlers)
 *                                          its state (connecting | live | reconnecting | closed) ──> the stage (parts.stageStatus)
 */

import { learnersHere } from "./class-words.js";
import { mountGallery } from "./class-gallery.js";
import { joinHandlers } from "./class-handlers.js";
import { mountRound } from "./class-round.js";
import { mountStage } from "./class-stage.js";
import { connectRun } from "./socket.js";

const $ = (id) => document.getElementById(id);
const banner = $("class-banner");

function roster(message) {
  $("class-count").textContent = `${learnersHere(message.count)}.`;
  const names = message.show_names && Array.isArray(message.learners) ? message.learners.map((l) => l.name) : [];
  $("class-names").textContent = names.length ? `In the class: ${names.join(", ")}` : "";
  $("class-names").hidden = names.length === 0;
}

function gone(state, text) {
  connection.close();
  banner.dataset.state = state;
  $("class-count").textContent = "";
  $("class-names").hidden = true;
  $("class-gone").textContent = text;
  $("class-gone").hidden = false;
}

const parts = { role: "learner" };
const connection = connectRun(banner.dataset.ws, {
  // Joined, not spread: every part reads its share of class.hello.
  handlers: joinHandlers(mountStage(parts), mountRound(parts), mountGallery(parts), {
    "class.roster": roster,
    "class.removed": (message) => gone("removed", `${message.message} The playground still works on its own.`),
    "class.ended": (message) => gone("ended", message.message),
    error: (message) => gone("removed", message.error),
  }),
  onStatus: (state) => parts.stageStatus?.(state), // the stage's runs come on this socket: their clocks hold while it is down
});
