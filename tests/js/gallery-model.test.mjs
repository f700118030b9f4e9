// node --test tests/js/ : the class gallery's cards sorted, filtered, picked and put in words.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  cardKey,
  cardWords,
  countWords,
  filterCards,
  isOver,
  listKey,
  paramsWords,
  pickedStill,
  pickToggle,
  shownCards,
  sortCards,
  strategiesOf,
  wallWords,
} from "../../static/playground/gallery-model.js";

const card = (run, name, strategy, wall_s, created, status = "finished") => ({
  run, learner: 1, name, strategy, params: { limit: 5 }, n: 10, status, wall_s, created, url: `/runs/${run}/`,
});
const CARDS = [
  card("a", "Quiet Otter", "gather", 0.4, "2026-11-28T10:00:01+00:00"),
  card("b", "brave Heron", "sequential", 2.5, "2026-11-28T10:00:03+00:00"),
  card("c", "Calm Lynx", "semaphore", null, "2026-11-28T10:00:05+00:00", "running"),
  card("d", "Quiet Otter", "semaphore", 1.1, "2026-11-28T10:00:02+00:00"),
];
const runs = (cards) => cards.map((c) => c.run);

test("sorts: newest, fastest and slowest (unfinished last), by name ignoring case", () => {
  assert.deepEqual(runs(sortCards(CARDS, "newest")), ["c", "b", "d", "a"]);
  assert.deepEqual(runs(sortCards(CARDS, "fastest")), ["a", "d", "b", "c"]);
  assert.deepEqual(runs(sortCards(CARDS, "slowest")), ["b", "d", "a", "c"]);
  assert.deepEqual(runs(sortCards(CARDS, "name")), ["b", "c", "d", "a"]); // one name's runs: newest first
  assert.deepEqual(runs(sortCards(CARDS, "no such sort")), ["c", "b", "d", "a"]);
  assert.deepEqual(runs(CARDS), ["a", "b", "c", "d"]); // the given list is left as it was
});

test("filters by strategy and by a part of the learner's name, in any case", () => {
  assert.deepEqual(runs(filterCards(CARDS, { strategy: "semaphore" })), ["c", "d"]);
  assert.deepEqual(runs(filterCards(CARDS, { text: "  otter " })), ["a", "d"]);
  assert.deepEqual(runs(filterCards(CARDS, { strategy: "semaphore", text: "OTTER" })), ["d"]);
  assert.deepEqual(runs(filterCards(CARDS, { text: "nobody" })), []);
  assert.deepEqual(runs(shownCards(CARDS, { sort: "fastest", strategy: "semaphore" })), ["d", "c"]);
  assert.deepEqual(strategiesOf(CARDS), ["gather", "semaphore", "sequential"]);
});

test("a card in words: name, strategy and requests, parameters, status with its wall time", () => {
  assert.deepEqual(cardWords(CARDS[0]), {
    title: "Quiet Otter", line: "gather · 10 requests", params: "limit 5", status: "finished in 400 ms",
  });
  assert.equal(cardWords(CARDS[1]).status, "finished in 2.5 s");
  assert.equal(cardWords(CARDS[2]).status, "running…");
  assert.equal(cardWords({ ...CARDS[0], status: "queued" }).status, "waiting for a worker");
  assert.equal(cardWords({ ...CARDS[0], status: "failed" }).status, "failed");
  assert.equal(cardWords({ ...CARDS[0], n: 1 }).line, "gather · 1 request");
  assert.equal(paramsWords({ latency_ms: 200, retry: true, latencies_ms: [1, 2, 3] }), "latency_ms 200 · retry true · latencies_ms [3]");
  assert.equal(wallWords(null), "");
  assert.equal(countWords(2, 4), "2 of 4 runs");
  assert.equal(countWords(1, 1), "1 run");
  assert.equal(isOver(CARDS[2]), false);
  assert.equal(isOver({ status: "cancelled" }), true);
});

test("a card's key changes with its status and wall time; the list's key with the order and the cards", () => {
  const running = CARDS[2];
  const done = { ...running, status: "finished", wall_s: 0.7 };
  assert.notEqual(cardKey(running), cardKey(done));
  assert.notEqual(cardKey(done), cardKey({ ...done, wall_s: 0.8 }));
  assert.equal(cardKey(done), cardKey({ ...done, name: "Renamed", params: {} })); // what cannot change is not in it
  assert.equal(listKey(sortCards(CARDS, "newest")), listKey(sortCards([...CARDS].reverse(), "newest")));
  assert.notEqual(listKey(sortCards(CARDS, "newest")), listKey(sortCards(CARDS, "fastest")));
  assert.notEqual(listKey(CARDS), listKey(CARDS.slice(1)));
  assert.equal(listKey([]), "");
});

test("picking for a comparison keeps the last two; a second click unpicks; a card gone is unpicked", () => {
  let picked = pickToggle([], "a");
  picked = pickToggle(picked, "b");
  assert.deepEqual(picked, ["a", "b"]);
  assert.deepEqual(pickToggle(picked, "c"), ["b", "c"]);
  assert.deepEqual(pickToggle(picked, "a"), ["b"]);
  assert.deepEqual(pickedStill(["a", "x"], CARDS), ["a"]);
});
