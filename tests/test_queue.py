"""The queue: abuse caps, what a run costs, the order and room in which a worker claims runs,
and runs left by a process that died (all in-process, on the real test database)."""

import asyncio
import datetime
import gc

import pytest
from asgiref.sync import sync_to_async
from django_tasks_db.models import DBTaskResult

from playground.runs import admission, lifecycle, recovery
from playground.runs.eventstore import events_after
from playground.runs.models import Event, Run
from playground.runs.waiting import line_reports
from playground.runs.worker import Running, Worker, inline_worker, job_claim
from tests.support.demoapi import until
from tests.support.runs import run_ended

pytestmark = pytest.mark.django_db

TINY = {"strategy": "gather", "requests": 3, "latency_ms": 300}
WIDE = {"strategy": "gather", "requests": 1000, "latency_ms": 100}
BOUNDED = {"strategy": "semaphore", "requests": 200, "latency_ms": 100, "limit": 20}


def spec(**fields) -> dict:
    return {"jitter_ms": 0, "failure_rate": 0, "seed": 1, **fields}


def test_a_learner_past_the_cap_is_refused_naming_it_and_others_are_not(settings):
    settings.MAX_RUNS_PER_VISITOR = 2
    for _ in range(2):
        lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    with pytest.raises(admission.RunRefused, match=r"You already have 2 runs queued or running \(at most 2\)"):
        lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    lifecycle.run_enqueue(spec=spec(**TINY), owner="bob")
    Run.objects.filter(owner="ann").update(status=Run.Status.FINISHED)  # her runs ended: she may go on
    lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    assert Run.objects.count() == 4 and DBTaskResult.objects.count() == 4, "a refused run leaves no row, no job"


def test_a_full_queue_refuses_everyone(settings):
    settings.MAX_RUNS_QUEUED = 3
    for who in "abc":
        lifecycle.run_enqueue(spec=spec(**TINY), owner=who)
    with pytest.raises(admission.RunRefused, match="3 runs are waiting already"):
        lifecycle.run_enqueue(spec=spec(**TINY), owner="d")


def test_a_runs_cost_is_its_requests_and_its_ideal_time():
    assert admission.run_cost(spec(**TINY)) == {"requests": 3, "expected_s": 0.3}
    assert admission.run_cost(spec(**BOUNDED)) == {"requests": 200, "expected_s": 1.0}
    # Retries count at most (every attempt failing); the ideal counts the planned ones (none fail here).
    assert admission.run_cost(spec(**TINY, retries=2)) == {"requests": 9, "expected_s": 0.3}


def test_load_is_the_share_of_a_core_and_a_run_bound_by_cpu_needs_all_of_it():
    cpu = 0.0004
    assert admission.run_load(admission.run_cost(spec(**TINY)), cpu) == pytest.approx(0.004)
    assert admission.run_load(admission.run_cost(spec(**BOUNDED)), cpu) == pytest.approx(0.08)
    assert admission.run_load(admission.run_cost(spec(**WIDE)), cpu) == 1.0  # 0.4 s of CPU in a 0.1 s ideal


def test_room_keeps_the_runs_together_within_the_budget(settings):
    settings.WORKER_CPU_BUDGET, settings.WORKER_TINY_LOAD, settings.WORKER_MAX_RUNS = 0.8, 0.02, 5
    assert admission.fits(1.0, loads=[]), "alone, any run starts"
    assert not admission.fits(0.5, loads=[0.5])
    assert admission.fits(0.3, loads=[0.5])
    assert admission.fits(0.01, loads=[0.5, 0.3]), "a tiny run fits where the budget is full"
    assert not admission.fits(0.01, loads=[0.1] * 5), "but every worker runs at most WORKER_MAX_RUNS"


def test_a_run_bound_by_cpu_runs_with_nothing_beside_it_not_even_a_tiny_one(settings):
    settings.WORKER_CPU_BUDGET, settings.WORKER_TINY_LOAD = 0.8, 0.02
    assert not admission.fits(0.01, loads=[1.0]), "its busy loop would stretch the tiny run's timeline"
    assert not admission.fits(1.0, loads=[0.01]), "it waits for the tiny run to end"


async def test_a_worker_reads_the_queue_only_while_a_run_could_fit(settings):
    settings.WORKER_CPU_BUDGET, settings.WORKER_TINY_LOAD, settings.WORKER_MAX_RUNS = 0.8, 0.02, 3
    worker, gate = Worker("w"), asyncio.Event()
    task = asyncio.get_running_loop().create_task(gate.wait())
    try:
        assert not worker.full(), "idle, any run starts"
        worker.running["a"] = Running(task, 0.5)
        assert not worker.full(), "beside a run within the budget, a tiny one still fits"
        worker.running["b"] = Running(task, 1.0)
        assert worker.full(), "a run bound by CPU runs with nothing beside it"
        del worker.running["b"]
        worker.running.update({"b": Running(task, 0.01), "c": Running(task, 0.01)})
        assert worker.full(), "WORKER_MAX_RUNS are going"
    finally:
        gate.set()
        await task


def test_tiny_runs_go_first_and_the_others_in_the_order_they_came():
    tiny, bounded, wide = (admission.run_priority(admission.run_cost(spec(**s))) for s in (TINY, BOUNDED, WIDE))
    assert tiny > bounded == wide
    assert all(-100 <= p <= 100 for p in (tiny, bounded, wide))


def test_a_worker_claims_in_line_and_only_what_fits():
    wide = lifecycle.run_enqueue(spec=spec(**WIDE), owner="a")
    bounded = lifecycle.run_enqueue(spec=spec(**BOUNDED), owner="b")
    tiny = lifecycle.run_enqueue(spec=spec(**TINY), owner="c")
    assert job_claim("w1", lambda cost: True).id == tiny.job, "the tiny run was queued last but goes first"
    assert job_claim("w1", lambda cost: False) is None, "no room: the next one keeps its place"
    claimed = job_claim("w2", lambda cost: True)
    assert claimed.id == wide.job and claimed.worker_ids == ["w2"], "then the others in the order they came"
    assert job_claim("w1", lambda cost: True).id == bounded.job
    assert job_claim("w1", lambda cost: True) is None, "each job is claimed once"


def test_a_run_cancelled_while_queued_is_closed_with_its_job():
    run = lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    end = lifecycle.run_cancel_queued(run_id=run.id)
    assert (end["seq"], end["type"], end["status"]) == (0, "run.finished", "cancelled")
    assert Run.objects.get(id=run.id).status == Run.Status.CANCELLED
    assert DBTaskResult.objects.get(id=run.job).status == "FAILED"
    assert job_claim("w", lambda cost: True) is None, "no worker will start it"
    assert lifecycle.run_cancel_queued(run_id=run.id) is None, "only once"


def test_runs_of_a_process_that_died_are_interrupted_keeping_their_events():
    gone = f"{recovery.this_process().split(':')[0]}:{2**22 + 1}"  # above Linux's largest pid: no such process
    run = Run.objects.create(spec={"strategy": "gather", "requests": 2}, status=Run.Status.RUNNING, host=gone)
    for seq, data in enumerate([{"type": "run.started", "t": 0.0}, {"type": "task.started", "t": 0.1}]):
        Event.objects.create(run=run, seq=seq, data={**data, "seq": seq})
    mine = Run.objects.create(spec={"strategy": "gather"}, status=Run.Status.RUNNING, host=recovery.this_process())
    queued = lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    done = Run.objects.create(spec={"strategy": "gather"}, status=Run.Status.FINISHED, host=gone)
    assert [run_id for run_id, _ in recovery.runs_interrupt_unfinished()] == [str(run.id)]
    statuses = {r.id: r.status for r in Run.objects.all()}
    assert statuses[run.id] == "interrupted"
    assert (statuses[mine.id], statuses[queued.id], statuses[done.id]) == ("running", "queued", "finished")
    evts = events_after(run_id=run.id, after=-1)
    assert [e["seq"] for e in evts] == [0, 1, 2]
    assert evts[-1]["type"] == "run.finished" and evts[-1]["status"] == "interrupted"
    assert evts[-1]["t"] == 0.1


def test_an_earlier_process_with_our_pid_is_gone_and_we_are_not():
    host, pid, _ = recovery.this_process().split(":")
    assert not recovery.process_gone(recovery.this_process())
    assert recovery.process_gone(f"{host}:{pid}:00000000")
    assert recovery.process_gone(f"{host}:{pid}"), "a run recorded before the nonce, by a pid now ours"
    assert not recovery.process_gone(f"another-machine:{pid}"), "another machine sweeps its own"


def test_the_line_tells_each_queued_run_its_place_and_a_later_start_the_further_back_it_is():
    wide = lifecycle.run_enqueue(spec=spec(**WIDE), owner="a")
    bounded = lifecycle.run_enqueue(spec=spec(**BOUNDED), owner="b")
    tiny = lifecycle.run_enqueue(spec=spec(**TINY), owner="c")
    reports = line_reports()
    places = {job: r["place"] for job, r in reports.items()}
    assert [places[r.job] for r in (tiny, wide, bounded)] == [1, 2, 3], "tiny first, then in the order they came"
    etas = [reports[r.job]["eta_s"] for r in (tiny, wide, bounded)]
    assert etas[0] == 0 and etas == sorted(etas) and etas[2] > etas[1]
    job_claim("w", lambda cost: True)  # the tiny one leaves the line: the others move up
    assert {reports_place["place"] for reports_place in line_reports().values()} == {1, 2}
    assert tiny.job not in line_reports()


def test_a_job_claimed_by_a_process_that_died_before_its_run_began_goes_back_in_line():
    run = lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    gone = f"{recovery.this_process().split(':')[0]}:{2**22 + 1}"
    assert job_claim(gone, lambda cost: True).id == run.job
    assert recovery.runs_interrupt_unfinished() == []
    assert Run.objects.get(id=run.id).status == "queued"
    assert job_claim("w", lambda cost: True).id == run.job, "a live worker claims it again"


def test_a_run_the_database_would_not_begin_is_closed_failed_and_one_whose_job_failed_otherwise_is_not():
    refused = lifecycle.run_enqueue(spec=spec(**TINY), owner="ann")
    stopped = lifecycle.run_enqueue(spec=spec(**TINY), owner="bob")
    for run, exc in [
        (refused, lifecycle.RunNotBegun("OperationalError: database is locked")),
        (stopped, RuntimeError("a crash of the job itself")),  # failed some other way
    ]:
        job = job_claim("w", lambda cost: True)
        assert job.id == run.job
        job.set_failed(exc)  # as the worker records a job that raised
    closed = dict(recovery.runs_interrupt_unfinished())
    assert list(closed) == [str(refused.id)]
    end = closed[str(refused.id)]
    why = "the database would not let the worker begin it (OperationalError: database is locked)"
    assert (end["seq"], end["type"], end["status"], end["error"]) == (0, "run.finished", "failed", why)
    assert events_after(run_id=refused.id, after=-1) == [end]
    assert {r.id: r.status for r in Run.objects.all()} == {refused.id: "failed", stopped.id: "queued"}


def test_a_run_of_a_live_process_is_never_swept_however_long_it_waited_first(settings):
    run = Run.objects.create(spec={"strategy": "gather"}, status=Run.Status.RUNNING, host=recovery.this_process())
    Run.objects.filter(id=run.id).update(created=run.created - datetime.timedelta(hours=1))
    assert recovery.runs_interrupt_unfinished() == []
    assert Run.objects.get(id=run.id).status == "running"


@pytest.mark.django_db(transaction=True)
async def test_a_worker_cancelled_as_it_is_woken_stops_serving(settings, monkeypatch):
    """A run ends (a wake) as the loop shuts down (a cancel), in one step: the cancel must win.
    Python 3.11's asyncio.wait_for returned the wake and lost the cancel; the worker then
    served on, and the loop's shutdown waited for it forever."""
    settings.WORKER_POLL_S = settings.WORKER_SWEEP_S = 30  # it polls and sweeps once, then waits
    worker, polls = Worker("w"), []
    claim = worker._claim

    async def claim_noted() -> bool:
        claimed = await claim()
        polls.append(claimed)  # from here to its wait for a wake, the worker does not yield
        return claimed

    monkeypatch.setattr(worker, "_claim", claim_noted)
    serving = asyncio.get_running_loop().create_task(worker.serve())
    await until(lambda: polls)
    worker.wake()
    serving.cancel()
    done, _ = await asyncio.wait({serving}, timeout=5)
    if not done:
        worker.stop()
        await serving
    assert serving in done and serving.cancelled(), "the cancel was lost"
    assert polls == [False], "it never polled again"


@pytest.mark.django_db(transaction=True)
async def test_a_worker_left_with_no_run_collects_the_young_garbage_then(demo_api):
    """What runs leave is collected when the worker has no run going, and only then (the
    interpreter's own collections held off here, as WORKER_GC_YOUNG_THRESHOLD holds them off in a
    worker while a gather over 1,000 starts its requests)."""
    worker, collections = inline_worker(), []  # (generation, runs going) of each collection

    def noted(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append((info["generation"], len(worker.running)))

    threshold = gc.get_threshold()
    gc.set_threshold(10**9)  # no collection of the interpreter's own: only the worker's
    gc.callbacks.append(noted)
    try:
        run = await lifecycle.run_launch(spec=spec(**TINY), owner="gc")
        await run_ended(run.id, 10)
        await until(lambda: (1, 0) in collections)
    finally:
        gc.callbacks.remove(noted)
        gc.set_threshold(*threshold)
    assert all(going == 0 for _, going in collections), "none while the run was going"


@pytest.mark.django_db(transaction=True)
async def test_a_job_whose_worker_stops_before_its_run_began_goes_back_in_line():
    """Cancelled (its worker stopping) while it reads the run it is about to begin: the run stays
    queued and its job is ready again, for the next worker, not failed and swept 240 s later."""
    run = await sync_to_async(lifecycle.run_enqueue)(spec=spec(**TINY), owner="ann")  # no inline worker woken
    worker = Worker("w")
    job = await sync_to_async(job_claim)("w", lambda cost: True)
    task = asyncio.get_running_loop().create_task(worker._execute(job))
    await asyncio.sleep(0)  # its first step: it waits for the run's row (Run.objects.aget)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await Run.objects.aget(id=run.id)).status == Run.Status.QUEUED
    assert (await DBTaskResult.objects.aget(id=run.job)).status == "READY"
    assert (await sync_to_async(job_claim)("w2", lambda cost: True)).id == run.job, "the next worker claims it"
