"""Runs in worker processes, the way `make run` serves them: supervisord (playground/supervisord.conf)
keeps Daphne, the demo API and a `manage.py runs_worker` going; the queue is the job engine's table in
the shared SQLite file; without Redis, events reach the browser through the web process's feed.

    POST (Daphne) -> Run + job -> worker claims it -> events stored -> feed -> websocket (exactly once)
    worker killed mid-run -> supervisord starts another -> the run ends `interrupted`, events kept
"""

import os
import signal
import sqlite3
import tempfile
from pathlib import Path

import aiohttp
import pytest

from tests.support.demoapi import until
from tests.support.servers import start_playground, start_test_daphne, start_worker, stop
from tests.support.wsclient import cancel, collect_run, events_around, read_events, start_run

LONG = {"strategy": "sequential", "requests": 50, "latency_ms": 100}  # 5 s unless stopped


def row(srv, sql: str, *args):
    with sqlite3.connect(srv.db, timeout=20) as db:
        return db.execute(sql, args).fetchone()


def worker_pid(srv, run_id: str) -> int:
    host = row(srv, "SELECT host FROM runs_run WHERE id = ?", run_id.replace("-", ""))[0]
    return int(host.split(":")[1])


@pytest.fixture(scope="module")
def playground():
    with tempfile.TemporaryDirectory(prefix="playground-workers-") as tmp:
        proc, srv = start_playground(Path(tmp), workers=1, env={"PLAYGROUND_MAX_RUNS_PER_VISITOR": "20"})
        yield srv
        stop(proc)


def assert_gapless(evts: list[dict]) -> None:
    assert [e["seq"] for e in evts] == list(range(len(evts)))


async def test_a_run_executes_in_a_worker_and_streams_live_exactly_once(playground):
    run_id = await start_run(playground, {"strategy": "gather", "requests": 300, "latency_ms": 50})
    evts = await collect_run(playground, run_id)
    assert_gapless(evts)
    assert evts[-1]["status"] == "finished" and evts[-1]["summary"]["counts"]["ok"] == 300
    assert worker_pid(playground, run_id) not in (playground.pid, os.getpid()), "not in the web process"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{playground.base}/api/runs/{run_id}") as r:
            assert (await r.json())["events"] == evts, "what the socket sent is what was stored"


async def test_a_cancel_on_the_web_process_stops_the_run_in_the_worker(playground):
    run_id = await start_run(playground, LONG)
    evts = await events_around(playground, run_id, 4, lambda: cancel(playground, run_id))
    assert_gapless(evts)
    assert evts[-1]["status"] == "cancelled"
    assert sum(e["type"] == "task.started" for e in evts) < 50


async def test_a_worker_that_dies_is_replaced_and_its_run_interrupted_keeping_its_events(playground):
    run_id = await start_run(playground, LONG)
    dead = 0

    async def kill():
        nonlocal dead
        dead = worker_pid(playground, run_id)
        os.kill(dead, signal.SIGKILL)  # supervisord starts a worker, whose sweep closes the run

    evts = await events_around(playground, run_id, 4, kill)
    assert_gapless(evts)
    end = evts[-1]
    assert (end["type"], end["status"]) == ("run.finished", "interrupted")
    assert "stopped during this run" in end["error"]
    assert sum(e["type"] == "task.finished" for e in evts) >= 2, "what it did before it died is kept"
    again = await start_run(playground, {"strategy": "gather", "requests": 3, "latency_ms": 10})
    assert (await collect_run(playground, again))[-1]["status"] == "finished"
    assert worker_pid(playground, again) != dead, "a new worker runs it"


# ------------------------------------------------------------------ the queue, with a worker's budget set low


@pytest.fixture(scope="module")
def busy(demo_api):
    """A Daphne and one worker whose budget fits one run of the kind below at a time."""
    with tempfile.TemporaryDirectory(prefix="playground-queue-") as tmp:
        env = {"PLAYGROUND_RUNS_IN_WEB_PROCESS": "0", "PLAYGROUND_WORKER_CPU_BUDGET": "0.05"}
        web, srv = start_test_daphne(Path(tmp), demo_api.url, env)
        worker = start_worker(Path(tmp), demo_api.url, env)
        yield srv
        stop(worker)
        stop(web)


# 300 requests over 3 s: ~0.1 of a core each (admission.run_load), over the budget of 0.05: each runs alone.
BOUNDED = {"strategy": "semaphore", "requests": 300, "latency_ms": 100, "limit": 10}


async def test_a_run_without_room_waits_in_line_showing_its_place_then_runs(busy):
    first = await start_run(busy, BOUNDED)
    await until(lambda: row(busy, "SELECT status FROM runs_run WHERE id = ?", first.replace("-", ""))[0] == "running")
    second = await start_run(busy, BOUNDED)
    queue: list[dict] = []
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{busy.ws_base}/ws/runs/{second}/", origin=busy.base) as ws:
            evts = await read_events(ws, queue=queue)
    assert queue and queue[0]["place"] == 1 and queue[0]["eta_s"] > 0, queue
    before = await collect_run(busy, first)
    assert before[-1]["status"] == "finished" and evts[-1]["status"] == "finished"
    first_ended_at = before[0]["at"] - before[0]["t"] + before[-1]["t"]  # run.started's `at`: t on the wall
    assert evts[0]["at"] >= first_ended_at - 0.05, "it started once the first had ended, not beside it"


async def test_a_worker_stopped_gives_its_runs_a_grace_and_the_next_one_closes_what_is_left(demo_api, tmp_path):
    env = {"PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"}
    web, srv = start_test_daphne(tmp_path, demo_api.url, env)
    workers = [start_worker(tmp_path, demo_api.url, env)]
    try:
        # 20 s: far longer than the worker's grace (WORKER_STOP_GRACE_S, 5 s).
        run_id = await start_run(srv, {"strategy": "sequential", "requests": 100, "latency_ms": 200})
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{srv.ws_base}/ws/runs/{run_id}/", origin=srv.base) as ws:
                head = await read_events(ws, until_seq=2, until_finished=False)
                workers[0].send_signal(signal.SIGTERM)  # what supervisord sends when make run stops
                assert workers[0].wait(timeout=30) == 0
                workers.append(start_worker(tmp_path, demo_api.url, env, name="next"))  # supervisord's part
                evts = head + await read_events(ws)
    finally:
        for proc in [*workers, web]:
            stop(proc)
    assert_gapless(evts)
    assert (evts[-1]["status"], evts[-1]["error"]) == ("interrupted", "the process running it stopped during this run")
    assert sum(e["type"] == "task.finished" for e in evts) >= 15, "it went on for its grace first (5 s of 200 ms)"


async def test_a_run_alone_executes_in_a_process_of_its_own_beside_the_worker_and_streams_through_the_feed(
    playground,
):
    alone = await start_run(playground, {"strategy": "gather", "requests": 50, "latency_ms": 50, "own_process": True})
    evts = await collect_run(playground, alone)
    assert_gapless(evts)
    assert evts[-1]["status"] == "finished" and evts[-1]["summary"]["cost"]["cpu_s"] > 0
    shared = await start_run(playground, {"strategy": "gather", "requests": 5, "latency_ms": 50})
    assert (await collect_run(playground, shared))[-1]["summary"]["cost"] is None
    assert worker_pid(playground, alone) not in (worker_pid(playground, shared), playground.pid, os.getpid())
