"""Scale-out by configuration: a real PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) shared by two
Daphnes and two runs workers, all separate processes, as a school that outgrows one machine runs them.

    POST on either Daphne -> PostgreSQL (run + job) -> one worker claims it (row lock, skip locked)
    worker -> events stored in PostgreSQL, published through Redis -> both Daphnes' sockets
    cancel on either Daphne -> the run's row -> the worker executing it stops it
    a worker killed mid-run -> the other worker's sweep closes the run as interrupted
"""

import os
import signal
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.support.servers import start_daphne, start_worker, stop
from tests.support.wsclient import cancel, collect_run, events_around, start_run

LONG = {"strategy": "sequential", "requests": 60, "latency_ms": 100}  # 6 s unless stopped


@pytest.fixture(scope="module")
def scale_db(postgres_url):
    """A database of its own on the session's PostgreSQL server."""
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("DROP DATABASE IF EXISTS scale")
        db.execute("CREATE DATABASE scale")
    return postgres_url.rsplit("/", 1)[0] + "/scale"


@pytest.fixture(scope="module")
def cluster(demo_api, redis_url, scale_db):
    """Two Daphnes and two workers; yields (a, b, workers: dict pid -> Popen)."""
    with tempfile.TemporaryDirectory(prefix="playground-scale-") as tmp:
        env = {
            "DATABASE_URL": scale_db,
            "REDIS_URL": redis_url,
            "PLAYGROUND_RUNS_IN_WEB_PROCESS": "0",
            "PLAYGROUND_MAX_RUNS_PER_VISITOR": "20",
        }
        for name in ("a", "b"):
            (Path(tmp) / name).mkdir()
        a_proc, a = start_daphne(Path(tmp) / "a", demo_api.url, env)
        b_proc, b = start_daphne(Path(tmp) / "b", demo_api.url, env)
        workers = {}
        for name in ("w1", "w2"):
            proc = start_worker(Path(tmp), demo_api.url, env, name=name)
            workers[proc.pid] = proc
        yield a, b, workers
        for proc in [a_proc, b_proc, *workers.values()]:
            stop(proc)


def executed_by(db_url: str, run_id: str) -> int:
    with psycopg.connect(db_url) as db:
        host = db.execute("SELECT host FROM runs_run WHERE id = %s", (run_id,)).fetchone()[0]
    return int(host.split(":")[1])


def assert_gapless(evts: list[dict]) -> None:
    assert [e["seq"] for e in evts] == list(range(len(evts)))


async def test_runs_started_on_either_daphne_run_on_the_workers_and_stream_to_the_other(cluster, scale_db):
    a, b, workers = cluster
    specs = [{"strategy": "semaphore", "requests": 200, "latency_ms": 20, "limit": 20}] * 4
    ids = [await start_run(srv, spec) for srv, spec in zip([a, b, a, b], specs, strict=True)]
    for watcher, run_id in zip([b, a, b, a], ids, strict=True):
        evts = await collect_run(watcher, run_id)
        assert_gapless(evts)
        assert evts[-1]["type"] == "run.finished" and evts[-1]["summary"]["counts"]["ok"] == 200
        assert (await collect_run(a if watcher is b else b, run_id)) == evts, "both Daphnes tell the same"
    assert {executed_by(scale_db, run_id) for run_id in ids} <= set(workers), "only workers execute runs"


@pytest.mark.parametrize("cancel_on", ["a", "b"])
async def test_either_daphne_can_cancel_a_run_watched_on_the_other(cluster, cancel_on):
    a, b, _ = cluster
    canceller, watcher = (a, b) if cancel_on == "a" else (b, a)
    run_id = await start_run(watcher, LONG)
    evts = await events_around(watcher, run_id, 4, lambda: cancel(canceller, run_id))
    assert_gapless(evts)
    assert [(e["type"], e["status"]) for e in evts if e["type"] == "run.finished"] == [("run.finished", "cancelled")]
    assert sum(e["type"] == "task.started" for e in evts) < 60


async def test_a_worker_killed_mid_run_has_its_run_interrupted_and_the_other_goes_on(cluster, scale_db):
    a, b, workers = cluster
    run_id = await start_run(a, LONG)
    dead = 0

    async def kill():
        nonlocal dead
        dead = executed_by(scale_db, run_id)
        os.kill(dead, signal.SIGKILL)
        workers.pop(dead).wait()  # the other worker's sweep (every 2 s) closes the run

    evts = await events_around(a, run_id, 4, kill, watcher=b)
    assert_gapless(evts)
    assert (evts[-1]["type"], evts[-1]["status"]) == ("run.finished", "interrupted")
    assert sum(e["type"] == "task.finished" for e in evts) >= 2, "what it did before it died is kept"
    again = await start_run(b, {"strategy": "gather", "requests": 5, "latency_ms": 10})
    assert (await collect_run(a, again))[-1]["status"] == "finished"
    assert executed_by(scale_db, again) in workers, "the worker left runs it"


async def test_a_socket_that_hears_nothing_for_longer_than_redis_blocking_reads_stays_open(cluster):
    # channels_redis waits for a socket's next message with a 5 s blocking pop; redis-py 8
    # gives up reading after its own default 5 s. Left at that, the race closed a quiet socket
    # with 1011 about every 5 s (a learner whose run waited, or whose request took 7 s).
    a, b, _ = cluster
    run_id = await start_run(a, {"strategy": "sequential", "requests": 2, "latencies_ms": [7000, 10]})
    evts = await collect_run(b, run_id)  # 7 s without a message between task.started and task.finished
    assert_gapless(evts)
    assert evts[-1]["type"] == "run.finished", f"the socket closed after {evts[-1]}"
    assert evts[-1]["status"] == "finished" and evts[-1]["summary"]["counts"]["ok"] == 2
