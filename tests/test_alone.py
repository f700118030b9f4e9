"""A run alone in a process of its own (runs/alone.py, runs/meter.py), through a real Daphne.

POST {own_process: true} -> the web process's inline worker -> a child forked from its
forkserver runs it -> events stored -> the feed -> websocket, live and exactly once
child killed mid-run -> the run ends `interrupted`, its events kept
cancel -> the child's watcher sees the flag -> the run ends `cancelled` at once
"""

import asyncio
import os
import signal
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from playground.runs.meter import LOOP_BLOCKED_MIN_S, LoopWatch, Meter
from tests.support.servers import start_test_daphne, stop
from tests.support.wsclient import cancel, collect_run, events_around, read_events, start_run

ALONE = {"strategy": "gather", "requests": 20, "latency_ms": 100, "own_process": True}
LONG = {"strategy": "gather", "requests": 5, "latency_ms": 4000, "own_process": True}  # 4 s unless stopped


def run_host_pid(srv, run_id: str) -> int:
    with sqlite3.connect(srv.db, timeout=20) as db:
        host = db.execute("SELECT host FROM runs_run WHERE id = ?", (run_id.replace("-", ""),)).fetchone()[0]
    return int(host.split(":")[1])


def assert_gapless(evts: list[dict]) -> None:
    assert [e["seq"] for e in evts] == list(range(len(evts)))


async def test_a_run_alone_executes_in_a_child_process_and_reports_what_it_cost(server):
    run_id = await start_run(server, ALONE)
    evts = await collect_run(server, run_id)
    assert_gapless(evts)
    end = evts[-1]
    assert end["status"] == "finished" and end["summary"]["counts"]["ok"] == 20
    assert evts[0]["spec"]["own_process"] is True
    assert run_host_pid(server, run_id) not in (server.pid, os.getpid()), "not in the web process"
    loop, cost = end["summary"]["loop"], end["summary"]["cost"]
    assert set(loop) == {"blocked_s", "stretches", "longest_s", "share"} and 0 <= loop["share"] <= 1
    assert cost["cpu_s"] > 0 and cost["peak_memory_mb"] >= 0 and cost["threads"] >= 0
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base}/api/runs/{run_id}") as r:
            assert (await r.json())["events"] == evts, "what the socket sent is what was stored"


async def test_a_run_in_the_shared_loop_has_no_loop_or_cost_figures(server):
    end = (await collect_run(server, await start_run(server, {**ALONE, "own_process": False})))[-1]
    assert end["summary"]["loop"] is None and end["summary"]["cost"] is None


async def test_a_run_alone_streams_live_while_it_runs(server):
    run_id = await start_run(server, LONG)
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/", origin=server.base) as ws:
            head = await read_events(ws, until_seq=1, until_finished=False)
            async with http.get(f"{server.base}/api/runs/{run_id}") as r:
                assert (await r.json())["status"] == "running", "its first events came before its end"
            await cancel(server, run_id)
            evts = head + await read_events(ws)
    assert_gapless(evts)


async def test_a_cancelled_run_alone_ends_at_once_and_keeps_its_events(server):
    run_id = await start_run(server, LONG)
    evts = await events_around(server, run_id, 3, lambda: cancel(server, run_id))
    assert_gapless(evts)
    end = evts[-1]
    assert end["status"] == "cancelled"
    assert end["t"] < 3.0, "the cancel did not wait for the 4 s requests"
    assert {e["status"] for e in evts if e["type"] == "task.finished"} == {"cancelled"}


async def test_a_run_alone_whose_process_dies_is_interrupted_keeping_its_events(server):
    run_id = await start_run(server, LONG)
    killed = 0

    async def kill():
        nonlocal killed
        killed = run_host_pid(server, run_id)
        os.kill(killed, signal.SIGKILL)

    # Killed once the five task.started (seq 1-5, after run.started) were stored and seen: events
    # stored are what must survive; killed at seq 3, the last two could still be unstored.
    evts = await events_around(server, run_id, 5, kill)
    assert_gapless(evts)
    assert killed not in (server.pid, os.getpid())
    end = evts[-1]
    assert (end["type"], end["status"]) == ("run.finished", "interrupted")
    assert "stopped during this run" in end["error"]
    assert sum(e["type"] == "task.started" for e in evts) == 5, "what it did before it died is kept"


# --- the measuring parts, in this process -------------------------------------------------


def watching() -> tuple[LoopWatch, list[dict], float]:
    """A started LoopWatch on this loop, the events it emits, and its clock's zero."""
    emitted: list[dict] = []
    t0 = time.monotonic()
    watch = LoopWatch(emit=emitted.append, now=lambda: time.monotonic() - t0)
    watch.start()
    return watch, emitted, t0


async def test_the_loop_watch_sees_a_blocking_call_as_a_stretch_as_long_as_the_hold():
    watch, emitted, t0 = watching()
    await asyncio.sleep(0.05)
    held_from = time.monotonic() - t0
    time.sleep(0.2)  # the loop held: nothing else can run
    await asyncio.sleep(0.05)
    await watch.stop()
    assert {e["type"] for e in emitted} == {"loop.blocked"}
    holds = [e for e in emitted if e["end"] - e["start"] >= 0.15]
    assert len(holds) == 1, emitted
    assert holds[0]["start"] <= held_from + 0.01 and holds[0]["end"] - holds[0]["start"] >= 0.2 - 0.01
    assert watch.figures(wall_s=0.3)["blocked_s"] >= 0.19
    assert LOOP_BLOCKED_MIN_S < 0.15


async def test_a_loop_held_until_the_watch_stops_still_counts():
    watch, emitted, _ = watching()
    await asyncio.sleep(0.02)
    time.sleep(0.1)  # held to the end: the watch is stopped before it wakes
    await watch.stop()
    assert max(e["end"] - e["start"] for e in emitted) >= 0.09


def test_the_meter_counts_threads_and_memory_the_process_took_while_it_ran():
    meter = Meter()
    meter.start()
    gate = threading.Event()
    threads = [threading.Thread(target=gate.wait) for _ in range(4)]
    for thread in threads:
        thread.start()
    meter.sample()
    block = bytearray(64 * 1024 * 1024)  # touched: resident
    for k in range(0, len(block), 4096):
        block[k] = 1
    sum(range(2_000_000))  # some CPU
    gate.set()
    for thread in threads:
        thread.join()
    del block
    figures = meter.figures()
    assert figures["threads"] >= 4
    assert figures["peak_memory_mb"] >= 60, "the peak, though the memory is given back"
    assert figures["cpu_s"] > 0


def test_a_worker_has_at_most_worker_max_alone_runs_alone_at_once(settings):
    from playground.runs.worker import Running, Worker

    settings.WORKER_MAX_ALONE = 2
    worker = Worker("test")
    tiny = {"requests": 3, "expected_s": 0.3}
    for k in range(2):
        worker.running[f"alone-{k}"] = Running(task=None, load=0.001, alone=True)  # type: ignore[arg-type]
    assert worker.room(tiny), "a run in the worker's own loop still fits"
    assert not worker.room({**tiny, "alone": True}), "a third process waits its turn"
    del worker.running["alone-0"]
    assert worker.room({**tiny, "alone": True})


async def test_a_run_that_holds_its_loop_holds_up_no_other_run(server):
    held = await start_run(server, {"strategy": "blocking", "requests": 3, "latency_ms": 4000})  # 12 s held
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_base}/ws/runs/{held}/", origin=server.base) as ws:
            await read_events(ws, until_seq=1, until_finished=False)  # its first request is in flight
            quick = await collect_run(server, await start_run(server, {"strategy": "gather", "requests": 5}))
            async with http.get(f"{server.base}/api/runs/{held}") as r:
                still = (await r.json())["status"]
            await cancel(server, held)
            rest = await read_events(ws)
    assert quick[-1]["status"] == "finished" and quick[-1]["summary"]["counts"]["ok"] == 5
    assert still == "running", "the quick run ended while the other's loop was still held"
    assert rest[-1]["status"] == "cancelled"


@pytest.fixture(scope="module")
def short_runs(demo_api):
    """A server whose runs may last 2 s."""
    with tempfile.TemporaryDirectory(prefix="playground-short-") as tmp:
        proc, srv = start_test_daphne(Path(tmp), demo_api.url, {"PLAYGROUND_MAX_RUN_SECONDS": "2"})
        yield srv
        stop(proc)


async def test_a_loop_held_past_the_time_limit_is_cut_there_and_says_why(short_runs):
    spec = {"strategy": "blocking", "requests": 3, "latency_ms": 6000}  # its loop held 18 s
    end = (await collect_run(short_runs, await start_run(short_runs, spec)))[-1]
    assert end["status"] == "cancelled" and "ran longer than the 2 s a run may take" in end["error"], end
    assert end["t"] < 5.0, "the first request was cut at the limit, not left to its 6 s"
