// node --test tests/js/ : which guards the form turns on, for the code panel's plan line.
import { test } from "node:test";
import assert from "node:assert/strict";

import { GUARD_CODE, guardPlan, pygmentsTokens } from "../../static/playground/code-panel.js";

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

test("pygmentsTokens reads Pygments' flat spans and escaped text, exactly", () => {
  // As playground/strategies/shown.py makes it (HtmlFormatter(nowrap=True)), for `if a < b & c:  # <x>`.
  const html = '<span class="k">if</span> <span class="n">a</span> <span class="o">&lt;</span> b &amp; c<span class="p">:</span>  <span class="c1"># &lt;x&gt;</span>\n';
  const tokens = pygmentsTokens(html);
  assert.equal(tokens.map((t) => t.text).join(""), "if a < b & c:  # <x>\n");
  assert.deepEqual(tokens.slice(0, 2), [{ cls: "k", text: "if" }, { cls: null, text: " " }]);
  assert.deepEqual(tokens.at(-2), { cls: "c1", text: "# <x>" });
  assert.deepEqual(pygmentsTokens('<span class="s2"></span>'), [{ cls: "s2", text: "" }]);
});

test("pygmentsTokens refuses anything else: other tags, attributes, nesting, raw & or <", () => {
  for (const html of [
    '<img src="x" onerror="alert(1)">',
    '<span class="n" onclick="alert(1)">x</span>',
    '<span class="n"><b>x</b></span>',
    '<span class="n">x',
    "a & b",
    "a &quot; b",
    "a < b",
    '<span class="a&quot;">x</span>',
  ]) {
    assert.equal(pygmentsTokens(html), null, html);
  }
});
