"""The per-learner cap over HTTP, through a real Daphne whose learners may have 2 runs going.

    run 1, run 2 -> 201; run 3 -> 429 naming the cap; another learner -> 201
    one of the learner's runs ends (cancelled, or finished) -> the learner may start again (201)

A cookie-less client is one learner (its address); a client with a session cookie is another.
"""

import shutil
import tempfile
from pathlib import Path

import aiohttp
import pytest

from tests.support.servers import start_test_daphne, stop
from tests.support.wsclient import collect_run, read_events

CAP = 2
LONG = {"strategy": "sequential", "requests": 50, "latency_ms": 200}  # 10 s unless cancelled
# One request of 3 s: it is still going when the next POST arrives, and then it finishes.
SHORT = {"strategy": "gather", "requests": 1, "latency_ms": 3000}


@pytest.fixture(scope="module")
def capped(demo_api):
    tmp = Path(tempfile.mkdtemp(prefix="playground-admission-"))
    proc, srv = start_test_daphne(tmp, demo_api.url, {"PLAYGROUND_MAX_RUNS_PER_VISITOR": str(CAP)})
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


async def post_run(http, srv, spec, headers=None) -> tuple[int, dict]:
    async with http.post(srv.base + "/api/runs", json=spec, headers=headers) as r:
        return r.status, await r.json()


async def cancel_and_wait(http, srv, run_id: str, headers=None) -> dict:
    """Cancel a run; return its run.finished event once it is stored and sent."""
    async with http.post(f"{srv.base}/api/runs/{run_id}/cancel", headers=headers) as r:
        assert r.status == 202, await r.text()
    end = (await collect_run(srv, run_id))[-1]
    assert end["type"] == "run.finished"
    return end


async def test_the_run_past_the_cap_gets_a_429_naming_it_and_a_cancel_frees_a_place(capped):
    async with aiohttp.ClientSession() as http:
        first = [await post_run(http, capped, LONG) for _ in range(CAP)]
        assert [status for status, _ in first] == [201] * CAP
        status, body = await post_run(http, capped, LONG)
        assert status == 429
        assert "You already have 2 runs queued or running (at most 2)" in body["error"] and "id" not in body

        # Another learner (a session cookie) is not held by this one's cap.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            async with other.get(capped.base + "/") as r:
                assert r.status == 200
            token = next(c.value for c in other.cookie_jar if c.key == "csrftoken")
            headers = {"X-CSRFToken": token, "Referer": capped.base + "/"}
            status, theirs = await post_run(other, capped, LONG, headers)
            assert status == 201
            await cancel_and_wait(other, capped, theirs["id"], headers)

        end = await cancel_and_wait(http, capped, first[0][1]["id"])
        assert end["status"] == "cancelled"
        status, again = await post_run(http, capped, LONG)
        assert status == 201, again
        for run_id in (first[1][1]["id"], again["id"]):  # leave no place taken for the next test
            await cancel_and_wait(http, capped, run_id)


async def test_a_run_that_finishes_frees_a_place(capped):
    async with aiohttp.ClientSession() as http:
        status, long_run = await post_run(http, capped, LONG)
        assert status == 201
        status, short = await post_run(http, capped, SHORT)
        assert status == 201
        async with http.ws_connect(f"{capped.ws_base}/ws/runs/{short['id']}/", origin=capped.base) as ws:
            # Its one request is in flight: the run is going, so the cap is reached.
            head = await read_events(ws, until_seq=1, until_finished=False)
            assert [e["type"] for e in head[:2]] == ["run.started", "task.started"]
            status, body = await post_run(http, capped, LONG)
            assert status == 429 and "(at most 2)" in body["error"]
            rest = await read_events(ws)
        assert rest[-1]["type"] == "run.finished" and rest[-1]["status"] == "finished"
        status, again = await post_run(http, capped, LONG)
        assert status == 201, again
        for run_id in (long_run["id"], again["id"]):
            await cancel_and_wait(http, capped, run_id)
