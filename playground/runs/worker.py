"""The worker: claims queued runs from the job engine's table and executes many at once.

    Worker.serve()   (`manage.py runs_worker`, one per core less one under `make run`;
                      or inside the web process with RUNS_IN_WEB_PROCESS)
      every WORKER_POLL_S (WORKER_BUSY_POLL_S while runs are going), or at once when woken:
        claim    the first ready job in the engine's order (priority, then age), if it fits
                 (admission.fits: the CPU its runs need together stays within the budget);
                 claimed (DBTaskResult.claim) -> an asyncio task: await job.task.acall(...);
                 no read at all while none could fit (full(): a run bound by CPU is going)
        cancel   our runs flagged cancel_requested (by any process) -> their tasks cancelled
      every WORKER_SWEEP_S:
        sweep    runs of processes that died -> interrupted (recovery.py)
        measure  this process's CPU seconds a request, which sets what a run costs
      when its last run ends: the young garbage collected (3-4 ms), while no run is going

Why not django-tasks-db's own `db_worker`: it runs one task at a time, synchronously,
and takes whatever job is next. A run mostly waits on the network, so one event loop
runs dozens at once; and which run may start depends on what is already running.
The engine still owns the queue: its table, its order, its claim (DBTaskResult.claim,
under a row lock on PostgreSQL) and the results.
"""

import asyncio
import contextlib
import contextvars
import gc
import logging
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, transaction
from django_tasks_db.models import DBTaskResult

from playground.runs.admission import fits, run_load
from playground.runs.eventstore import events_publish
from playground.runs.lifecycle import run_cancel_here
from playground.runs.loops import this_loops
from playground.runs.models import Run
from playground.runs.recovery import job_requeue_unbegun, runs_interrupt_unfinished, this_process

logger = logging.getLogger(__name__)

MEASURE_MIN_REQUESTS = 200  # a CPU figure from fewer requests is mostly idle polling
CPU_PER_REQUEST_RANGE_S = (0.00005, 0.005)  # a measurement outside this is a glitch, not a machine
MEASURE_WEIGHT = 0.3  # each new measurement's share in the running estimate


@dataclass
class Running:
    task: asyncio.Task
    load: float
    alone: bool = False  # in a process of its own (alone.py)
    cancelled: bool = False


async def publish_end(run_id: str, end: dict) -> None:
    """Send a run's closing event to its watchers; stored already, so a failure here costs only time."""
    try:
        await events_publish(run_id, [end])
    except Exception as exc:
        logger.warning("run %s: could not publish its end (%r)", run_id, exc)


def ready_jobs():
    return DBTaskResult.objects.ready().filter(queue_name=settings.RUNS_QUEUE, backend_name="default")


def job_claim(worker_id: str, room) -> DBTaskResult | None:
    """Claim the first job in line if `room(its kwargs)` says it fits; else None (it keeps its place)."""
    head = ready_jobs().first()  # a plain read first: most polls find nothing, or no room
    if head is None or not room(head.args_kwargs["kwargs"]):
        return None
    # One claimer at a time: row locks (skip locked) on PostgreSQL; on SQLite the
    # playground's transactions begin IMMEDIATE (settings.py), taking the write lock.
    with transaction.atomic():
        job = ready_jobs().get_locked()
        if job is None or not room(job.args_kwargs["kwargs"]):
            return None
        job.claim(worker_id)
    return job


class Worker:
    def __init__(self, worker_id: str | None = None):
        self.worker_id = (worker_id or this_process())[:64]
        self.running: dict[str, Running] = {}
        self.cpu_per_request_s = settings.WORKER_CPU_PER_REQUEST_S
        self.requests_done = 0
        self.stopping = False
        self._wake = asyncio.Event()
        self._measured = (time.process_time(), 0)

    def wake(self) -> None:
        """Look for a job now (a run was just queued in this process, or one ended)."""
        self._wake.set()

    def room(self, cost: dict) -> bool:
        """Whether the job whose kwargs are `cost` may start now (its load fits; a run alone
        also needs one of the WORKER_MAX_ALONE processes this worker may have at once)."""
        if cost.get("alone") and sum(r.alone for r in self.running.values()) >= settings.WORKER_MAX_ALONE:
            return False
        return fits(run_load(cost, self.cpu_per_request_s), loads=[r.load for r in self.running.values()])

    async def serve(self) -> None:
        """Claim and execute runs until `stop()`; then wait for the runs in flight."""
        await self._sweep()
        swept = time.monotonic()
        while not self.stopping:
            self._wake.clear()  # before claiming: a run queued meanwhile wakes the wait below
            try:
                claimed = await self._claim()
                await self._cancel_flagged()
                if time.monotonic() - swept >= settings.WORKER_SWEEP_S:
                    swept = time.monotonic()
                    self._measure()
                    await self._sweep()
            except Exception:  # the database is busy or gone: keep serving the runs in flight
                logger.exception("worker %s: polling failed; trying again", self.worker_id)
                await sync_to_async(close_old_connections)()  # a broken connection is opened anew
                claimed = False
            if not claimed:
                # Busy, poll less: each poll is CPU the runs in flight would have had.
                poll = settings.WORKER_BUSY_POLL_S if self.running else settings.WORKER_POLL_S
                # Not wait_for: in Python 3.11 it returns a wake that comes with a cancel and
                # loses the cancel, and the worker would serve on past its loop's shutdown.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll):
                        await self._wake.wait()

    async def _sweep(self) -> None:
        """Close the runs of processes that died, and tell their watchers (through the channel layer)."""
        for run_id, end in await sync_to_async(runs_interrupt_unfinished)():
            await publish_end(run_id, end)

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` s for the runs in flight; returns how many are still going."""
        tasks = [r.task for r in self.running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        return sum(not t.done() for t in tasks)

    def full(self) -> bool:
        """No job can fit now (a run that needs the whole budget is going, or WORKER_MAX_RUNS are)."""
        return bool(self.running) and not fits(0.0, loads=[r.load for r in self.running.values()])

    async def _claim(self) -> bool:
        if self.full():  # no read of the queue (about 2 ms of CPU) while it could only say no
            return False
        job = await sync_to_async(job_claim)(self.worker_id, self.room)
        if job is None:
            return False
        kwargs = job.args_kwargs["kwargs"]
        task = asyncio.get_running_loop().create_task(
            self._execute(job), name=f"run-{kwargs['run_id']}", context=contextvars.Context()
        )
        self.running[kwargs["run_id"]] = Running(
            task, run_load(kwargs, self.cpu_per_request_s), alone=bool(kwargs.get("alone"))
        )
        return True

    async def _execute(self, job: DBTaskResult) -> None:
        kwargs = job.args_kwargs["kwargs"]
        try:
            outcome = await job.task.acall(*job.args_kwargs["args"], **kwargs)
            await sync_to_async(job.set_successful)(outcome)
        except BaseException as exc:  # the run closes itself; this records a crash of the job itself
            if isinstance(exc, asyncio.CancelledError) and await self._requeue_unbegun(job, kwargs["run_id"]):
                logger.warning("run %s: cancelled before it began the run; back in line", kwargs["run_id"])
            else:
                logger.exception("run %s: its job failed", kwargs["run_id"])
                await sync_to_async(job.set_failed)(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self.running.pop(kwargs["run_id"], None)
            if not self.running:
                # No run is going: what the runs left (a gather over 1,000: ~15,000 objects, 11,000
                # of them garbage) is collected now, 3-4 ms, not in the middle of the next run's
                # start (settings.WORKER_GC_YOUNG_THRESHOLD). A run queued meanwhile waits that long.
                gc.collect(1)
            if not kwargs.get("alone"):  # a run alone spent its CPU in its own process, not ours
                self.requests_done += kwargs["requests"]
            self._wake.set()

    async def _requeue_unbegun(self, job: DBTaskResult, run_id: str) -> bool:
        try:
            return await sync_to_async(job_requeue_unbegun)(job_id=job.id, run_id=run_id)
        except Exception:  # the database is gone: the job is failed as before, if it can be
            logger.exception("run %s: could not put its job back in line", run_id)
            return False

    async def _cancel_flagged(self) -> None:
        waiting = [run_id for run_id, r in self.running.items() if not r.cancelled]
        if not waiting:
            return
        flagged = Run.objects.filter(id__in=waiting, cancel_requested=True).values_list("id", flat=True)
        async for run_id in flagged:
            if (r := self.running.get(str(run_id))) is not None:
                r.cancelled = run_cancel_here(run_id)  # else it is still beginning: the next poll cancels it

    def _measure(self) -> None:
        """Update the CPU seconds a request costs here, from what the last runs used."""
        cpu, done = time.process_time(), self.requests_done
        cpu0, done0 = self._measured
        if done - done0 < MEASURE_MIN_REQUESTS:
            return
        self._measured = (cpu, done)
        low, high = CPU_PER_REQUEST_RANGE_S
        sample = min(high, max(low, (cpu - cpu0) / (done - done0)))
        self.cpu_per_request_s += MEASURE_WEIGHT * (sample - self.cpu_per_request_s)


_INLINE: dict[asyncio.AbstractEventLoop, "Inline"] = {}


@dataclass
class Inline:
    worker: Worker
    serving: asyncio.Task | None = None


def inline_worker() -> Worker:
    """The worker inside this process's event loop (RUNS_IN_WEB_PROCESS), started on first use."""
    inline = this_loops(_INLINE, lambda: Inline(Worker()))
    if inline.serving is None or inline.serving.done():
        inline.worker = Worker()
        inline.serving = asyncio.get_running_loop().create_task(
            inline.worker.serve(), name="runs-worker", context=contextvars.Context()
        )
    return inline.worker
