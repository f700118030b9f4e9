"""Cancelling a run at its edges, in-process against the real demo API and a real database.

queued:        the Run row exists, its task has not begun
not listening: another process's cancel (a channel-layer message) is sent before the
               executing process listens on the run's control group
"""

import asyncio

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from playground.runs import admission, services
from playground.runs.models import Run
from tests.support.wsclient import collect_run

RUN_TIMEOUT_S = 30  # these runs end at once when cancelled, and within ~2 s if not
SLOW = {"strategy": "sequential", "requests": 20, "latency_ms": 100, "jitter_ms": 0, "seed": 1}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_admissions():
    admission.ADMITTED.clear()
    yield
    admission.ADMITTED.clear()


async def ended(run: Run) -> tuple[Run, list[dict]]:
    run = await Run.objects.aget(id=run.id)
    return run, await sync_to_async(services.events_after)(run_id=run.id, after=-1)


async def test_a_run_cancelled_while_queued_ends_cancelled(demo_api):
    run = await sync_to_async(services.run_create)(spec=SLOW, owner="ann")
    task = services.run_start(run=run)
    # Read without awaiting (the loop must not run the task yet): still queued in its row.
    assert Run.objects.get(id=run.id).status == Run.Status.QUEUED
    assert await services.run_cancel(run=run)  # before the task took a single step
    await asyncio.wait_for(task, RUN_TIMEOUT_S)
    run, evts = await ended(run)
    assert run.status == Run.Status.CANCELLED and run.finished is not None
    # Nothing ran: its timeline is the one event that closes it.
    assert [(e["seq"], e["type"], e["status"]) for e in evts] == [(0, "run.finished", "cancelled")]


async def test_a_cancel_sent_before_the_process_listens_still_stops_the_run(demo_api):
    run = await sync_to_async(services.run_create)(spec=SLOW, owner="ann")
    # Not in this process's RUNNING_TASKS: run_cancel asks whichever process executes it.
    assert await services.run_cancel(run=run)
    task = services.run_start(run=run)  # that process only now begins, and listens
    await asyncio.wait_for(task, RUN_TIMEOUT_S)
    run, evts = await ended(run)
    assert run.status == Run.Status.CANCELLED and run.finished is not None
    # Nothing ran: its timeline is the one event that closes it.
    assert [(e["seq"], e["type"], e["status"]) for e in evts] == [(0, "run.finished", "cancelled")]


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
