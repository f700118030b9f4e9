"""The JSON API against its own OpenAPI description, case by case, with schemathesis.

    GET /api/openapi.json --schemathesis--> cases for each operation, positive (valid by the
    document) and negative (invalid by it) --requests--> the real Daphne --checks--> no 5xx;
    every status, content type and body is one the document describes

A 201 starts a real run: its body is first made small (quick to run) and the run is
cancelled at once, so the caps on runs in flight are never what a case tests.
Derandomized in `make test` (hypothesis profile "ci"); `make fuzz` runs FUZZ_EXAMPLES cases
across the operations from a random seed.
"""

import asyncio

import pytest
import requests
import schemathesis
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from playground.runs.forms import RunSpecForm
from playground.runs.spec import FIELDS, choices_of, kind_of, limits_of
from playground.strategies import STRATEGIES
from tests.support.apipaths import API_PATHS
from tests.support.fuzzing import assert_no_server_errors, examples, new_log_lines, small_run
from tests.support.wsclient import collect_run, start_run

CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HTTP_TIMEOUT_S = 10  # one request to the local server; longer than this is a hang
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
ALL_CASES = 2_172  # in `make test`; `make fuzz` shares FUZZ_EXAMPLES among them alike
CASES = [  # (method, path, mode, examples)
    ("POST", "/api/runs", POSITIVE, examples(300, surface=ALL_CASES)),
    ("POST", "/api/runs", NEGATIVE, examples(300, surface=ALL_CASES)),
    ("GET", "/api/runs/{run_id}", POSITIVE, examples(150, surface=ALL_CASES)),
    ("GET", "/api/runs/{run_id}", NEGATIVE, examples(100, surface=ALL_CASES)),
    ("POST", "/api/runs/{run_id}/cancel", POSITIVE, examples(150, surface=ALL_CASES)),
    ("POST", "/api/runs/{run_id}/cancel", NEGATIVE, examples(100, surface=ALL_CASES)),
    ("GET", "/api/runs/mine", POSITIVE, examples(1, surface=ALL_CASES)),  # no parameters: one case
    ("GET", "/api/runs/{run_id}/export", POSITIVE, examples(60, surface=ALL_CASES)),
    ("GET", "/api/runs/{run_id}/export", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes", POSITIVE, examples(1, surface=ALL_CASES)),  # no parameters: one case
    ("GET", "/api/classes/{code}", POSITIVE, examples(60, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/join", POSITIVE, examples(60, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/join", NEGATIVE, examples(60, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/roster", POSITIVE, examples(40, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/roster", NEGATIVE, examples(30, surface=ALL_CASES)),
    ("PATCH", "/api/classes/{code}", POSITIVE, examples(40, surface=ALL_CASES)),
    ("PATCH", "/api/classes/{code}", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("DELETE", "/api/classes/{code}/learners/{learner_id}", POSITIVE, examples(40, surface=ALL_CASES)),
    ("DELETE", "/api/classes/{code}/learners/{learner_id}", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/gallery", POSITIVE, examples(30, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/gallery", NEGATIVE, examples(20, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/rounds", POSITIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/rounds", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/guesses", POSITIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/guesses", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/reveal", POSITIVE, examples(20, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/reveal", NEGATIVE, examples(20, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/rounds", POSITIVE, examples(20, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/rounds", NEGATIVE, examples(20, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/rounds.csv", POSITIVE, examples(20, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/rounds.csv", NEGATIVE, examples(20, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/runs", POSITIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/runs", NEGATIVE, examples(40, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/stage", POSITIVE, examples(30, surface=ALL_CASES)),
    ("POST", "/api/classes/{code}/stage", NEGATIVE, examples(30, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/stage", POSITIVE, examples(30, surface=ALL_CASES)),
    ("GET", "/api/classes/{code}/stage", NEGATIVE, examples(20, surface=ALL_CASES)),
]
# How this API refuses a request; schemathesis's own list lacks 413, the answer to a body past 64 KB.
REFUSALS = [400, 403, 404, 405, 409, 413, 429]


@pytest.fixture(scope="module")
def api(server):
    config = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}})
    return schemathesis.openapi.from_url(server.base + "/api/openapi.json", config=config)


@pytest.fixture(scope="module")
def finished_runs(server) -> list[str]:
    """Ids of two small runs that have finished: a GET of one answers 200, a cancel 409."""

    async def make():
        ids = [await start_run(server, {"strategy": "gather", "requests": n, "latency_ms": 1}) for n in (1, 2)]
        for run_id in ids:
            await collect_run(server, run_id)
        return ids

    with asyncio.Runner() as runner:
        return runner.run(make())


@pytest.fixture(scope="module")
def live_classes(server) -> list[str]:
    """Codes of two classes whose teacher is no client here: to every case, the class of a stranger."""
    # No session kept: the first answer's session cookie would make the second a browser's, due a CSRF token.
    return [requests.post(server.base + "/api/classes", timeout=HTTP_TIMEOUT_S).json()["code"] for _ in range(2)]


@pytest.mark.parametrize("method,path,mode,examples", CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode, _ in CASES])
def test_the_api_answers_as_its_openapi_document_says(
    server, api, finished_runs, live_classes, method, path, mode, examples
):
    operation = api[path][method]
    offset = server.log.stat().st_size
    statuses: dict[int | str, int] = {}
    strategy = operation.as_strategy(generation_mode=mode)
    if "{run_id}" in path and mode is POSITIVE:  # half of them name a real run
        strategy = st.tuples(strategy, st.sampled_from([None, None, *finished_runs])).map(with_run_id)
    # Half of them name a live class (a join's would be refused by the nickname rules the document only
    # describes in words: a join with a real code is tested in tests/test_classes.py).
    if "{code}" in path and mode is POSITIVE and not path.endswith("/join"):
        strategy = st.tuples(strategy, st.sampled_from([None, None, *live_classes])).map(with_code)
    # Positive data is accepted (2xx, or 404/409/429 for a missing run or a full server); negative refused.
    checks = CONFORMANCE + [positive_data_acceptance if mode is POSITIVE else negative_data_rejection]

    with requests.Session() as http:

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=strategy)
        def check(case):
            if method == "POST" and path == "/api/runs" and mode is POSITIVE and isinstance(case.body, dict):
                case.body = small_run(case.body)
            http.cookies.clear()  # each case a stranger: a class's answer may have given this session a cookie
            response = case.call(base_url=server.base, session=http, timeout=HTTP_TIMEOUT_S)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=checks)
            if response.status_code == 201 and path == "/api/runs":  # free its place under the caps at once
                cancel = api["/api/runs/{run_id}/cancel"]["POST"].Case(
                    path_parameters={"run_id": response.json()["id"]}
                )
                answer = cancel.call(base_url=server.base, session=http, timeout=HTTP_TIMEOUT_S)
                statuses[f"cancel {answer.status_code}"] = statuses.get(f"cancel {answer.status_code}", 0) + 1
                cancel.validate_response(answer, checks=CONFORMANCE)

        check()
    cases = sum(n for status, n in statuses.items() if isinstance(status, int))
    print(f"{method} {path} {mode.value}: {cases} cases, by status {statuses}")
    assert cases >= examples
    assert_no_server_errors(new_log_lines(server, offset))


def with_run_id(pair):
    case, run_id = pair
    if run_id is not None:
        case.path_parameters = {**case.path_parameters, "run_id": run_id}
    return case


def with_code(pair):
    case, code = pair
    if code is not None:
        case.path_parameters = {**case.path_parameters, "code": code}
    return case


def run_spec_schema(api) -> dict:
    body = api.raw_schema["paths"]["/api/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return api.raw_schema["components"]["schemas"][name]


def test_the_document_the_model_and_the_form_agree_on_each_field(api):
    """Same fields, in the same order; same types (null: absent), same ranges, same choices."""
    spec = run_spec_schema(api)
    props, form = spec["properties"], RunSpecForm()
    assert list(props) == list(FIELDS) == list(form.fields)
    assert spec["required"] == ["strategy"] and spec["additionalProperties"] is False
    for name, prop in props.items():
        kind, (lo, hi) = kind_of(name), limits_of(name)
        typed = [s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"]
        assert len(typed) == 1, (name, prop)
        typed = typed[0]
        assert prop["title"] == FIELDS[name].title == form.fields[name].label, name
        if name != "strategy":  # optional: null is allowed, and means absent
            assert {"type": "null"} in prop["anyOf"], (name, prop)
        if kind in ("whole", "number"):
            assert typed["type"] == {"whole": "integer", "number": "number"}[kind], (name, typed)
            assert (typed["minimum"], typed["maximum"]) == (lo, hi), name
            widget = form.fields[name].widget.attrs
            assert (widget["min"], widget["max"]) == (lo, hi), name
        elif kind == "list":
            assert typed["type"] == "array" and typed["maxItems"] == django_settings.MAX_REQUESTS
            assert (typed["items"]["minimum"], typed["items"]["maximum"]) == (0, django_settings.MAX_LATENCY_MS)
        elif kind == "bool":
            assert typed["type"] == "boolean", (name, typed)
        else:
            assert typed["type"] == "string" and typed["enum"] == choices_of(name), (name, typed)
            assert [value for value, _ in form.fields[name].widget.choices] == choices_of(name), name
    ways = {name: way for way in spec["anyOf"] for name in way["properties"]["strategy"]["enum"]}
    assert {name: way.get("required", []) for name, way in ways.items()} == {
        s.name: list(s.required) for s in STRATEGIES.values()
    }
    refused = {
        name: sorted(p for p, rule in way["properties"].items() if rule == {"enum": [None, 0]})
        for name, way in ways.items()
    }
    assert refused == {s.name: sorted(p for p, _ in s.refuses) for s in STRATEGIES.values()}


def test_every_answer_is_documented_with_its_schema(api):
    documented = {
        (path, method.upper()): {int(status): sorted(r.get("content", {})) for status, r in op["responses"].items()}
        for path, ops in api.raw_schema["paths"].items()
        for method, op in ops.items()
    }
    json, html = ["application/json"], ["application/json", "text/html"]
    assert documented == {
        ("/api/runs", "POST"): {201: json, 400: json, 403: json, 409: json, 413: json, 429: json},
        ("/api/runs/mine", "GET"): {200: json},
        ("/api/runs/{run_id}", "GET"): {200: json, 404: html},
        ("/api/runs/{run_id}/cancel", "POST"): {202: json, 403: json, 404: html, 409: json},
        ("/api/runs/{run_id}/export", "GET"): {200: ["application/json", "text/csv"], 400: json, 404: html},
        ("/api/classes", "POST"): {201: json, 403: json, 429: json},
        ("/api/classes/{code}", "GET"): {200: json, 400: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}", "PATCH"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/join", "POST"): {
            200: json,
            201: json,
            400: json,
            403: json,
            404: html,
            409: json,
            410: json,
            429: json,
        },
        ("/api/classes/{code}/roster", "GET"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/gallery", "GET"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/learners/{learner_id}", "DELETE"): {
            204: [],
            400: json,
            403: json,
            404: html,
            410: json,
            429: json,
        },
        ("/api/classes/{code}/rounds", "POST"): {201: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/rounds", "GET"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/rounds.csv", "GET"): {
            200: ["text/csv"],
            400: json,
            403: json,
            404: html,
            410: json,
            429: json,
        },
        ("/api/classes/{code}/guesses", "POST"): {
            200: json,
            201: json,
            400: json,
            403: json,
            404: html,
            409: json,
            410: json,
            429: json,
        },
        ("/api/classes/{code}/reveal", "POST"): {
            200: json,
            400: json,
            403: json,
            404: html,
            409: json,
            410: json,
            429: json,
        },
        ("/api/classes/{code}/runs", "POST"): {
            201: json,
            400: json,
            403: json,
            404: html,
            409: json,  # a run for everyone still queued or running
            410: json,
            413: json,
            429: json,
        },
        ("/api/classes/{code}/stage", "POST"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
        ("/api/classes/{code}/stage", "GET"): {200: json, 400: json, 403: json, 404: html, 410: json, 429: json},
    }


@pytest.mark.parametrize("path", API_PATHS)
def test_a_method_the_document_does_not_list_gets_405_naming_the_allowed_one(
    server, api, finished_runs, live_classes, path
):
    listed = {m.upper() for m in api.raw_schema["paths"][path]}
    url = server.base + path.format(run_id=finished_runs[0], code=live_classes[0], learner_id=1)
    with requests.Session() as http:
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - listed:
            r = http.request(method, url, timeout=HTTP_TIMEOUT_S)
            assert r.status_code == 405, (method, path, r.status_code)
            assert set(r.headers["Allow"].replace(" ", "").split(",")) - {"HEAD", "OPTIONS"} == listed
