// node --test tests/js/ : a round of guesses in numbers and words (round-model.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  axisFraction,
  closestGuesses,
  countWords,
  duration,
  histogram,
  offWords,
  parseGuess,
  quantile,
  revealWords,
  roundNewer,
  specWords,
  stateWords,
} from "../../static/playground/round-model.js";

test("a typed guess in ms, s or min becomes whole ms; anything else says what to type", () => {
  assert.deepEqual(parseGuess("800"), { ms: 800 });
  assert.deepEqual(parseGuess(" 800 ms "), { ms: 800 });
  assert.deepEqual(parseGuess("1.5 s"), { ms: 1500 });
  assert.deepEqual(parseGuess("1,5s"), { ms: 1500 });
  assert.deepEqual(parseGuess("2 min"), { ms: 120_000 });
  assert.deepEqual(parseGuess("0.25 seconds"), { ms: 250 });
  assert.match(parseGuess("soon").error, /800 ms or 1.5 s/);
  assert.match(parseGuess("").error, /800 ms/);
  assert.match(parseGuess("-3").error, /800 ms/);
  assert.equal(parseGuess("0").error, "Guess between 1 ms and 10 min.");
  assert.equal(parseGuess("11 min").error, "Guess between 1 ms and 10 min.");
});

test("durations read as a person says them", () => {
  assert.equal(duration(850), "850 ms");
  assert.equal(duration(1500), "1.5 s");
  assert.equal(duration(12_340), "12.3 s");
  assert.equal(duration(61_000), "1 min 1 s");
  assert.equal(duration(120_000), "2 min");
});

test("the closest guesses: the nearest to the wall time, every one of a tie", () => {
  const guesses = [400, 600, 510, 9000].map((guess_ms, learner) => ({ guess_ms, learner }));
  assert.deepEqual(closestGuesses(guesses, 500).map((g) => g.guess_ms), [510]);
  guesses[2].guess_ms = 700;
  assert.deepEqual(closestGuesses(guesses, 500).map((g) => g.guess_ms), [400, 600]);
  assert.deepEqual(closestGuesses(guesses, null), []);
  assert.deepEqual(closestGuesses([], 500), []);
});

test("bins hold every guess on a nice axis from 0 that shows the wall and the ideal", () => {
  const guesses = [120, 180, 190, 260, 510].map((guess_ms, learner) => ({ guess_ms, learner }));
  const model = histogram(guesses, { wall_ms: 205, ideal_ms: 200, mine: 190 });
  assert.equal(model.width, 50);
  assert.equal(model.lo, 0);
  assert.ok(model.hi >= 510);
  assert.equal(model.bins.reduce((n, b) => n + b.count, 0), 5);
  const at = (ms) => model.bins.find((b) => b.lo <= ms && ms < b.hi);
  assert.equal(at(180).count, 2);
  assert.equal(at(190).mine, true);
  assert.equal(at(190).closest, true); // 190 is 15 ms off, the nearest
  assert.equal(at(120).closest, false);
  assert.equal(model.tallest, 2);
  assert.equal(model.wall, 205);
  assert.equal(model.ideal, 200);
});

test("the server's closest marks win; only a true outlier (past 4 x the 90th percentile) goes to 'more'", () => {
  const guesses = [100, 150, 200, 220, 240, 250, 260, 280, 300, 320, 350, 400].map((guess_ms, learner) => ({
    guess_ms,
    learner,
    closest: guess_ms === 300,
  }));
  guesses.push({ guess_ms: 600_000, learner: 99, closest: false });
  const model = histogram(guesses, { wall_ms: 290, ideal_ms: 200 });
  assert.equal(model.scale, "linear");
  const last = model.bins.at(-1);
  assert.equal(last.more, true);
  assert.equal(last.count, 1);
  assert.ok(model.hi <= 1000, model.hi); // the axis stays near the class's guesses, not at 10 minutes
  assert.equal(model.bins.filter((b) => b.closest).length, 1);
  assert.equal(model.bins.find((b) => b.closest).lo <= 300, true);
});

test("guesses ten times the measured time get a log axis of their own bars, not one 'more' bar", () => {
  // gather over 10 x 200 ms, measured 215 ms: most of the class guessed 10 x 200 ms = 2 s, or so.
  const slow = Array.from({ length: 16 }, (_, i) => 1000 + i * 130); // 1,000 .. 2,950 ms
  const fast = [200, 210, 220, 230, 250, 300, 400, 600];
  const guesses = [...slow, ...fast].map((guess_ms, learner) => ({ guess_ms, learner }));
  const model = histogram(guesses, { wall_ms: 215, ideal_ms: 200, mine: 2950 });
  assert.equal(model.scale, "log");
  assert.equal(model.bins.some((b) => b.more), false);
  assert.equal(model.bins.reduce((n, b) => n + b.count, 0), 24);
  const slowBins = model.bins.filter((b) => b.lo >= 1000 && b.count);
  assert.ok(slowBins.length >= 3, JSON.stringify(slowBins)); // 1-3 s spread over several bars
  assert.equal(slowBins.reduce((n, b) => n + b.count, 0), 16);
  assert.ok(model.lo <= 200 && model.hi >= 2950, `${model.lo}..${model.hi}`);
  const ratios = model.bins.map((b) => b.hi / b.lo);
  assert.ok(Math.max(...ratios) / Math.min(...ratios) < 1.3, ratios.join()); // bins about equal in ratio
  assert.ok(model.ticks.includes(1000), model.ticks.join());
  assert.equal(model.bins.find((b) => b.lo <= 2950 && 2950 < b.hi).mine, true);
  assert.equal(model.bins.find((b) => b.lo <= 210 && 210 < b.hi).closest, true);
  // The axis: the wall time near the left, by ratio; 1 s a third of the way further than 200 ms -> 2 s.
  assert.equal(axisFraction(model, model.lo), 0);
  assert.equal(axisFraction(model, model.hi), 1);
  const at = (ms) => axisFraction(model, ms);
  assert.ok(Math.abs(at(2000) - at(1000) - (at(400) - at(200))) < 1e-9); // equal ratios, equal distances
});

test("a 3-guess class with one wild guess: a log axis shows all three, none hidden", () => {
  const guesses = [100, 300, 600_000].map((guess_ms, learner) => ({ guess_ms, learner }));
  const model = histogram(guesses, { wall_ms: 250, ideal_ms: 200 });
  assert.equal(model.scale, "log");
  assert.equal(model.bins.some((b) => b.more), false);
  assert.equal(model.bins.filter((b) => b.count).length, 3);
  assert.ok(model.bins.length <= 24, model.bins.length);
});

test("the linear axis stays linear from 0 when the times are within 10 x of each other", () => {
  const guesses = [150, 400, 900].map((guess_ms, learner) => ({ guess_ms, learner }));
  const model = histogram(guesses, { wall_ms: 300, ideal_ms: 200 });
  assert.equal(model.scale, "linear");
  assert.equal(model.lo, 0);
  assert.equal(axisFraction(model, model.hi / 2), 0.5);
  assert.equal(model.ticks[0], 0);
});

test("quantile: nearest rank", () => {
  assert.equal(quantile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9), 9);
  assert.equal(quantile([7], 0.9), 7);
  assert.equal(quantile([], 0.9), null);
});

test("how far off, in words", () => {
  assert.equal(offWords(800, 500), "300 ms too long (1.6 × the time)");
  assert.equal(offWords(250, 500), "250 ms too short (50% of the time)");
  assert.equal(offWords(500, 500), "exactly right");
});

test("a spec, a state and a reveal in words", () => {
  assert.equal(specWords({ strategy: "gather", requests: 3, latency_ms: 100 }), "gather · 3 requests · 100 ms each");
  assert.equal(
    specWords({ strategy: "semaphore", requests: 6, latency_ms: 200, limit: 2 }),
    "semaphore · 6 requests · 200 ms each · limit 2",
  );
  assert.equal(specWords({ strategy: "gather", latencies_ms: [300, 500, 200] }), "gather · 3 requests of 300, 500, 200 ms");
  assert.equal(specWords(null), "");
  const open = { number: 2, state: "open", guesses: 1 };
  // The state's words (a live region) carry no count: a guess changes the count, not the words.
  assert.equal(stateWords(open, "teacher"), "Round 2 is open.");
  assert.equal(stateWords({ ...open, guesses: 7 }, "teacher"), stateWords(open, "teacher"));
  assert.equal(stateWords(open, "learner"), "Round 2: how long will it take?");
  assert.equal(stateWords({ ...open, state: "locked", guesses: 3 }, "learner"), "Guesses are locked: the run has started.");
  assert.equal(stateWords(null, "learner"), "");
  assert.equal(stateWords({ ...open, guesses: 5 }, "projector"), "Round 2: how long will it take? 5 guesses so far.");
  assert.equal(countWords(open), "1 guess so far.");
  assert.equal(countWords({ ...open, state: "locked", guesses: 3 }), "3 guesses.");
  assert.equal(countWords(null), "");
  const reveal = {
    guesses: [
      { guess_ms: 300, learner: 1, closest: true, name: "Ada" },
      { guess_ms: 900, learner: 2, closest: false, name: "Bo" },
    ],
    wall_ms: 310,
    ideal_ms: 300,
  };
  assert.equal(revealWords(reveal), "2 guesses; measured 310 ms; ideal 300 ms; closest: Ada (300 ms).");
  reveal.guesses.forEach((g) => delete g.name);
  assert.equal(revealWords(reveal), "2 guesses; measured 310 ms; ideal 300 ms; closest: 300 ms.");
});

test("a late round message (a POST's answer after the socket's lock) never puts the round back", () => {
  const open = { number: 3, state: "open", guesses: 2 };
  const locked = { ...open, state: "locked" };
  assert.equal(roundNewer(locked, open), false, "locked, then the guess's answer: still locked");
  assert.equal(roundNewer({ ...locked, state: "revealed" }, locked), false);
  assert.equal(roundNewer(open, locked), true);
  assert.equal(roundNewer(open, { ...open, guesses: 3 }), true, "the same state: the newer count");
  assert.equal(roundNewer(locked, { number: 4, state: "open", guesses: 0 }), true, "a new round");
  assert.equal(roundNewer({ number: 4, state: "open" }, locked), false, "the last round's lock, late");
  assert.equal(roundNewer(null, open), true);
  assert.equal(roundNewer(null, null), true);
  assert.equal(roundNewer(open, null), false);
});
