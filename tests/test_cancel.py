"""Cancelling a run at its edges, in-process against the real demo API and a real database.

queued:  the Run row and its job exist, no worker has claimed it
running: the cancel is a flag on the row (it may come from any process); the worker
         executing the run sees it and stops the run
"""

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from playground.runs import lifecycle
from playground.runs.eventstore import events_after
from playground.runs.models import Event, Run
from playground.runs.worker import inline_worker
from tests.support.demoapi import until
from tests.support.runs import run_ended
from tests.support.wsclient import collect_run

RUN_TIMEOUT_S = 30  # these runs end at once when cancelled, and within ~2 s if not
SLOW = {"strategy": "sequential", "requests": 20, "latency_ms": 100, "jitter_ms": 0, "seed": 1}

pytestmark = pytest.mark.django_db(transaction=True)


async def ended(run: Run) -> tuple[Run, list[dict]]:
    run = await run_ended(run.id, RUN_TIMEOUT_S)
    return run, await sync_to_async(events_after)(run_id=run.id, after=-1)


async def test_a_run_cancelled_while_queued_ends_cancelled_and_never_starts(demo_api, settings):
    settings.RUNS_IN_WEB_PROCESS = False  # no worker yet: the run waits in the queue
    run = await lifecycle.run_launch(spec=SLOW, owner="ann")
    assert await lifecycle.run_cancel(run=run)
    inline_worker()  # a worker comes, and finds nothing to run
    run, evts = await ended(run)
    assert run.status == Run.Status.CANCELLED and run.finished is not None and run.host == ""
    # Nothing ran: its timeline is the one event that closes it.
    assert [(e["seq"], e["type"], e["status"]) for e in evts] == [(0, "run.finished", "cancelled")]
    assert not await lifecycle.run_cancel(run=run), "a run that is over cannot be cancelled again"


async def test_a_running_run_is_cancelled_through_its_row_by_the_worker_executing_it(demo_api):
    run = await lifecycle.run_launch(spec=SLOW, owner="ann")
    await until(lambda: Event.objects.filter(run_id=run.id, data__type="task.finished").exists(), RUN_TIMEOUT_S)
    assert await lifecycle.run_cancel(run=run)
    assert (await Run.objects.aget(id=run.id)).cancel_requested
    run, evts = await ended(run)
    assert run.status == Run.Status.CANCELLED
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert evts[-1]["type"] == "run.finished" and evts[-1]["status"] == "cancelled"
    assert 1 <= sum(e["type"] == "task.started" for e in evts) < 20, "it stopped mid-run"


async def test_a_cancel_right_after_the_start_ends_the_run_for_every_watcher(server):
    """Over HTTP the cancel may find the run queued or running: either way it ends cancelled, once."""
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", json=SLOW) as r:
            assert r.status == 201
            run_id = (await r.json())["id"]
        async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
            assert r.status == 202
        evts = await collect_run(server, run_id)
        async with http.get(f"{server.base}/api/runs/{run_id}") as r:
            stored = await r.json()
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert [e["type"] for e in evts].count("run.finished") == 1
    assert evts[-1]["type"] == "run.finished" and evts[-1]["status"] == "cancelled"
    assert stored["status"] == "cancelled" and stored["events"] == evts
