// node --test tests/js/ : the downloads' addresses and names.
import { test } from "node:test";
import assert from "node:assert/strict";

import { exportUrl, pngName } from "../../static/playground/downloads.js";

test("exportUrl names the run and the format; pngName the strategy and the run", () => {
  assert.equal(exportUrl("/api/runs", "abc-1", "trace"), "/api/runs/abc-1/export?format=trace");
  assert.equal(exportUrl("/api/runs", "a/b", "c&d"), "/api/runs/a%2Fb/export?format=c%26d");
  assert.equal(pngName("abc-1", "gather"), "run-gather-abc-1.png");
  assert.equal(pngName("abc-1", null), "run-run-abc-1.png");
});
