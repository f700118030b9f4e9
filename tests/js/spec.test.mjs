// node --test tests/js/ : form values <-> run spec, strategy parameters, errors.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  formToSpec,
  parseNumberList,
  presetValues,
  specToValues,
  splitErrors,
  strategyParams,
} from "../../static/playground/spec.js";

const FIELDS = [
  { name: "csrfmiddlewaretoken", kind: "text", value: "abc" },
  { name: "requests", kind: "number", value: "3", required: true },
  { name: "latency_ms", kind: "number", value: "200", required: true },
  { name: "latencies_ms", kind: "list", value: "300, 500, 200" },
  { name: "failure_rate", kind: "number", value: "0.1" },
  { name: "strategy", kind: "text", value: "gather", required: true },
  { name: "limit", kind: "number", value: "" },
  { name: "return_exceptions", kind: "checkbox", checked: false },
  { name: "guess_ms", kind: "number", value: " " },
];

test("formToSpec types numbers, lists and booleans and leaves out empty fields", () => {
  const { spec, errors } = formToSpec(FIELDS);
  assert.deepEqual(errors, {});
  assert.deepEqual(spec, {
    requests: 3,
    latency_ms: 200,
    latencies_ms: [300, 500, 200],
    failure_rate: 0.1,
    strategy: "gather",
    return_exceptions: false,
  });
});

test("formToSpec leaves out the parameters of other strategies", () => {
  const { spec } = formToSpec(FIELDS, { skip: new Set(["return_exceptions", "failure_rate"]) });
  assert.equal("return_exceptions" in spec, false);
  assert.equal("failure_rate" in spec, false);
});

test("formToSpec names a field it cannot read", () => {
  const { errors } = formToSpec([
    { name: "latencies_ms", kind: "list", value: "300, five" },
    { name: "requests", kind: "number", value: "1e" },
  ]);
  assert.match(errors.latencies_ms[0], /"five" is not a number/);
  assert.match(errors.requests[0], /"1e" is not a number/);
});

test("parseNumberList accepts commas, spaces, semicolons and an ms suffix", () => {
  assert.deepEqual(parseNumberList("300,500 200;100ms").value, [300, 500, 200, 100]);
  assert.deepEqual(parseNumberList("  ").value, []);
});

test("specToValues is the inverse for the form", () => {
  assert.deepEqual(specToValues({ latencies_ms: [300, 500, 200], limit: 10, return_exceptions: true, guess_ms: null }), {
    latencies_ms: "300, 500, 200",
    limit: "10",
    return_exceptions: true,
    guess_ms: "",
  });
});

test("presetValues sets given fields, initial values, and empties leftovers", () => {
  const values = presetValues(
    { strategy: "sequential", latencies_ms: [300, 500, 200] },
    FIELDS,
    { failure_rate: { initial: 0 }, latency_ms: { initial: 200 }, guess_ms: { initial: null } },
  );
  assert.equal(values.latency_ms, "200");
  assert.equal(values.strategy, "sequential");
  assert.equal(values.latencies_ms, "300, 500, 200");
  assert.equal(values.failure_rate, "0");
  assert.equal(values.guess_ms, ""); // a fresh prediction for a fresh example
  assert.equal(values.return_exceptions, false);
  assert.equal("requests" in values, false); // required, not in the preset: kept
  assert.equal("csrfmiddlewaretoken" in values, false);
});

test("strategyParams: own params, the guards that combine, the rest hidden", () => {
  const guards = ["limit", "rate", "timeout_ms", "retries", "deadline_ms"];
  const strategies = [
    { name: "gather", params: ["return_exceptions"], required: [], guards },
    { name: "semaphore", params: ["limit"], required: ["limit"], guards: guards.filter((g) => g !== "limit") },
    { name: "batches", params: ["batch_size"], required: ["batch_size"], guards },
    { name: "sequential", params: [], required: [], guards },
  ];
  const gather = strategyParams(strategies, "gather");
  assert.deepEqual([...gather.own], ["return_exceptions"]);
  assert.deepEqual([...gather.guards], guards); // limit, rate and retries combine with gather
  assert.deepEqual([...gather.hidden].sort(), ["batch_size"]);
  const semaphore = strategyParams(strategies, "semaphore");
  assert.deepEqual([...semaphore.own], ["limit"]);
  assert.deepEqual([...semaphore.required], ["limit"]);
  assert.equal(semaphore.guards.has("limit"), false); // its own, not a guard
  assert.deepEqual([...semaphore.hidden].sort(), ["batch_size", "return_exceptions"]);
  assert.deepEqual([...strategyParams(strategies, "sequential").hidden].sort(), ["batch_size", "return_exceptions"]);
  // Fields no strategy lists (the workload, a target) are never hidden; nor is anything for an unknown strategy.
  assert.equal(gather.hidden.has("target"), false);
  assert.deepEqual([...strategyParams(strategies, "mystery").hidden], []);
});

test("splitErrors puts field errors at fields and the rest above the form", () => {
  const { byField, general } = splitErrors(
    { requests: ["Must be 1..10000."], __all__: ["Pick one of limit or rate."], bogus: "nope" },
    new Set(["requests"]),
  );
  assert.deepEqual(byField, { requests: ["Must be 1..10000."] });
  assert.deepEqual(general, ["Pick one of limit or rate.", "bogus: nope"]);
});
