"""The playground on a real PostgreSQL server (Debian's, started by the `postgres_url` fixture):
its migrations, its models through the ORM, and a Daphne storing runs there (DATABASE_URL)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import psycopg
import pytest

from tests.support.servers import ROOT, start_test_daphne, stop
from tests.support.wsclient import collect_run

# Run in `manage.py shell` against DATABASE_URL: a run, two events, read back; the store's
# once-per-seq constraint is the database's own.
ORM_ROUND_TRIP = """
import json
from django.db import IntegrityError, connection, transaction
from playground.runs.eventstore import events_since, events_store
from playground.runs.models import Event, Run

run = Run.objects.create(spec={"strategy": "gather", "requests": 3})
Event.objects.create(run=run, seq=1, data={"type": "task.started", "seq": 1})
Event.objects.create(run=run, seq=0, data={"type": "run.started", "seq": 0})
try:
    with transaction.atomic():
        Event.objects.create(run=run, seq=1, data={"type": "task.started", "seq": 1})
    twice = "stored"
except IntegrityError:
    twice = "refused"
other = Run.objects.create(spec={"strategy": "gather", "requests": 3})
events_store(other.id, [{"type": "task.started", "seq": 0}, {"type": "task.started", "seq": 1}])
read = Run.objects.get(id=run.id, spec__strategy="gather")
print(json.dumps({
    "vendor": connection.vendor,
    "id": str(read.id),
    "status": read.status,
    "events": [e.data for e in read.events.all()],
    "seq_twice": twice,
    "since": [(r, e) for _, r, e in events_since(run_ids=[run.id, other.id], after_id=0, limit=10)],
    "other": str(other.id),
}))
"""


def manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def stored_run(database_url: str, run_id: str) -> tuple | None:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT spec, status FROM runs_run WHERE id = %s", (run_id,)).fetchone()


def test_the_server_is_postgresql(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        (version,) = conn.execute("SELECT version()").fetchone()
    assert version.startswith("PostgreSQL ")


def test_migrations_and_the_models_work_on_postgresql(postgres_url):
    manage(postgres_url, "migrate", "--noinput", "-v", "0")
    out = json.loads(manage(postgres_url, "shell", "-c", ORM_ROUND_TRIP).splitlines()[-1])
    assert out["vendor"] == "postgresql"
    assert out["status"] == "queued"
    assert out["events"] == [{"type": "run.started", "seq": 0}, {"type": "task.started", "seq": 1}]
    assert out["seq_twice"] == "refused"
    run, other = out["id"], out["other"]  # the feed's read, by row id across runs
    assert out["since"] == [
        [run, {"type": "task.started", "seq": 1}],
        [run, {"type": "run.started", "seq": 0}],
        [other, {"type": "task.started", "seq": 0}],
        [other, {"type": "task.started", "seq": 1}],
    ]
    assert stored_run(postgres_url, out["id"]) == ({"strategy": "gather", "requests": 3}, "queued")


@pytest.fixture
def pg_server(demo_api, postgres_url, tmp_path: Path):
    """A Daphne whose database is the PostgreSQL server (start_daphne migrates it first)."""
    proc, srv = start_test_daphne(tmp_path, demo_api.url, {"DATABASE_URL": postgres_url})
    yield srv
    stop(proc)


async def test_daphne_stores_a_run_in_postgresql(pg_server, postgres_url):
    async with aiohttp.ClientSession() as http:
        async with http.get(pg_server.base + "/") as r:
            assert r.status == 200
        async with http.post(pg_server.base + "/api/runs", json={"strategy": "gather", "requests": 3}) as r:
            assert r.status == 201, await r.text()
            run_id = (await r.json())["id"]
        async with http.get(f"{pg_server.base}/api/runs/{run_id}") as r:
            assert r.status == 200
            run = await r.json()
    assert run["id"] == run_id and run["spec"]["strategy"] == "gather" and run["spec"]["requests"] == 3
    evts = await collect_run(pg_server, run_id)  # its events, stored in PostgreSQL as one array a batch
    assert [e["seq"] for e in evts] == list(range(len(evts))) and evts[-1]["status"] == "finished"
    assert stored_run(postgres_url, run_id) == (run["spec"], "finished")


def test_workers_on_postgresql_without_redis_are_refused_with_the_fix_named(postgres_url):
    env = {**os.environ, "DATABASE_URL": postgres_url, "PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "runs_worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "playground.E001" in done.stderr and "Set REDIS_URL" in done.stderr
