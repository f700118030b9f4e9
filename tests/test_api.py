"""The JSON API and the pages, through a real Daphne server."""

import json
import re

import aiohttp
import pytest

from tests.support.wsclient import collect_run

BAD_SPECS = [
    ({"strategy": "gather", "requests": 0}, "requests", "between 1 and 10,000"),
    ({"strategy": "gather", "requests": 10_001}, "requests", "between 1 and 10,000"),
    ({"strategy": "gather", "requests": "10"}, "requests", "JSON number"),
    ({"strategy": "gather", "requests": True}, "requests", "JSON number"),
    ({"strategy": "gather", "requests": 2.5}, "requests", "between 1 and 10,000"),
    ({"strategy": "gather", "failure_rate": 1.5}, "failure_rate", "between 0 and 1"),
    ({"strategy": "gather", "latency_ms": -1}, "latency_ms", "between 0 ms and 30,000 ms"),
    ({"strategy": "gather", "latencies_ms": [300, -5]}, "latencies_ms", "between 0 and 30,000 ms"),
    ({"strategy": "gather", "latencies_ms": "fast"}, "latencies_ms", "not a number"),
    ({"strategy": "warp-drive"}, "strategy", "choose one of: sequential, gather, semaphore"),
    ({"strategy": "semaphore", "requests": 6}, "limit", "Required by the semaphore strategy"),
    ({"strategy": "semaphore", "limit": 0}, "limit", "between 1 and 10,000"),
    ({"strategy": "gather", "return_exceptions": "yes"}, "return_exceptions", "true or false"),
    ({"strategy": "gather", "speed": 3}, "speed", "Unknown field"),
    ({"requests": 3}, "strategy", "Choose a strategy"),
]


@pytest.mark.parametrize("spec,field,text", BAD_SPECS)
async def test_bad_specs_get_400_naming_the_field(server, spec, field, text):
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", json=spec) as r:
            assert r.status == 400
            body = await r.json()
    assert field in body["errors"], body
    assert any(text in message for message in body["errors"][field]), body


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"gather"', b"\xff\xfe"])
async def test_malformed_bodies_get_400(server, raw):
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", data=raw, headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400
            assert "__all__" in (await r.json())["errors"]


async def test_oversized_body_gets_413(server):
    async with aiohttp.ClientSession() as http:
        body = json.dumps({"strategy": "gather", "latencies_ms": [1] * 40_000})
        async with http.post(server.base + "/api/runs", data=body) as r:
            assert r.status in (400, 413)
            assert "error" in (await r.json()) or "errors" in (await r.json())


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
    assert doc["openapi"].startswith("3.")
    assert {"/api/runs", "/api/runs/{run_id}"} <= set(doc["paths"])
    props = doc["paths"]["/api/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["requests"]["minimum"] == 1 and props["requests"]["maximum"] == 10_000
    assert set(props["strategy"]["enum"]) >= {"sequential", "gather", "semaphore"}


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


async def test_only_the_owner_may_cancel(server):
    async with browser_session() as browser:
        async with browser.get(server.base + "/") as r:
            assert r.status == 200
        token = next(c.value for c in browser.cookie_jar if c.key == "csrftoken")
        headers = {"X-CSRFToken": token, "Referer": server.base + "/"}
        spec = {"strategy": "sequential", "requests": 20, "latency_ms": 100}
        async with browser.post(server.base + "/api/runs", json=spec, headers=headers) as r:
            run_id = (await r.json())["id"]
        async with aiohttp.ClientSession() as stranger:  # the shared link, no session
            async with stranger.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
                assert r.status == 403
                assert "read-only" in (await r.json())["error"]
        async with browser.post(f"{server.base}/api/runs/{run_id}/cancel", headers=headers) as r:
            assert r.status == 202


async def test_the_page_states_the_limits_and_each_range(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/") as r:
            page = await r.text()
    assert "up to 10,000 requests a run" in page and "runs going at once" in page
    assert "How many HTTP requests the run makes. (1 to 10,000)" in page
