"""The JSON API and the pages, through a real Daphne server."""

import json
import re

import aiohttp
import pytest

from playground.runs.api import MAX_BODY_BYTES
from playground.runs.spec import FIELDS, kind_of
from tests.support.apipaths import API_PATHS
from tests.support.wsclient import collect_run, events_around

BAD_SPECS = [
    ({"strategy": "gather", "requests": 0}, "requests", "Must be between 1 and 10,000."),
    ({"strategy": "gather", "requests": 10_001}, "requests", "Must be between 1 and 10,000."),
    ({"strategy": "gather", "requests": "10"}, "requests", "Must be a whole number. Must be between 1 and 10,000."),
    ({"strategy": "gather", "requests": True}, "requests", "Must be a whole number. Must be between 1 and 10,000."),
    ({"strategy": "gather", "requests": 2.5}, "requests", "Must be a whole number. Must be between 1 and 10,000."),
    ({"strategy": "gather", "failure_rate": 1.5}, "failure_rate", "Must be between 0 and 1."),
    ({"strategy": "gather", "latency_ms": -1}, "latency_ms", "Must be between 0 ms and 30,000 ms."),
    (
        {"strategy": "gather", "latencies_ms": [300, -5]},
        "latencies_ms",
        "Each latency must be a number of ms between 0",
    ),
    ({"strategy": "gather", "latencies_ms": "fast"}, "latencies_ms", "Must be a list of latencies in ms"),
    ({"strategy": "sequential", "latencies_ms": False}, "latencies_ms", "Must be a list of latencies in ms"),
    ({"strategy": "warp-drive"}, "strategy", "choose one of: sequential, gather, semaphore"),
    ({"strategy": "semaphore", "requests": 6}, "limit", "Required by the semaphore strategy. Must be between 1 and"),
    ({"strategy": "semaphore", "limit": None}, "limit", "Required by the semaphore strategy"),
    ({"strategy": "semaphore", "limit": 0}, "limit", "Must be between 1 and 10,000."),
    ({"strategy": "gather", "return_exceptions": "yes"}, "return_exceptions", "Must be true or false."),
    ({"strategy": "gather", "speed": 3}, "speed", "Unknown field; allowed fields: requests, latency_ms"),
    ({"requests": 3}, "strategy", "Choose a strategy: sequential, gather"),
    ({"strategy": None}, "strategy", "Choose a strategy: sequential, gather"),
]


async def post_spec(server, spec) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", json=spec) as r:
            return r.status, await r.json()


@pytest.mark.parametrize("spec,field,text", BAD_SPECS)
async def test_bad_specs_get_400_naming_the_field(server, spec, field, text):
    status, body = await post_spec(server, spec)
    assert status == 400, body
    assert field in body["errors"], body
    assert any(text in message for message in body["errors"][field]), body


# A JSON value of each wrong type for each kind of field: refused, never converted.
WRONG_TYPES = {
    "whole": [True, False, "10", 2.5, [1], {"n": 1}],
    "number": [True, False, "0.5", [0.5], {"n": 1}],
    "list": [False, True, 300, 0.5, "300, 500", {"ms": 300}],
    "bool": [1, 0, "true", [True], {"on": True}],
    "choice": [5, True, ["gather"], {"name": "gather"}],
}
WRONG = [(name, value) for name in FIELDS for value in WRONG_TYPES[kind_of(name)]]


@pytest.mark.parametrize("field,value", WRONG, ids=[f"{n}={json.dumps(v)}" for n, v in WRONG])
async def test_a_value_of_the_wrong_json_type_gets_400_naming_the_field(server, field, value):
    spec = {"strategy": "gather", field: value}
    status, body = await post_spec(server, spec)
    assert status == 400, body
    messages = body["errors"][field]
    kind = kind_of(field)
    expected = {
        "whole": "Must be a whole number. Must be between",
        "number": "Must be a number. Must be between",
        "list": "Must be a list of latencies in ms",
        "bool": "Must be true or false.",
        "choice": "allowed targets: demo" if field == "target" else "one of: ",
    }[kind]
    assert any(expected in m for m in messages), messages


async def test_null_means_absent_for_every_optional_field(server):
    nulls = {name: None for name in FIELDS if name != "strategy"}
    async with aiohttp.ClientSession() as http:
        specs = []
        for body in ({"strategy": "gather", **nulls}, {"strategy": "gather"}):
            async with http.post(server.base + "/api/runs", json={**body, "requests": 1, "latency_ms": 1}) as r:
                assert r.status == 201, await r.text()
                run_id = (await r.json())["id"]
            await collect_run(server, run_id)
            async with http.get(f"{server.base}/api/runs/{run_id}") as r:
                specs.append((await r.json())["spec"])
    assert (
        specs[0]
        == specs[1]
        == {
            "strategy": "gather",
            "requests": 1,
            "latency_ms": 1,
            "jitter_ms": 0,
            "failure_rate": 0,
            "seed": 1,
            "return_exceptions": False,
        }
    )


@pytest.mark.parametrize(
    "raw,text",
    [
        (b"{not json", "Body is not valid JSON"),
        (b"[1, 2]", "The body must be a JSON object"),
        (b'"gather"', "The body must be a JSON object"),
        (b"\xff\xfe", "Body is not UTF-8 text"),
        (b"", "The body must be a JSON object"),
        (b'{"strategy": "gather", "failure_rate": NaN}', "NaN is not a JSON number"),
        (b'{"strategy": "gather", "failure_rate": 1' + b"0" * 400 + b"}", "401 digits; no field takes more than 300"),
        (b'{"a": ' * 5_000 + b"1" + b"}" * 5_000, "nested too deeply"),
    ],
)
async def test_malformed_bodies_get_400_naming_the_problem(server, raw, text):
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", data=raw, headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400
            errors = (await r.json())["errors"]["__all__"]
    assert any(text in message for message in errors), errors


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 300 * 1024])  # past ours; past Django's own 256 KB too
async def test_oversized_body_gets_413_naming_the_limit(server, size):
    body = b'{"strategy": "gather", "x": "' + b"a" * size + b'"}'
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", data=body) as r:
            assert r.status == 413
            assert r.content_type == "application/json"
            assert await r.json() == {"error": "Body too large: at most 65,536 bytes."}


async def test_create_then_read_a_run(server):
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", json={"strategy": "gather", "latencies_ms": [30, 50, 20]}) as r:
            assert r.status == 201
            created = await r.json()
        assert created["url"] == f"/runs/{created['id']}/"
        assert created["ws"] == f"/ws/runs/{created['id']}/"
        await collect_run(server, created["id"])  # until run.finished
        async with http.get(server.base + f"/api/runs/{created['id']}") as r:
            run = await r.json()
    assert run["status"] == "finished"
    assert run["spec"]["requests"] == 3 and run["spec"]["latencies_ms"] == [30, 50, 20]
    assert [e["seq"] for e in run["events"]] == list(range(len(run["events"])))
    assert run["summary"]["counts"]["ok"] == 3


async def test_unknown_run_is_404(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/api/runs/00000000-0000-0000-0000-000000000000") as r:
            assert r.status == 404
            assert "No run" in (await r.json())["error"]
        async with http.get(server.base + "/runs/00000000-0000-0000-0000-000000000000/") as r:
            assert r.status == 404
        async with http.get(server.base + "/api/runs/not-a-uuid") as r:
            assert r.status == 404


async def test_openapi_describes_the_api_and_its_ranges(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/api/openapi.json") as r:
            doc = await r.json()
        async with http.get(server.base + "/api/docs") as r:
            assert r.status == 404  # no docs page: it would load its assets from a CDN
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == set(API_PATHS)
    props = doc["components"]["schemas"]["RunSpec"]["properties"]
    requests = next(s for s in props["requests"]["anyOf"] if s["type"] == "integer")
    assert requests["minimum"] == 1 and requests["maximum"] == 10_000
    assert props["strategy"]["enum"][:3] == ["sequential", "gather", "semaphore"]


def browser_session() -> aiohttp.ClientSession:
    """A client that keeps cookies from 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_form_without_javascript_redirects_to_the_run(server):
    async with browser_session() as http:
        async with http.get(server.base + "/") as r:
            assert r.status == 200
            page = await r.text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "strategy": "gather", "requests": "3", "latency_ms": "20"}
        async with http.post(
            server.base + "/", data=form, allow_redirects=False, headers={"Referer": server.base + "/"}
        ) as r:
            assert r.status == 302, await r.text()
            location = r.headers["Location"]
        assert re.fullmatch(r"/runs/[0-9a-f-]{36}/", location)
        async with http.get(server.base + location) as r:
            assert r.status == 200
            assert "boot" in await r.text()


async def test_browser_posts_need_the_csrf_token(server):
    async with browser_session() as http:
        async with http.get(server.base + "/") as r:
            assert r.status == 200
        spec = {"strategy": "gather", "requests": 1, "latency_ms": 1}
        async with http.post(server.base + "/api/runs", json=spec) as r:  # cookies, no token
            assert r.status == 403
            assert "CSRF" in (await r.json())["error"]
        token = next(c.value for c in http.cookie_jar if c.key == "csrftoken")
        async with http.post(
            server.base + "/api/runs", json=spec, headers={"X-CSRFToken": token, "Referer": server.base + "/"}
        ) as r:
            assert r.status == 201


CROSS_SITE = [{"Origin": "https://elsewhere.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}]


@pytest.mark.parametrize("headers", CROSS_SITE, ids=["origin", "null-origin", "sec-fetch-site"])
async def test_another_sites_page_cannot_start_a_run_without_cookies(server, headers):
    """A cross-site form POST carries no cookies (SameSite=Lax): refused before a session is made."""
    spec = {"strategy": "gather", "requests": 1, "latency_ms": 1}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.post(server.base + "/api/runs", json=spec, headers=headers) as r:
            assert r.status == 403 and "Set-Cookie" not in r.headers
            assert (await r.json())["error"].startswith("Cross-site request refused")
        async with http.post(server.base + "/api/runs", json=spec, headers={"Origin": server.base}) as r:
            assert r.status == 201  # this site's own page
        async with http.post(server.base + "/api/runs", json=spec) as r:
            assert r.status == 201  # a script: no Origin


async def test_only_the_owner_may_cancel_and_the_run_ends_cancelled(server):
    async with browser_session() as browser:
        async with browser.get(server.base + "/") as r:
            assert r.status == 200
        token = next(c.value for c in browser.cookie_jar if c.key == "csrftoken")
        headers = {"X-CSRFToken": token, "Referer": server.base + "/"}
        spec = {"strategy": "sequential", "requests": 20, "latency_ms": 500}  # 10 s if left alone
        async with browser.post(server.base + "/api/runs", json=spec, headers=headers) as r:
            run_id = (await r.json())["id"]

        async def cancel_it():  # once its first request has started: cancelled mid-run, not while queued
            async with aiohttp.ClientSession() as stranger:  # the shared link, no session
                async with stranger.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
                    assert r.status == 403
                    assert "read-only" in (await r.json())["error"]
            async with browser.post(f"{server.base}/api/runs/{run_id}/cancel", headers=headers) as r:
                assert r.status == 202
                assert await r.json() == {"id": run_id, "status": "cancelling"}

        events = await events_around(server, run_id, 1, cancel_it)  # until run.finished
        async with browser.get(f"{server.base}/api/runs/{run_id}") as r:
            run = await r.json()
        async with browser.post(f"{server.base}/api/runs/{run_id}/cancel", headers=headers) as r:
            assert r.status == 409  # over: nothing left to cancel
            assert "not running (status: cancelled)" in (await r.json())["error"]
    finished = [e for e in events if e["type"] == "run.finished"]
    assert len(finished) == 1 and finished[0]["status"] == "cancelled", finished
    assert run["status"] == "cancelled"
    assert run["summary"]["counts"]["ok"] < 20  # stopped before every request was made


async def test_a_method_not_listed_gets_405_with_allow(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/api/runs") as r:
            assert r.status == 405
            assert r.headers["Allow"] == "POST"
        async with http.delete(server.base + "/api/runs/00000000-0000-0000-0000-000000000000") as r:
            assert r.status == 405
            assert r.headers["Allow"] == "GET"


async def test_the_page_states_the_limits_and_each_range(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/") as r:
            page = await r.text()
    assert "up to 10,000 requests a run" in page and "runs queued or running at once" in page
    assert "How many HTTP requests the run makes (1 to 10,000)." in page
    assert "The API answers 429 (with Retry-After) above this many requests a second (0.1 to 10,000)." in page
