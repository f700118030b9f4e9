"""The stage run's place in the queue, through a real Daphne whose worker runs one run at a time:
the class's run for everyone starts ahead of learners' runs queued before it, the load at its
launch is kept, the abuse caps hold for the teacher too, and a second one waits for the first.
"""

import json
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest

from playground.classes.stage import LAUNCH_BUSY
from tests.support.classes import Browser, classroom
from tests.support.fuzzing import assert_no_server_errors
from tests.support.servers import start_test_daphne, stop
from tests.support.wsclient import read_events

TINY = {"strategy": "gather", "requests": 3, "latency_ms": 50}


@pytest.fixture(scope="module")
def one_at_a_time(demo_api):
    """A Daphne whose worker runs one run at a time (a tiny CPU budget: no run fits beside another),
    so that runs queue; each browser may have 3 runs going."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-stage-"))
    env = {"PLAYGROUND_WORKER_CPU_BUDGET": "0.000001", "PLAYGROUND_MAX_RUNS_PER_VISITOR": "3"}
    proc, srv = start_test_daphne(tmp, demo_api.url, env)
    yield srv
    stop(proc)
    assert_no_server_errors(srv.log.read_text())
    shutil.rmtree(tmp, ignore_errors=True)


def finished_order(server, run_ids: list[str]) -> list[str]:
    """The runs in the order they finished (one at a time: the order they started), from the server's database."""
    with sqlite3.connect(server.db) as db:
        rows = db.execute("SELECT id, finished FROM runs_run WHERE finished IS NOT NULL").fetchall()
    by_hex = {uuid.UUID(str(r[0])).hex: r[1] for r in rows}
    return sorted(run_ids, key=lambda run_id: by_hex[uuid.UUID(run_id).hex])


def stage_rows(server) -> list[tuple[str, dict]]:
    with sqlite3.connect(server.db) as db:
        rows = db.execute("SELECT run_id, load FROM classes_stage ORDER BY id").fetchall()
    return [(uuid.UUID(str(run)).hex, json.loads(load)) for run, load in rows]


async def test_the_stage_run_starts_ahead_of_learners_runs_queued_before_it_and_its_load_is_kept(one_at_a_time):
    server = one_at_a_time
    hold = {"strategy": "sequential", "requests": 1, "latency_ms": 30_000}  # holds the worker until cancelled
    async with Browser(server) as teacher, Browser(server) as ada:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        blocker = await ada.start_run(hold)
        assert ada.http is not None
        async with ada.http.ws_connect(f"{server.ws_base}/ws/runs/{blocker}/", origin=server.base) as ws:
            await read_events(ws, until_seq=1, until_finished=False)  # running: the worker is busy
        queued = [await ada.start_run(TINY), await ada.start_run(TINY)]  # tiny: they would jump any other queue

        # The abuse caps hold for the teacher too: with three runs of their own going, one more is too many.
        own = [await teacher.start_run(TINY) for _ in range(3)]
        status, refused, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
        assert status == 429 and "(at most 3)" in refused["error"], refused
        assert stage_rows(server) == [], "a refused run is not put on stage"
        for run_id in own:
            assert (await teacher.call("POST", f"/api/runs/{run_id}/cancel"))[0] == 202

        status, first, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
        assert status == 201, first
        assert first["stage"]["load"] == {"running": 1, "queued": 2}, "Ada's run going, her two waiting"
        # A double click, a second tab: no second run for everyone while the first is queued or running.
        for _ in range(2):
            status, busy, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
            assert status == 409 and busy["error"] == LAUNCH_BUSY, busy
        assert [run for run, _ in stage_rows(server)] == [uuid.UUID(first["id"]).hex]

        status, _, _ = await ada.call("POST", f"/api/runs/{blocker}/cancel")
        assert status == 202
        ends = {}
        for run_id in [first["id"], *queued]:
            async with ada.http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/", origin=server.base) as ws:
                ends[run_id] = (await read_events(ws))[-1]
        assert all(end["status"] == "finished" for end in ends.values()), ends
        assert finished_order(server, [first["id"], *queued]) == [first["id"], *queued], "the class's run first"
        assert dict(stage_rows(server))[uuid.UUID(first["id"]).hex] == {"running": 1, "queued": 2}
        with sqlite3.connect(server.db) as db:
            jobs = "SELECT r.id, j.priority FROM runs_run r JOIN django_tasks_database_dbtaskresult j ON j.id = r.job"
            priorities = dict(db.execute(jobs))
        by_hex = {uuid.UUID(str(k)).hex: v for k, v in priorities.items()}
        assert by_hex[uuid.UUID(first["id"]).hex] == 100
        assert all(by_hex[uuid.UUID(i).hex] < 100 for i in queued)
        # Once it has finished, the next run for everyone starts.
        status, second, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
        assert status == 201 and second["stage"]["runs"][0]["id"] == second["id"], second
