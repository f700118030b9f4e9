// node --test tests/js/ : one handler map for the class socket from the parts' maps.
import { test } from "node:test";
import assert from "node:assert/strict";

import { handlersOf } from "../../static/playground/class-handlers.js";

test("handlers of several parts for one type are each called, in order", () => {
  const seen = [];
  const handlers = handlersOf(
    { "class.hello": (m) => seen.push(["stage", m.n]) },
    {},
    { "class.hello": (m) => seen.push(["round", m.n]), "class.round": () => seen.push(["r"]) },
    { "class.roster": () => seen.push(["roster"]), skip: "not a function" },
  );
  handlers["class.hello"]({ n: 1 });
  handlers["class.round"]({});
  handlers["class.roster"]({});
  assert.deepEqual(seen, [["stage", 1], ["round", 1], ["r"], ["roster"]]);
  assert.equal("skip" in handlers, false);
});
