/**
 * Just enough Python highlighting for a strategy's source: the words that carry
 * the lesson (async, await, asyncio.gather, Semaphore ...) stand out. Pure: the
 * tokenizer returns {type, text} pieces that join back into the source exactly.
 */

const KEYWORDS = new Set(
  ("and as assert async await break class continue def del elif else except finally for from " +
    "global if import in is lambda nonlocal not or pass raise return try while with yield " +
    "None True False").split(" "),
);
const TOKEN = new RegExp(
  [
    String.raw`(?<comment>#[^\n]*)`,
    String.raw`(?<string>[rbfuRBFU]{0,2}(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))`,
    String.raw`(?<decorator>@[\w.]+)`,
    String.raw`(?<number>\b\d[\d_]*(?:\.\d*)?(?:e[+-]?\d+)?\b)`,
    String.raw`(?<word>[A-Za-z_]\w*)`,
  ].join("|"),
  "g",
);

/** Source -> [{type: "keyword" | "string" | "comment" | "number" | "decorator" | "name" | "plain", text}]. */
export function tokenizePython(source) {
  const tokens = [];
  let last = 0;
  let afterDef = false;
  for (const match of source.matchAll(TOKEN)) {
    if (match.index > last) tokens.push({ type: "plain", text: source.slice(last, match.index) });
    const [text] = match;
    let type = Object.keys(match.groups).find((group) => match.groups[group] !== undefined);
    if (type === "word") type = KEYWORDS.has(text) ? "keyword" : afterDef ? "name" : "plain";
    afterDef = text === "def" || text === "class";
    tokens.push({ type, text });
    last = match.index + text.length;
  }
  if (last < source.length) tokens.push({ type: "plain", text: source.slice(last) });
  return tokens;
}

/** Fill `code` (a <code> element) with highlighted spans; text only, never HTML. */
export function renderPython(code, source) {
  const doc = code.ownerDocument;
  code.replaceChildren(
    ...tokenizePython(source ?? "").map(({ type, text }) => {
      if (type === "plain") return doc.createTextNode(text);
      const span = doc.createElement("span");
      span.className = `tok-${type}`;
      span.textContent = text;
      return span;
    }),
  );
}
