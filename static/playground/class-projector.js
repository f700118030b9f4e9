/**
 * The projector view of a class (/class/<code>/projector/, the teacher's browser): the stage large,
 * and the round of guesses, from the class socket; no names (class-stage.js and class-round.js, role
 * "projector": the socket is the teacher's and carries names, these parts drop them); no roster.
 */

import { joinHandlers } from "./class-handlers.js";
import { mountRound } from "./class-round.js";
import { mountStage } from "./class-stage.js";
import { connectRun } from "./socket.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const status = document.getElementById("class-status");
const STATUS_WORDS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Disconnected" };

const parts = { role: "projector" };
connectRun(boot.ws, {
  handlers: joinHandlers(mountStage(parts), mountRound(parts)),
  onStatus: (state) => {
    status.dataset.state = state === "closed" ? "error" : state;
    status.textContent = STATUS_WORDS[state] ?? state;
    parts.stageStatus?.(state); // the stage's runs come on this socket: their clocks hold while it is down
  },
});
