/**
 * The replay bar of finished runs (a run's page, a comparison): play, pause, speed, a
 * scrubber, step to the previous or next event. Buttons and animation frames -> replay.js
 * -> `show(replay, cursor)`, which the page points its timelines (and summary) at: the
 * replay's models, the cursor "now" there.
 *
 * Until the learner touches it the page shows the runs whole, as they came; the replay's
 * models at its end are the same runs, so leaving the cursor at the end changes nothing.
 */

import { formatSeconds } from "./scale.js";
import { SPEEDS } from "./replay.js";

/** The bar of templates/playground/replay_bar.html (its element ids), and what to show a replay with. */
export function attachReplay(show) {
  const $ = (id) => document.getElementById(id);
  const [bar, play, previous, next, speed, scrubber, time] = ["bar", "play", "previous", "next", "speed", "scrubber", "time"].map((part) => $(`replay-${part}`));
  let replay = null;
  let raf = 0;
  let last = 0;

  for (const s of SPEEDS) speed.append(new Option(`${s}x`, String(s), s === 1, s === 1));

  const render = () => {
    const ms = Math.round(replay.cursor * 1000);
    scrubber.value = String(ms);
    scrubber.setAttribute("aria-valuetext", `${formatSeconds(replay.cursor)} of ${formatSeconds(replay.duration)}`);
    time.textContent = `${formatSeconds(replay.cursor)} / ${formatSeconds(replay.duration)}`;
    play.textContent = raf ? "Pause" : replay.atEnd ? "Replay" : "Play";
    play.setAttribute("aria-pressed", raf ? "true" : "false");
    show(replay, replay.cursor);
  };
  const stop = () => {
    cancelAnimationFrame(raf);
    raf = 0;
  };
  const frame = (at) => {
    const done = replay.advance(Math.max(0, at - last) / 1000);
    last = at;
    raf = done ? 0 : requestAnimationFrame(frame);
    render();
  };
  const seek = (t) => {
    stop();
    replay.seek(t);
    render();
  };

  play.addEventListener("click", () => {
    if (!replay) return;
    if (raf) {
      stop();
      return render();
    }
    if (replay.atEnd) replay.seek(0);
    last = performance.now();
    raf = requestAnimationFrame(frame);
    render();
  });
  previous.addEventListener("click", () => replay && seek(replay.previousEventTime()));
  next.addEventListener("click", () => replay && seek(replay.nextEventTime()));
  scrubber.addEventListener("input", () => replay && seek(Number(scrubber.value) / 1000));
  speed.addEventListener("change", () => replay?.setSpeed(Number(speed.value)));

  return {
    /** A Replay (replay.js) of finished runs: the bar appears, the cursor at the end. */
    load(loaded) {
      stop();
      replay = loaded;
      replay.setSpeed(Number(speed.value));
      replay.seek(replay.duration);
      scrubber.max = String(Math.round(replay.duration * 1000));
      bar.hidden = false;
      play.textContent = "Replay";
      scrubber.value = scrubber.max;
      time.textContent = `${formatSeconds(replay.duration)} / ${formatSeconds(replay.duration)}`;
    },
    /** Other runs on screen: no replay until they are over. */
    clear() {
      stop();
      replay = null;
      bar.hidden = true;
    },
    get playing() {
      return raf !== 0;
    },
  };
}
