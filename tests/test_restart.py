"""The server stops mid-run: on the next start the run is `interrupted`, its events kept."""

import signal
import tempfile
from pathlib import Path

import aiohttp
import pytest

from tests.support.servers import start_test_daphne, stop
from tests.support.wsclient import read_events, start_run


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
async def test_runs_left_unfinished_are_interrupted_on_restart(demo_api, how):
    with tempfile.TemporaryDirectory(prefix="playground-restart-") as tmp:
        proc, srv = start_test_daphne(Path(tmp), demo_api.url)
        try:
            run_id = await start_run(srv, {"strategy": "sequential", "requests": 100, "latency_ms": 200})
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"{srv.ws_base}/ws/runs/{run_id}/", origin=srv.base) as ws:
                    before = await read_events(ws, until_seq=8, until_finished=False)
                    proc.send_signal(how)
                    proc.wait(timeout=20)
        finally:
            stop(proc)
        proc, srv = start_test_daphne(Path(tmp), demo_api.url)  # same database file
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{srv.base}/api/runs/{run_id}") as r:
                    run = await r.json()
                async with http.get(f"{srv.base}/runs/{run_id}/") as r:
                    assert r.status == 200
        finally:
            stop(proc)
    assert run["status"] == "interrupted"
    evts = run["events"]
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert evts[: len(before)] == before, "nothing recorded before the stop is lost"
    end = evts[-1]
    assert end["type"] == "run.finished" and end["status"] == "interrupted"
    assert "stopped during this run" in end["error"]
    assert sum(e["type"] == "run.finished" for e in evts) == 1
