/**
 * Run spec <-> form values. Pure: no DOM, so Node can test it.
 *
 *   form fields ──formToSpec()──> {spec, errors}   the JSON body of POST /api/runs
 *   spec        ──specToValues()─> form values      presets, a loaded run's spec
 *   strategies  ──strategyParams()─> the chosen strategy's own fields, its guards, the rest hidden
 *
 * A field, as form.js reads it from the DOM:
 *   {name, kind: "number" | "checkbox" | "list" | "text", value, checked, required}
 */

// Hidden inputs that belong to the form, not to the spec.
const NOT_SPEC = new Set(["csrfmiddlewaretoken"]);

/** "300, 500 200;100" -> {value: [300, 500, 200, 100]}; a bad item -> {error}. */
export function parseNumberList(text) {
  const items = String(text).split(/[\s,;]+/).filter(Boolean);
  const value = [];
  for (const item of items) {
    const number = Number(item.replace(/ms$/i, ""));
    if (!Number.isFinite(number)) {
      return { value: null, error: `"${item}" is not a number: write milliseconds separated by commas, e.g. 300, 500, 200.` };
    }
    value.push(number);
  }
  return { value, error: null };
}

/**
 * The JSON spec for POST /api/runs. Empty fields are left out (the server applies
 * its defaults and names missing required ones); fields in `skip` (parameters the
 * chosen strategy does not read) are left out too. Errors are keyed by field name.
 */
export function formToSpec(fields, { skip = new Set() } = {}) {
  const spec = {};
  const errors = {};
  for (const field of fields) {
    const { name } = field;
    if (!name || NOT_SPEC.has(name) || skip.has(name)) continue;
    if (field.kind === "checkbox") {
      spec[name] = Boolean(field.checked);
      continue;
    }
    const text = String(field.value ?? "").trim();
    if (text === "") continue;
    if (field.kind === "list") {
      const { value, error } = parseNumberList(text);
      if (error) errors[name] = [error];
      else if (value.length) spec[name] = value;
    } else if (field.kind === "number") {
      const number = Number(text);
      if (Number.isFinite(number)) spec[name] = number;
      else errors[name] = [`"${text}" is not a number.`];
    } else {
      spec[name] = text;
    }
  }
  return { spec, errors };
}

/** Form values for a spec: lists joined with ", ", null as "", booleans kept. */
export function specToValues(spec) {
  const values = {};
  for (const [name, value] of Object.entries(spec ?? {})) {
    if (Array.isArray(value)) values[name] = value.join(", ");
    else if (typeof value === "boolean") values[name] = value;
    else values[name] = value === null || value === undefined ? "" : String(value);
  }
  return values;
}

/**
 * What a preset does to each field: its own value; else the parameter's declared
 * initial value (boot.params[name].initial: the fresh form's value); else an
 * optional field is emptied (no leftover latencies, guards or guess from the last
 * example); a required field keeps what it has (undefined = keep).
 */
export function presetValues(spec, fields, params = {}) {
  const given = specToValues(spec);
  const values = {};
  for (const field of fields) {
    const { name } = field;
    if (!name || NOT_SPEC.has(name)) continue;
    if (name in given) values[name] = given[name];
    else if (params[name] && "initial" in params[name]) values[name] = specToValues({ v: params[name].initial }).v;
    else if (field.kind === "checkbox") values[name] = false;
    else if (!field.required) values[name] = "";
  }
  return values;
}

/**
 * How strategy `name` uses the parameter fields: `own` (it reads them itself, some
 * `required`), `guards` (optional wrappers that combine with it) and `hidden` (fields
 * some strategy lists but this one lists neither way). A field no strategy lists (the
 * workload, a field the server adds later) is never hidden; an unknown strategy hides
 * nothing: better too many fields than none.
 */
export function strategyParams(strategies, name) {
  const strategy = (strategies ?? []).find((s) => s.name === name);
  const own = new Set(strategy?.params ?? []);
  const guards = new Set((strategy?.guards ?? []).filter((param) => !own.has(param)));
  const required = new Set(strategy?.required ?? []);
  const known = new Set();
  for (const s of strategies ?? []) for (const param of [...(s.params ?? []), ...(s.guards ?? [])]) known.add(param);
  const hidden = strategy ? new Set([...known].filter((param) => !own.has(param) && !guards.has(param))) : new Set();
  return { own, guards, required, hidden };
}

/** Split a 400 body's errors into ones shown at a field and ones shown above the form. */
export function splitErrors(errors, fieldNames) {
  const byField = {};
  const general = [];
  for (const [name, messages] of Object.entries(errors ?? {})) {
    const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
    if (fieldNames.has(name)) byField[name] = list;
    else if (name === "__all__") general.push(...list);
    else general.push(...list.map((message) => `${name}: ${message}`));
  }
  return { byField, general };
}
