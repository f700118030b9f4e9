// node --test tests/js/ : the class socket's handlers, joined from the parts of a class page.
import { test } from "node:test";
import assert from "node:assert/strict";

import { joinHandlers } from "../../static/playground/class-handlers.js";

test("the class socket's handlers are joined: every part's handler of a type is called, in order", () => {
  const seen = [];
  const handlers = joinHandlers(
    { "class.hello": (m) => seen.push(["stage", m.n]) },
    { "class.hello": (m) => seen.push(["gallery", m.n]), "class.paused": (m) => seen.push(["paused", m.paused]) },
    { "class.roster": () => seen.push(["roster"]), skipped: "not a function" },
  );
  assert.deepEqual(Object.keys(handlers).sort(), ["class.hello", "class.paused", "class.roster"]);
  handlers["class.hello"]({ n: 1 });
  handlers["class.paused"]({ paused: true });
  assert.deepEqual(seen, [["stage", 1], ["gallery", 1], ["paused", true]]);
});

test("one part's failing handler does not keep the message from the next; its error is thrown after", () => {
  const seen = [];
  const handlers = joinHandlers(
    { "class.hello": () => { throw new Error("stage broke"); } },
    { "class.hello": (m) => seen.push(["gallery", m.paused]) },
  );
  assert.throws(() => handlers["class.hello"]({ paused: true }), /stage broke/);
  assert.deepEqual(seen, [["gallery", true]]);
});
