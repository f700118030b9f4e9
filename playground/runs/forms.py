"""RunSpecForm: one validation for the HTML form and the JSON API.

Every error names the field and its allowed range. `spec()` turns a valid form
into the run spec stored with the run and sent in `run.started`.
"""

import json
import re
import sys

from django import forms
from django.conf import settings

from playground.runs.targets import DEMO, target_names
from playground.strategies import GUARD_PARAMS, STRATEGIES

MAX_SEED = 2**31 - 1
MAX_WORKERS = 1_000  # more workers than this is just gather with extra steps
MAX_RETRIES = 10  # backoff doubles each time: ten retries already pause for half a minute
MAX_RATE = 10_000  # requests a second; the demo API serves ~20,000 in all
MIN_RATE = 0.1  # one request every 10 s: slower than that, a run is mostly waiting
MAX_TIMEOUT_MS = int(settings.REQUEST_TIMEOUT_S * 1000)  # the safety net every request has anyway
# Fields set only to turn something on; spec() leaves them out when they are off.
SERVER_FIELDS = ("hang_rate", "reset_rate", "server_rate", "server_limit")


def _between(lo, hi, unit: str = "") -> dict:
    unit = f" {unit}" if unit else ""
    text = f"Must be between {lo:,}{unit} and {hi:,}{unit}."
    return {"min_value": text, "max_value": text, "invalid": f"Enter a number. {text}", "required": text}


def _int(lo, hi, unit="", **kw):
    return forms.IntegerField(min_value=lo, max_value=hi, error_messages=_between(lo, hi, unit), **kw)


def _float(lo, hi, unit="", **kw):
    return forms.FloatField(min_value=lo, max_value=hi, error_messages=_between(lo, hi, unit), **kw)


class LatencyListField(forms.Field):
    """Per-request latencies in ms: a JSON list, or text such as "300, 500, 200"."""

    def to_python(self, value):
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            raise forms.ValidationError("Give a list of latencies in ms, such as 300, 500, 200.")
        limit_n, limit_ms = settings.MAX_REQUESTS, settings.MAX_LATENCY_MS
        if len(parts) > limit_n:
            raise forms.ValidationError(f"At most {limit_n:,} latencies (one per request).")
        out = []
        for part in parts:
            if isinstance(part, bool):
                raise forms.ValidationError("Each latency must be a number of ms.")
            try:
                ms = float(part)
            except (TypeError, ValueError, OverflowError):
                raise forms.ValidationError(f"{part!r} is not a number of ms.") from None
            if not 0 <= ms <= limit_ms:
                raise forms.ValidationError(f"Each latency must be between 0 and {limit_ms:,} ms.")
            out.append(int(ms) if ms.is_integer() else ms)
        return out

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value


class RunSpecForm(forms.Form):
    # Workload
    requests = _int(
        1, settings.MAX_REQUESTS, initial=10, required=False, help_text="How many HTTP requests the run makes."
    )
    latency_ms = _int(
        0,
        settings.MAX_LATENCY_MS,
        "ms",
        initial=200,
        required=False,
        label="Latency (ms)",
        help_text="How long the demo API takes to answer each request.",
    )
    jitter_ms = _int(
        0,
        settings.MAX_LATENCY_MS,
        "ms",
        initial=0,
        required=False,
        label="Jitter (ms)",
        help_text="Each latency varies by up to this much, seeded.",
    )
    latencies_ms = LatencyListField(
        required=False, label="Latencies (ms)", help_text="Optional: one latency per request, e.g. 300, 500, 200."
    )
    failure_rate = _float(
        0, 1, initial=0, required=False, help_text="Share of requests the API answers with an error (0 to 1)."
    )
    seed = _int(
        0, MAX_SEED, initial=1, required=False, help_text="The same seed gives the same latencies and failures."
    )
    # How the demo API misbehaves (left out of the spec when off)
    hang_rate = _float(0, 1, initial=0, required=False, help_text="Share of requests the API never answers (0 to 1).")
    reset_rate = _float(
        0, 1, initial=0, required=False, help_text="Share of requests whose connection the API drops (0 to 1)."
    )
    server_rate = _float(
        MIN_RATE,
        MAX_RATE,
        "requests/s",
        required=False,
        label="Server rate (requests/s)",
        help_text="The API answers 429 (with Retry-After) above this many requests a second.",
    )
    server_limit = _int(
        1,
        settings.MAX_REQUESTS,
        required=False,
        help_text="The API answers 503 above this many of the run's requests at once.",
    )
    # Strategy and its parameters
    target = forms.ChoiceField(
        choices=[],
        initial="demo",
        required=False,
        help_text="Where the requests go: the demo API, or a target your teacher allowed.",
    )
    strategy = forms.ChoiceField(choices=[], initial="gather")
    batch_size = _int(
        1,
        settings.MAX_REQUESTS,
        required=False,
        help_text="Requests per batch; the next batch waits for the whole batch.",
    )
    workers = _int(1, MAX_WORKERS, required=False, help_text="How many worker tasks take requests from the queue.")
    return_exceptions = forms.BooleanField(required=False, help_text="Collect failures as results instead of raising.")
    # Guards: any strategy can have them; the strategies named after them read them themselves
    limit = _int(1, settings.MAX_REQUESTS, required=False, help_text="At most this many requests in flight.")
    rate = _float(
        MIN_RATE,
        MAX_RATE,
        "requests/s",
        required=False,
        label="Rate (requests/s)",
        help_text="At most this many requests start in any second.",
    )
    timeout_ms = _int(
        1,
        MAX_TIMEOUT_MS,
        "ms",
        required=False,
        label="Timeout per request (ms)",
        help_text="Each attempt gives up after this long.",
    )
    retries = _int(
        0,
        MAX_RETRIES,
        required=False,
        help_text="Try a request that timed out, lost its connection or got 429/5xx again, this many times.",
    )
    deadline_ms = _int(
        1,
        settings.MAX_RUN_SECONDS * 1000,
        "ms",
        required=False,
        label="Deadline (ms)",
        help_text="The whole run stops after this long; requests still running time out.",
    )
    # The learner's prediction
    guess_ms = _int(
        0,
        settings.MAX_RUN_SECONDS * 1000,
        "ms",
        required=False,
        label="Your guess (ms)",
        help_text="Before you run: how long will it take?",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the allowed range, shown under every number field
            lo, hi = getattr(field, "min_value", None), getattr(field, "max_value", None)
            if lo is not None and hi is not None and "(" not in str(field.help_text):
                field.help_text = f"{field.help_text} ({lo:,} to {hi:,})"
        self.fields["strategy"].choices = [(s.name, s.label) for s in STRATEGIES.values()]
        names = target_names()
        self.fields["target"].choices = [(name, name) for name in names]
        self.fields["target"].error_messages = {
            "invalid_choice": f"Unknown target %(value)s; allowed targets: {', '.join(names)}."
        }
        allowed = ", ".join(STRATEGIES)
        self.fields["strategy"].error_messages = {
            "invalid_choice": f"Unknown strategy %(value)s; choose one of: {allowed}.",
            "required": f"Choose a strategy: {allowed}.",
        }

    def clean(self):
        data = super().clean()
        strategy = STRATEGIES.get(data.get("strategy"))
        if strategy is None:
            return data
        for name in strategy.required:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(
                    name, f"Required by the {strategy.name} strategy. {self.fields[name].error_messages['required']}"
                )
        return data

    def spec(self) -> dict:
        """The validated run spec: defaults filled in, unused fields left out."""
        data = self.cleaned_data
        strategy = STRATEGIES[data["strategy"]]
        spec = {"strategy": strategy.name}
        for name in ("requests", "latency_ms", "jitter_ms", "failure_rate", "seed"):
            value = data.get(name)
            spec[name] = self.fields[name].initial if value is None else value
        if data.get("latencies_ms"):
            spec["latencies_ms"] = data["latencies_ms"]
            spec["requests"] = len(data["latencies_ms"])
        # What the strategy reads is kept as given; the rest only when it turns something on.
        for name in strategy.params:
            if data.get(name) not in (None, ""):
                spec[name] = data[name]
        for name in (*SERVER_FIELDS, *GUARD_PARAMS):
            if data.get(name) and name not in spec:
                spec[name] = data[name]
        if data.get("guess_ms") is not None:
            spec["guess_ms"] = data["guess_ms"]
        if data.get("target") not in (None, "", DEMO):
            spec["target"] = data["target"]
        return spec


class SpecTypeError(ValueError):
    """A JSON value of the wrong type; `errors` maps field -> messages."""

    def __init__(self, errors: dict):
        super().__init__(json.dumps(errors))
        self.errors = errors


def _beyond_float(value) -> bool:
    """A JSON integer too large for float() (which every number field calls)."""
    return isinstance(value, int) and abs(value) > sys.float_info.max


def form_from_json(payload) -> RunSpecForm:
    """A bound RunSpecForm for a decoded JSON body, with JSON types checked first.

    Forms accept strings, so without this check "10" or true would pass as a number.
    """
    if not isinstance(payload, dict):
        raise SpecTypeError({"__all__": ["The body must be a JSON object (a run spec)."]})
    form = RunSpecForm()
    errors = {}
    for key, value in payload.items():
        field = form.fields.get(key)
        if field is None:
            errors[key] = [f"Unknown field; allowed fields: {', '.join(form.fields)}."]
        elif value is None:
            continue
        elif isinstance(field, forms.BooleanField):
            if not isinstance(value, bool):
                errors[key] = ["Must be true or false."]
        elif isinstance(field, forms.IntegerField | forms.FloatField):
            if isinstance(value, bool) or not isinstance(value, int | float) or _beyond_float(value):
                errors[key] = [f"Must be a JSON number. {field.error_messages['min_value']}"]
        elif isinstance(field, forms.ChoiceField) and not isinstance(value, str):
            allowed = ", ".join(str(choice) for choice, _ in field.choices)
            errors[key] = [f"Must be a string, one of: {allowed}."]
    if errors:
        raise SpecTypeError(errors)
    data = {k: v for k, v in payload.items() if v is not None and v is not False}
    return RunSpecForm(data=data)
