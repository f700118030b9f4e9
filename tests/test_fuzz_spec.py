"""Property-based tests of the run spec: any JSON gets a valid spec or errors naming fields.

spec_payloads (hypothesis) --spec_from_json (RunSpec, strict)--> a spec inside every range,
                                                                or errors keyed by field; a value
                                                                of the wrong JSON type is refused
raw_bodies (hypothesis)  --POST /api/runs (real Daphne)--> 201/400/403/413/429 with a
                                                        JSON body, never a 5xx or a traceback

Derandomized in `make test`; `make fuzz` runs FUZZ_EXAMPLES of each from a random seed.
"""

import asyncio
import json
import math
import sys

import aiohttp
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.runs.api import MAX_BODY_BYTES
from playground.runs.spec import FIELDS, SpecError, choices_of, kind_of, limits_of, spec_from_json
from playground.strategies import STRATEGIES
from tests.support.fuzzing import assert_no_server_errors, examples, new_log_lines, small_run

IN_PROCESS_EXAMPLES = examples(1_500, surface=1_500)  # a validation is ~0.1 ms: cheap, so many
SERVER_EXAMPLES = examples(400, surface=400)  # a round trip to Daphne is a few ms
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)  # a request still unanswered after this hangs
ALLOWED_STATUSES = {201, 400, 403, 413, 429}
NUMERIC = {name: limits_of(name) for name in FIELDS if kind_of(name) in ("whole", "number")}

# --- Strategies: JSON values, and run specs made of them ----------------------

EDGE_NUMBERS = st.sampled_from(
    [
        0,
        -0.0,
        -1,
        1,
        0.5,
        2**31 - 1,
        2**31,
        2**53 + 1,
        2**63,
        2**64,
        10**30,
        1e308,
        sys.float_info.max,
        5e-324,
        math.inf,
        -math.inf,
        math.nan,
    ]
) | st.sampled_from([308, 309, 400, -400]).map(lambda d: 10 ** abs(d) * (1 if d > 0 else -1))  # past 1.8e308

NUMBERS = st.integers() | st.floats() | EDGE_NUMBERS
NUMERIC_TEXT = st.sampled_from(["10", "1e999", "nan", "-inf", "0x10", "1_000", " 3 ", "", "١٢"])
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=12) | NUMERIC_TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def in_range(name: str) -> st.SearchStrategy:
    lo, hi = NUMERIC[name]
    if kind_of(name) == "number":
        return st.floats(lo, hi) | st.sampled_from([lo, hi])
    return st.integers(lo, hi) | st.sampled_from([lo, hi])


def near_range(name: str) -> st.SearchStrategy:
    """Values at and just past the field's documented range, of the right and wrong kind."""
    lo, hi = NUMERIC[name]
    edges = [lo - 1, lo, hi, hi + 1, math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf), hi * 2]
    return st.sampled_from(edges) | st.floats(lo - 10, hi + 10) | st.integers(math.floor(lo) - 10, math.ceil(hi) + 10)


LATENCIES_IN_RANGE = st.lists(st.integers(0, django_settings.MAX_LATENCY_MS) | st.floats(0, 30_000.0), max_size=6)
LATENCY_VALUES = (
    LATENCIES_IN_RANGE
    | st.lists(NUMBERS | NUMERIC_TEXT | st.booleans(), max_size=6)
    | LATENCIES_IN_RANGE.map(lambda xs: ", ".join(map(str, xs)))  # the form's text spelling
    | st.just(django_settings.MAX_REQUESTS + 1).map(lambda n: [0] * n)  # one latency too many
)
STRATEGY_NAMES = st.sampled_from(sorted(STRATEGIES))


def fuzzed_value(name: str) -> st.SearchStrategy:
    kind = kind_of(name)
    if name in NUMERIC:
        typed = in_range(name) | near_range(name)
    elif kind == "list":
        typed = LATENCY_VALUES
    elif kind == "choice":
        typed = st.sampled_from(choices_of(name)) | st.text(max_size=12)
    else:
        typed = st.booleans()
    return typed | typed | EDGE_NUMBERS | JSON_VALUES  # twice: mostly the right kind


# Composites rather than fixed_dictionaries: hypothesis warns about a 80 kB repr otherwise.
@st.composite
def valid_specs(draw) -> dict:
    """A strategy with its required parameters and a few in-range extras."""
    strategy = STRATEGIES[draw(STRATEGY_NAMES)]
    spec = {"strategy": strategy.name}
    spec.update({p: draw(in_range(p)) for p in strategy.required})
    for name in draw(st.lists(st.sampled_from(sorted(NUMERIC)), unique=True, max_size=4)):
        spec[name] = draw(in_range(name))
    if draw(st.booleans()):
        spec["latencies_ms"] = draw(LATENCIES_IN_RANGE)
    if draw(st.booleans()):
        spec["return_exceptions"] = draw(st.booleans())
    return spec


@st.composite
def fuzzed_specs(draw) -> dict:
    """Any subset of the fields, each with a value of any kind, mostly the right one."""
    names = draw(st.lists(st.sampled_from(list(FIELDS)), unique=True, max_size=len(FIELDS)))
    return {name: draw(fuzzed_value(name)) for name in names}


UNKNOWN_KEYS = st.dictionaries(
    st.text(max_size=10).filter(lambda k: k not in FIELDS), JSON_VALUES, min_size=1, max_size=2
)
SPEC_PAYLOADS = (
    valid_specs()
    | fuzzed_specs()
    | fuzzed_specs().map(lambda spec: {"strategy": "gather", **spec})
    | st.tuples(valid_specs(), UNKNOWN_KEYS).map(lambda pair: {**pair[0], **pair[1]})
    | JSON_VALUES
)

# --- The in-process property ----------------------------------------------------


def validate(payload) -> tuple[dict | None, dict | None]:
    """(spec, None) for a valid payload, (None, errors) for an invalid one; nothing else."""
    try:
        return spec_from_json(payload), None
    except SpecError as exc:
        return None, exc.errors


def json_type_fits(name: str, value) -> bool:
    """Whether a JSON value has a type the field takes (its range aside); null always does: absent."""
    kind = kind_of(name)
    if value is None:
        return True
    if kind == "bool":
        return type(value) is bool
    if kind == "list":
        return type(value) is list
    if kind == "choice":
        return type(value) is str
    if type(value) not in (int, float):
        return False
    return kind == "number" or type(value) is int or value.is_integer()


def assert_spec_in_range(spec: dict) -> None:
    assert set(spec) <= set(FIELDS), spec
    strategy = STRATEGIES[spec["strategy"]]
    assert set(strategy.required) <= set(spec), spec
    for name, value in spec.items():
        kind = kind_of(name)
        if kind in ("whole", "number"):
            lo, hi = NUMERIC[name]
            assert type(value) in ((int,) if kind == "whole" else (int, float)), (name, value)
            assert lo <= value <= hi, (name, value)
        elif kind == "list":
            assert 0 < len(value) <= django_settings.MAX_REQUESTS, value
            assert all(type(ms) in (int, float) and 0 <= ms <= django_settings.MAX_LATENCY_MS for ms in value)
            assert spec["requests"] == len(value)
        elif kind == "bool":
            assert type(value) is bool
        else:
            assert value in choices_of(name), (name, value)
    json.dumps(spec, allow_nan=False)  # stored, and sent in run.started: plain JSON only


def assert_errors_name_fields(payload, errors: dict) -> None:
    assert errors, payload
    for key, messages in errors.items():
        unknown = isinstance(payload, dict) and key in payload and key not in FIELDS
        assert key in FIELDS or key == "__all__" or unknown, (key, payload)
        assert isinstance(messages, list) and messages, (key, messages)
        assert all(isinstance(m, str) and m.strip() for m in messages), (key, messages)
        if unknown:
            assert all("Unknown field" in m for m in messages), messages
        if key in NUMERIC:  # its range, or why the strategy cannot take it at all
            refused = isinstance(payload, dict) and f"Not with the {payload.get('strategy')} strategy: "
            assert all(f"between {NUMERIC[key][0]:,}" in m or (refused and m.startswith(refused)) for m in messages), (
                key,
                messages,
            )
    if isinstance(payload, dict):  # strict: every value of the wrong JSON type is named
        wrong = {k for k, v in payload.items() if k in FIELDS and not json_type_fits(k, v)}
        assert wrong <= set(errors), (wrong - set(errors), payload, errors)


def test_any_json_gets_a_spec_in_range_or_errors_naming_fields():
    outcomes = {"valid": 0, "errors": 0}

    @settings(max_examples=IN_PROCESS_EXAMPLES, deadline=None)
    @given(payload=SPEC_PAYLOADS)
    def check(payload):
        spec, errors = validate(payload)
        if spec is not None:
            assert_spec_in_range(spec)
            outcomes["valid"] += 1
        else:
            assert_errors_name_fields(payload, errors)
            outcomes["errors"] += 1

    check()
    print(f"in-process spec cases: {outcomes}")
    assert sum(outcomes.values()) >= IN_PROCESS_EXAMPLES
    assert min(outcomes.values()) >= 100, outcomes  # both sides of the property were exercised


def test_an_int_beyond_float_range_is_an_error_not_an_exception():
    for payload, field in [
        ({"strategy": "gather", "failure_rate": 10**400}, "failure_rate"),
        ({"strategy": "gather", "latencies_ms": [10**400]}, "latencies_ms"),
    ]:
        spec, errors = validate(payload)
        assert spec is None and field in errors, errors


def test_a_target_that_is_not_a_string_is_an_error_not_an_exception():
    payload = {"strategy": "gather", "target": 5}
    spec, errors = validate(payload)
    assert spec is None and "target" in errors, errors


# --- Through the real server ----------------------------------------------------


def body_of(payload) -> bytes:
    """The payload as JSON; a valid spec is first made small."""
    spec, _ = validate(payload)
    if spec is not None:
        payload = small_run(payload)
    return json.dumps(payload).encode()


DEEP = st.integers(1, 3_000).map(lambda n: b"[" * n + b"]" * n) | st.integers(1, 3_000).map(
    lambda n: b'{"a":' * n + b"1" + b"}" * n
)
HUGE_NUMBERS = st.integers(290, 5_000).map(lambda n: b'{"strategy": "gather", "failure_rate": 1' + b"0" * n + b"}")
OVERSIZED = st.sampled_from([MAX_BODY_BYTES + 1, 2 * MAX_BODY_BYTES, 300 * 1024]).map(
    lambda n: (b'{"strategy": "gather", "latencies_ms": [' + b"1," * n)[: n - 2] + b"]}"
)
RAW_BODIES = (
    SPEC_PAYLOADS.map(body_of)
    | st.binary(max_size=64)  # mostly not UTF-8
    | st.text(max_size=64).map(lambda s: s.encode("utf-8", "surrogatepass"))
    | st.sampled_from(
        [
            b"",
            b"null",
            b"NaN",
            b"Infinity",
            b"{",
            b'{"strategy": "gather",}',
            b"\xef\xbb\xbf{}",
            b'{"strategy": "gather"}\x00',
            b'{"strategy": "\xff"}',
            b"1" * 5000,
        ]
    )
    | DEEP
    | HUGE_NUMBERS
    | OVERSIZED
)


def assert_json_error(status: int, content_type: str, body: bytes) -> None:
    assert content_type == "application/json", (status, content_type, body[:200])
    data = json.loads(body)
    if "errors" in data:
        assert data["errors"] and all(m and isinstance(m, str) for ms in data["errors"].values() for m in ms), data
    else:
        assert isinstance(data["error"], str) and data["error"], data


def test_raw_bodies_get_an_answer_naming_the_problem(server):
    statuses: dict[int, int] = {}
    offset = server.log.stat().st_size

    async def post(http, body: bytes, chunked: bool):
        data = one_chunk(body) if chunked else body  # chunked: no Content-Length to judge the size by
        async with http.post(server.base + "/api/runs", data=data, headers={"Content-Type": "application/json"}) as r:
            status, content_type, answer = r.status, r.content_type, await r.read()
        if status == 201:  # free its place under the caps at once
            run_id = json.loads(answer)["id"]
            async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
                assert r.status in (202, 409), await r.text()
        return status, content_type, answer

    with asyncio.Runner() as runner:
        http = runner.run(open_session())
        try:

            @settings(
                max_examples=SERVER_EXAMPLES,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(body=RAW_BODIES, chunked=st.booleans())
            def check(body, chunked):
                status, content_type, answer = runner.run(post(http, body, chunked))
                statuses[status] = statuses.get(status, 0) + 1
                assert status in ALLOWED_STATUSES, (status, body[:200], answer[:500])
                if status != 201:
                    assert_json_error(status, content_type, answer)

            check()
        finally:
            runner.run(http.close())
    print(f"raw bodies through the server, by status: {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= SERVER_EXAMPLES
    assert {201, 400, 413} <= set(statuses), statuses
    assert_no_server_errors(new_log_lines(server, offset))


async def open_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=HTTP_TIMEOUT)


async def one_chunk(body: bytes):
    yield body
