// node --test tests/js/ : the Python tokenizer behind the code panel.
import { test } from "node:test";
import assert from "node:assert/strict";

import { tokenizePython } from "../../static/playground/highlight.js";

const SOURCE = `async def run_gather(fetch, n):
    # every request starts at once
    return await asyncio.gather(*(fetch(i) for i in range(n)), return_exceptions=True)
`;

test("tokens join back into the source exactly", () => {
  assert.equal(tokenizePython(SOURCE).map((token) => token.text).join(""), SOURCE);
});

test("keywords, names, comments, strings and numbers are told apart", () => {
  const tokens = tokenizePython(`${SOURCE}x = "await not here" + 'a' * 1_000\n`);
  const of = (type) => tokens.filter((token) => token.type === type).map((token) => token.text);
  assert.deepEqual(of("keyword"), ["async", "def", "return", "await", "for", "in", "True"]);
  assert.deepEqual(of("name"), ["run_gather"]);
  assert.deepEqual(of("comment"), ["# every request starts at once"]);
  assert.deepEqual(of("string"), ['"await not here"', "'a'"]);
  assert.deepEqual(of("number"), ["1_000"]);
});

test("triple-quoted docstrings are one string", () => {
  const tokens = tokenizePython('def f():\n    """Run it.\n\n    await nothing here."""\n');
  assert.deepEqual(tokens.filter((token) => token.type === "string").length, 1);
  assert.equal(tokens.some((token) => token.type === "keyword" && token.text === "await"), false);
});
