// node --test tests/js/ : which guards the form turns on, for the code panel's plan line.
import { test } from "node:test";
import assert from "node:assert/strict";

import { GUARD_CODE, guardPlan } from "../../static/playground/code-panel.js";

const GATHER = { name: "gather", params: ["return_exceptions"], guards: ["limit", "rate", "timeout_ms", "retries", "deadline_ms"] };

test("guardPlan: a number above 0 turns a guard on, as wire() reads the spec", () => {
  const { on, off } = guardPlan(GATHER, { limit: "3", rate: "", timeout_ms: " ", retries: "0", deadline_ms: "x" });
  assert.deepEqual(on, [{ param: "limit", code: "limited", value: "3" }]);
  assert.deepEqual(off.map((g) => g.param), ["rate", "timeout_ms", "retries", "deadline_ms"]);
});

test("guardPlan follows the strategy's own guard list, in its order", () => {
  const semaphore = { name: "semaphore", params: ["limit"], guards: ["rate", "retries"] };
  const { on, off } = guardPlan(semaphore, { limit: "5", retries: "2" });
  assert.deepEqual(on.map((g) => g.code), ["with_retries"]); // limit is its own, not a guard
  assert.deepEqual(off.map((g) => g.code), ["at_rate"]);
  assert.deepEqual(guardPlan(undefined, { limit: "3" }), { on: [], off: [] });
});

test("every guard parameter names the code it adds", () => {
  for (const param of GATHER.guards) assert.ok(GUARD_CODE[param], param);
});
