"""RunSpec: the one schema of a run spec, for the JSON API, the HTML form and the OpenAPI document.

    JSON body ──RunSpec (strict)──> .stored() ──> the spec a run is launched with
    form text ──forms.values_from_text()──┘        (defaults filled in, unused fields left out)
    RunSpec ──ninja──> /api/openapi.json;  RunSpec ──field_table()──> the form's labels, ranges, help

Strict means a JSON value of the wrong type is refused, never converted: a boolean is not a
number, a number is not a list, a string is not a number. `null` means "absent" for every
optional field. Every range and help text is declared once, on the field; `error_messages()`
turns pydantic's errors into messages naming the field's range, keyed by field.
"""

from collections.abc import Iterable
from typing import Annotated, Any, Literal, get_args

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.config import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from playground.runs.targets import DEMO, target_names
from playground.strategies import GUARD_PARAMS, STRATEGIES

MAX_SEED = 2**31 - 1
MAX_WORKERS = 1_000  # more workers than this is just gather with extra steps
MAX_RETRIES = 10  # backoff doubles each time: ten retries already pause for half a minute
MAX_RATE = 10_000  # requests a second; the demo API serves ~20,000 in all
MIN_RATE = 0.1  # one request every 10 s: slower than that, a run is mostly waiting
MAX_TIMEOUT_MS = int(settings.REQUEST_TIMEOUT_S * 1000)  # the safety net every request has anyway
MAX_RUN_MS = settings.MAX_RUN_SECONDS * 1000
MAX_NUMBER_DIGITS = 300  # float() of a longer integer overflows; no field's range needs a tenth of it
MAX_BLOCK_MS = 1_000  # a second of a held loop per request already shows the mistake; more only freezes the run
BLOCK_KINDS = ("sleep", "cpu")  # how block_ms holds the loop: time.sleep, or CPU work
# The workload: always in the stored spec, its default filled in.
WORKLOAD = ("requests", "latency_ms", "jitter_ms", "failure_rate", "seed")
# How the demo API misbehaves: set only to turn something on, left out of the stored spec when off.
MISBEHAVIOUR_FIELDS = ("hang_rate", "reset_rate", "server_rate", "server_limit")


def _number(lo, hi, title: str, description: str, unit: str = "", default=None):
    """A number field: its range, label and help, declared once (unit is for messages: "ms")."""
    extra: JsonDict | None = {"x-unit": unit} if unit else None
    return Field(default, ge=lo, le=hi, title=title, description=description, json_schema_extra=extra)


def _strategy_needs(schema: dict) -> None:
    """The document states what each strategy needs (semaphore: limit) and refuses (threads: rate,
    null or 0 only), one branch per kind of strategy, naming the strategies of that kind. One anyOf
    rather than an if/then per strategy: a generator (schemathesis) expands each if/then into two
    branches, and eight of them, multiplied out, were more than it could model."""
    kinds: dict[tuple, list[str]] = {}
    for s in STRATEGIES.values():
        kinds.setdefault((s.required, tuple(name for name, _ in s.refuses)), []).append(s.name)
    schema["anyOf"] = []
    for (required, refused), names in kinds.items():
        properties = {"strategy": {"enum": names}}
        properties |= {p: {"not": {"type": "null"}} for p in required}
        properties |= {p: {"enum": [None, 0]} for p in refused}  # off: a guard left empty (or 0) is no refusal
        schema["anyOf"].append({"properties": properties, **({"required": list(required)} if required else {})})


def _targets(schema: dict) -> None:
    """The allowed targets are settings, read when the document is made."""
    schema["anyOf"] = [{"type": "string", "enum": target_names()}, {"type": "null"}]


class RunSpec(BaseModel):
    """A run: the workload, how the demo API misbehaves, the strategy and its parameters, the guards."""

    model_config = ConfigDict(strict=True, extra="forbid", title="RunSpec", json_schema_extra=_strategy_needs)

    # Workload
    requests: int | None = _number(
        1, settings.MAX_REQUESTS, "Requests", "How many HTTP requests the run makes.", "", 10
    )
    latency_ms: int | None = _number(
        0, settings.MAX_LATENCY_MS, "Latency (ms)", "How long the demo API takes to answer each request.", "ms", 200
    )
    jitter_ms: int | None = _number(
        0, settings.MAX_LATENCY_MS, "Jitter (ms)", "Each latency varies by up to this much, seeded.", "ms", 0
    )
    latencies_ms: list[Annotated[float, Field(ge=0, le=settings.MAX_LATENCY_MS, allow_inf_nan=False)]] | None = Field(
        None,
        max_length=settings.MAX_REQUESTS,
        title="Latencies (ms)",
        description="Optional: one latency per request, e.g. 300, 500, 200.",
    )
    failure_rate: float | None = _number(
        0, 1, "Failure rate", "Share of requests the API answers with an error.", "", 0
    )
    seed: int | None = _number(0, MAX_SEED, "Seed", "The same seed gives the same latencies and failures.", "", 1)
    # How the demo API misbehaves (left out of the stored spec when off)
    hang_rate: float | None = _number(0, 1, "Hang rate", "Share of requests the API never answers.", "", 0)
    reset_rate: float | None = _number(0, 1, "Reset rate", "Share of requests whose connection the API drops.", "", 0)
    server_rate: float | None = _number(
        MIN_RATE,
        MAX_RATE,
        "Server rate (requests/s)",
        "The API answers 429 (with Retry-After) above this many requests a second.",
        "requests/s",
    )
    server_limit: int | None = _number(
        1, settings.MAX_REQUESTS, "Server limit", "The API answers 503 above this many of the run's requests at once."
    )
    # Strategy and its parameters
    target: str | None = Field(
        DEMO,
        title="Target",
        description="Where the requests go: the demo API, or a target your teacher allowed.",
        json_schema_extra=_targets,
    )
    strategy: Literal[tuple(STRATEGIES)] = Field(title="Strategy", description="How the requests are made.")  # type: ignore[valid-type]
    batch_size: int | None = _number(
        1, settings.MAX_REQUESTS, "Batch size", "Requests per batch; the next batch waits for the whole batch."
    )
    workers: int | None = _number(1, MAX_WORKERS, "Workers", "How many worker tasks take requests from the queue.")
    return_exceptions: bool | None = Field(
        False, title="Return exceptions", description="Collect failures as results instead of raising."
    )
    # Guards: any strategy can have them; the strategies named after them read them themselves
    limit: int | None = _number(1, settings.MAX_REQUESTS, "Limit", "At most this many requests in flight.")
    rate: float | None = _number(
        MIN_RATE, MAX_RATE, "Rate (requests/s)", "At most this many requests start in any second.", "requests/s"
    )
    timeout_ms: int | None = _number(
        1, MAX_TIMEOUT_MS, "Timeout per request (ms)", "Each attempt gives up after this long.", "ms"
    )
    retries: int | None = _number(
        0,
        MAX_RETRIES,
        "Retries",
        "Try a request that timed out, lost its connection or got 429/5xx again, this many times.",
    )
    deadline_ms: int | None = _number(
        1, MAX_RUN_MS, "Deadline (ms)", "The whole run stops after this long; requests still running time out.", "ms"
    )
    block_ms: int | None = _number(
        0,
        MAX_BLOCK_MS,
        "Block the loop (ms)",
        "Before each request, its coroutine holds the event loop this long (0: off). The run gets a process "
        "of its own.",
        "ms",
    )
    block_kind: Literal[BLOCK_KINDS] | None = Field(  # type: ignore[valid-type]
        "sleep",
        title="Block with",
        description="How block_ms holds the loop: sleep (time.sleep) or cpu (checking a password).",
    )
    # Where it runs
    own_process: bool | None = Field(
        False,
        title="Own process",
        description="Run in a process of its own: its event loop is watched, and its CPU time, peak memory "
        "and threads are measured. It starts a moment later. Always on for strategies that block or use threads.",
    )
    # The learner's prediction
    guess_ms: int | None = _number(0, MAX_RUN_MS, "Your guess (ms)", "Before you run: how long will it take?", "ms")

    @field_validator("target")
    @classmethod
    def _allowed_target(cls, value: str | None) -> str | None:
        if value is not None and value not in target_names():
            raise PydanticCustomError("unknown_target", "unknown target")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _null_is_absent_and_strategy_needs(cls, data: Any, handler):
        """`null` is an absent field; a strategy's own required parameters (semaphore needs limit), and
        the guards it cannot take (threads and rate), are then checked, each error keyed by its field,
        alongside every other field's."""
        if isinstance(data, dict):
            data = {key: _whole(key, value) for key, value in data.items() if value is not None}
        try:
            model, errors = handler(data), []
        except ValidationError as exc:
            model, errors = None, exc.errors()
        named = {e["loc"][0] for e in errors if e["loc"]}
        missing = [n for n in _required_by(data) if n not in data and n not in named]
        refused = [(n, why) for n, why in _refused_by(data) if data.get(n) and n not in named]
        if not errors and not missing and not refused:
            return model
        details = [
            InitErrorDetails(type=_error_type(e), loc=e["loc"], input=e["input"], ctx=e.get("ctx", {})) for e in errors
        ]
        for field in missing:
            needs = PydanticCustomError(
                "required_by_strategy", "required by the {strategy} strategy", {"strategy": data["strategy"]}
            )
            details.append(InitErrorDetails(type=needs, loc=(field,), input=None))
        for field, why in refused:
            refuses = PydanticCustomError(
                "refused_by_strategy", "not with the {strategy} strategy", {"strategy": data["strategy"], "why": why}
            )
            details.append(InitErrorDetails(type=refuses, loc=(field,), input=data[field]))
        raise ValidationError.from_exception_data(cls.__name__, details)

    def stored(self) -> dict:
        """The spec a run is launched, stored and shown with: defaults filled in, what is off left out."""
        strategy = STRATEGIES[self.strategy]
        given = {name: value for name, value in self if value is not None}
        spec: dict[str, Any] = {"strategy": strategy.name}
        for name in WORKLOAD:
            spec[name] = given.get(name, FIELDS[name].default)
        if self.latencies_ms:
            spec["latencies_ms"] = [int(ms) if ms.is_integer() else ms for ms in self.latencies_ms]
            spec["requests"] = len(self.latencies_ms)
        # What the strategy reads is kept as given (false too); the rest only when it turns something on.
        for name in strategy.params:
            value = given.get(name, FIELDS[name].default)
            if value is not None:
                spec[name] = value
        for name in (*MISBEHAVIOUR_FIELDS, *GUARD_PARAMS):
            if given.get(name) and name not in spec and name != "block_kind":
                spec[name] = given[name]
        if self.block_ms:
            spec["block_kind"] = self.block_kind or "sleep"  # how it blocks: stated only when it does
        # A run that blocks its loop must not share a worker's loop with other learners' runs.
        if self.own_process or strategy.own_process or self.block_ms:
            spec["own_process"] = True  # runs/alone.py: the run alone in a process, measured
        if self.guess_ms is not None:
            spec["guess_ms"] = self.guess_ms
        if self.target not in (None, DEMO):
            spec["target"] = self.target
        return spec


FIELDS = RunSpec.model_fields
BUILT_IN_ERRORS = set(get_args(ErrorType))


def _error_type(error: Any) -> str | PydanticCustomError:
    """An error's type as ValidationError.from_exception_data takes it: ours are rebuilt."""
    if error["type"] in BUILT_IN_ERRORS:
        return error["type"]
    return PydanticCustomError(error["type"], error["msg"])


def _required_by(data: Any) -> tuple[str, ...]:
    """The parameters the payload's strategy cannot run without (none for an unknown strategy)."""
    name = data.get("strategy") if isinstance(data, dict) else None
    strategy = STRATEGIES.get(name) if isinstance(name, str) else None
    return strategy.required if strategy else ()


def _refused_by(data: Any) -> tuple[tuple[str, str], ...]:
    """(guard, why) of the guards the payload's strategy cannot take (none for an unknown strategy)."""
    name = data.get("strategy") if isinstance(data, dict) else None
    strategy = STRATEGIES.get(name) if isinstance(name, str) else None
    return strategy.refuses if strategy else ()


def _whole(name: str, value: Any) -> Any:
    """2.0 is the integer 2 (as in JSON Schema) for a whole-number field; 2.5, true, "2" stay, and are refused."""
    if type(value) is float and value.is_integer() and name in FIELDS and kind_of(name) == "whole":
        return int(value)
    return value


class SpecError(ValueError):
    """A run spec that RunSpec refuses; `errors` maps field (or "__all__") -> messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def spec_from_json(payload: Any) -> dict:
    """The stored spec for a decoded JSON body (or a preset); SpecError naming each bad field."""
    try:
        return RunSpec.model_validate(payload).stored()
    except ValidationError as exc:
        raise SpecError(error_messages(exc.errors())) from None


# --- What each field accepts, in words ---------------------------------------------------


def kind_of(name: str) -> str:
    """How a field is typed, entered and shown: "whole", "number", "list", "bool" or "choice"."""
    annotation = FIELDS[name].annotation
    if annotation == int | None:
        return "whole"
    if annotation == float | None:
        return "number"
    if annotation == bool | None:
        return "bool"
    if name == "latencies_ms":
        return "list"
    return "choice"


def limits_of(name: str) -> tuple[Any, Any]:
    """(lo, hi) of a number field, as declared on it; (None, None) for others."""
    lo = hi = None
    for meta in FIELDS[name].metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


def choices_of(name: str) -> list[str]:
    if name == "block_kind":
        return list(BLOCK_KINDS)
    return list(STRATEGIES) if name == "strategy" else target_names()


def range_text(name: str) -> str:
    """The field's range in its unit, trio-style: "Must be between 1 ms and 60,000 ms."."""
    lo, hi = limits_of(name)
    unit = (FIELDS[name].json_schema_extra or {}).get("x-unit", "")  # type: ignore[union-attr]
    unit = f" {unit}" if unit else ""
    return f"Must be between {lo:,}{unit} and {hi:,}{unit}."


def accepts(name: str) -> str:
    """What a field accepts, in one or two sentences."""
    kind = kind_of(name)
    if kind == "whole":
        return f"Must be a whole number. {range_text(name)}"
    if kind == "number":
        return f"Must be a number. {range_text(name)}"
    if kind == "bool":
        return "Must be true or false."
    if kind == "list":
        return (
            f"Must be a list of latencies in ms, such as [300, 500, 200]: each between 0 and "
            f"{settings.MAX_LATENCY_MS:,} ms, at most {settings.MAX_REQUESTS:,} of them (one per request)."
        )
    return f"Must be one of: {', '.join(choices_of(name))}."


def _message(name: str, error: dict) -> str:
    kind, code = kind_of(name), error["type"]
    if code == "required_by_strategy":
        needs = range_text(name) if kind in ("whole", "number") else accepts(name)
        return f"Required by the {error['ctx']['strategy']} strategy. {needs}"
    if code == "refused_by_strategy":  # "Not with the threads strategy: the rate guard ... Leave it empty."
        return f"Not with the {error['ctx']['strategy']} strategy: {error['ctx']['why']} Leave it empty."
    if code in ("greater_than_equal", "less_than_equal") and kind in ("whole", "number"):
        return range_text(name)
    if kind == "list" and len(error["loc"]) > 1:  # one latency
        return f"Each latency must be a number of ms between 0 and {settings.MAX_LATENCY_MS:,} ms."
    if kind == "list" and code == "too_long":
        return f"At most {settings.MAX_REQUESTS:,} latencies (one per request)."
    if name == "strategy" and code == "literal_error":
        return f"Unknown strategy; choose one of: {', '.join(STRATEGIES)}."
    if name == "strategy":  # missing, null, or not a string
        return f"Choose a strategy: {', '.join(STRATEGIES)}."
    if name == "target":
        return f"Unknown target; allowed targets: {', '.join(target_names())}."
    return accepts(name)


def error_messages(errors: Iterable[Any], skip: int = 0) -> dict[str, list[str]]:
    """pydantic's errors as {field: [message naming what it accepts]}; `skip` leading loc items (ninja's)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = tuple(error["loc"])[skip:]
        name = loc[0] if loc else "__all__"
        error = {**error, "loc": loc}
        if name == "__all__":
            message = "The body must be a JSON object (a run spec)."
        elif name not in FIELDS:
            message = f"Unknown field; allowed fields: {', '.join(FIELDS)}."
        else:
            message = _message(name, error)
        if message not in out.setdefault(str(name), []):
            out[str(name)].append(message)
    return out


# --- For the page ------------------------------------------------------------------


def field_table() -> dict[str, dict]:
    """Label, kind, range, help (its range stated) and default of every field, in the form's order."""
    out = {}
    for name, field in FIELDS.items():
        lo, hi = limits_of(name)
        help_text = field.description or ""
        if lo is not None and help_text.endswith("."):  # "How many HTTP requests the run makes (1 to 10,000)."
            help_text = f"{help_text.removesuffix('.')} ({lo:,} to {hi:,})."
        elif lo is not None:
            help_text = f"{help_text} ({lo:,} to {hi:,})"
        out[name] = {
            "label": field.title,
            "kind": kind_of(name),
            "min": lo,
            "max": hi,
            "help": help_text,
            "default": None if field.is_required() else field.default,
        }
    return out
