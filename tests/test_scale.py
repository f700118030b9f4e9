"""Beyond one process, by configuration: two Daphnes share a database and a Redis
channel layer (REDIS_URL). A run executes in the process that took the POST; any
process streams its events and can cancel it."""

import tempfile
from pathlib import Path

import aiohttp
import pytest

from tests.support.servers import start_redis, start_test_daphne, stop
from tests.support.wsclient import read_events, start_run


@pytest.fixture(scope="module")
def redis_url():
    with tempfile.TemporaryDirectory(prefix="playground-redis-") as tmp:
        proc, url = start_redis(Path(tmp))
        yield url
        stop(proc)


@pytest.fixture(scope="module")
def two_servers(demo_api, redis_url):
    with tempfile.TemporaryDirectory(prefix="playground-scale-") as tmp:
        db = Path(tmp) / "shared.sqlite3"
        env = {"REDIS_URL": redis_url}
        (Path(tmp) / "a").mkdir()
        (Path(tmp) / "b").mkdir()
        a_proc, a = start_test_daphne(Path(tmp) / "a", demo_api.url, env, db=db)
        b_proc, b = start_test_daphne(Path(tmp) / "b", demo_api.url, env, db=db)
        yield a, b
        stop(a_proc)
        stop(b_proc)


async def test_a_run_started_on_one_process_streams_from_another(two_servers):
    a, b = two_servers
    run_id = await start_run(a, {"strategy": "semaphore", "requests": 300, "latency_ms": 20, "limit": 30})
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{b.ws_base}/ws/runs/{run_id}/", origin=b.base) as ws:
            evts = await read_events(ws)
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert evts[-1]["type"] == "run.finished" and evts[-1]["summary"]["counts"]["ok"] == 300


async def test_any_process_can_cancel_a_run(two_servers):
    a, b = two_servers
    run_id = await start_run(a, {"strategy": "sequential", "requests": 50, "latency_ms": 100})
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{b.ws_base}/ws/runs/{run_id}/", origin=b.base) as ws:
            head = await read_events(ws, until_seq=4, until_finished=False)
            async with http.post(f"{b.base}/api/runs/{run_id}/cancel") as r:
                assert r.status == 202
            evts = head + await read_events(ws)
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert evts[-1]["status"] == "cancelled"
    assert sum(e["type"] == "task.started" for e in evts) < 50


async def test_starting_a_second_process_leaves_the_first_ones_runs_alone(two_servers, demo_api):
    a, _ = two_servers
    run_id = await start_run(a, {"strategy": "sequential", "requests": 100, "latency_ms": 200})  # 20 s
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{a.ws_base}/ws/runs/{run_id}/", origin=a.base) as ws:
            head = await read_events(ws, until_seq=2, until_finished=False)  # it is running
            with tempfile.TemporaryDirectory(prefix="playground-scale-c-") as tmp:
                # A third process starting on the same database runs the start-up sweep before it listens.
                c_proc, _ = start_test_daphne(Path(tmp), demo_api.url, {"REDIS_URL": "redis://127.0.0.1:1/0"}, db=a.db)
                stop(c_proc)
            async with http.get(f"{a.base}/api/runs/{run_id}") as r:
                assert (await r.json())["status"] == "running", "the sibling's run was not interrupted"
            async with http.post(f"{a.base}/api/runs/{run_id}/cancel") as r:
                assert r.status == 202
            evts = head + await read_events(ws)
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert [(e["type"], e["status"]) for e in evts if e["type"] == "run.finished"] == [("run.finished", "cancelled")]
