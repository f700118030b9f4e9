/**
 * The projector view of a class (/class/<code>/projector/, the teacher's browser): the stage large,
 * from the class socket; no names (class-stage.js, role "projector"); the roster is not shown.
 */

import { mountStage } from "./class-stage.js";
import { connectRun } from "./socket.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const status = document.getElementById("class-status");
const STATUS_WORDS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Disconnected" };

connectRun(boot.ws, {
  handlers: mountStage({ role: "projector" }),
  onStatus: (state) => {
    status.dataset.state = state === "closed" ? "error" : state;
    status.textContent = STATUS_WORDS[state] ?? state;
  },
});
