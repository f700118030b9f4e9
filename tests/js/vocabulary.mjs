// The server's shared words (playground/events.py vocabulary()), as the page gets them in its
// boot data. tests/test_vocabulary.py fails when this file is not vocabulary() exactly; rewrite it with
//   .venv/bin/python -c "import json; from playground.events import vocabulary; print(json.dumps(vocabulary(), indent=2))" > tests/js/vocabulary.json
import { readFileSync } from "node:fs";

export const VOCABULARY = JSON.parse(readFileSync(new URL("./vocabulary.json", import.meta.url), "utf8"));
