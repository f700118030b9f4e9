"""A run's life: queued as a job, executed by a worker, cancelled, closed (recovery.py closes
the runs of processes that died, eventstore.py the row with the run's last event).

run_launch(spec, owner)  [one transaction] run_admit (abuse caps) -> Run(queued) -> its job
                         (jobs.execute_run, priority by cost) -> 201; a worker claims the job
worker -> run_execute(run_id): run_begin (queued -> running, host) -> executor.execute()
                         -> events_store(run.finished) closes the row
run_cancel (any process): a queued run is closed in its row (run_cancel_queued), with its
                         job; a running one is flagged (cancel_requested), and the worker
                         executing it, in whatever process, sees the flag and cancels it.

If its events cannot be stored (the Recorder gave up after retrying), the run is stopped
and closed as failed, with the reason, after the last event that was stored.
"""

import asyncio
import logging
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground import events
from playground.runs.admission import run_admit, run_cost, run_priority
from playground.runs.eventstore import events_publish, events_store, layer_crosses_processes, run_mark
from playground.runs.executor import Limits, describe_error, execute
from playground.runs.jobs import execute_run
from playground.runs.models import Event, Run
from playground.runs.recorder import Recorder, flush_thread_loop
from playground.runs.recovery import this_process
from playground.runs.retries import retried
from playground.runs.targets import DEMO, configured_targets

logger = logging.getLogger(__name__)

# run id -> the task executing it in this process, while it may be cancelled: from after it
# began until its strategy is over (not while it is being closed). worker.py cancels through it.
CANCELLABLE: dict[str, asyncio.Task] = {}


def run_enqueue(*, spec: dict, owner: str = "", priority: int | None = None) -> Run:
    """Admit, record and queue a run -- all three, or none (RunRefused). `priority`: in place of
    the one its cost gives (admission.PRIORITY_STAGE: a class's run for everyone)."""
    cost = run_cost(spec)
    with transaction.atomic():
        run_admit(owner=owner)
        run = Run.objects.create(spec=spec, owner=owner)
        alone = {"alone": True} if spec.get("own_process") else {}
        priority = run_priority(cost) if priority is None else priority
        job = execute_run.using(priority=priority).enqueue(run_id=str(run.id), **cost, **alone)
        run.job = uuid.UUID(job.id)
        run.save(update_fields=["job"])
    return run


async def run_launch(*, spec: dict, owner: str, priority: int | None = None) -> Run:
    """Queue a run (see run_enqueue); a worker starts it when it has room."""
    run = await sync_to_async(run_enqueue)(spec=spec, owner=owner, priority=priority)
    run_wake()
    return run


def run_wake() -> None:
    """After run_enqueue has committed: the web process's own worker (tests, the embedded mode) looks now."""
    if settings.RUNS_IN_WEB_PROCESS:
        from playground.runs.worker import inline_worker  # the worker imports this module

        inline_worker().wake()


def run_urls(run: Run) -> dict:
    return {"id": str(run.id), "url": f"/runs/{run.id}/", "ws": f"/ws/runs/{run.id}/"}


def run_limits() -> Limits:
    return Limits(
        connection_limit=settings.CLIENT_CONNECTION_LIMIT,
        request_timeout_s=settings.REQUEST_TIMEOUT_S,
        max_run_s=settings.MAX_RUN_SECONDS,
    )


async def run_cancel(*, run: Run) -> bool:
    """Cancel a run, queued or running, wherever it executes; False if it is already over."""
    if (end := await sync_to_async(run_cancel_queued)(run_id=run.id)) is not None:
        await events_publish(run.id, [end])
        return True
    return bool(await Run.objects.filter(id=run.id, status=Run.Status.RUNNING).aupdate(cancel_requested=True))


def run_cancel_queued(*, run_id) -> events.Recorded | None:
    """Close a run that no worker has begun: its row, its job and its one event, run.finished.

    Returns that event, or None if the run was not queued. A worker that claims the
    job finds the row closed in run_begin and does not start it.
    """
    why = "cancelled by the learner before it began"
    with transaction.atomic():
        if not Run.objects.filter(id=run_id, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELLED, finished=timezone.now()
        ):
            return None
        end = events.numbered(events.run_finished("cancelled", None, why), 0, 0)
        Event.objects.create(run_id=run_id, seq=0, data=end)
        job = Run.objects.filter(id=run_id).values_list("job", flat=True).first()
        if job is not None:
            DBTaskResult.objects.filter(id=job, status="READY").update(
                status="FAILED", finished_at=timezone.now(), traceback=why
            )
    return end


def run_cancel_here(run_id) -> bool:
    """Cancel the run if this process is executing its strategy; False if not (yet, or any more)."""
    task = CANCELLABLE.get(str(run_id))
    if task is None:
        return False
    task.cancel()
    return True


# A run that cannot be marked running is tried again this many times, a moment apart: SQLite's
# shared cache (the test database) refuses a write at once, without its busy timeout, while
# another connection reads the table. Refused every time, its job fails with RunNotBegun, and
# the next sweep closes the run as failed (recovery.py).
BEGIN_ATTEMPTS = 3
BEGIN_RETRY_S = 0.05  # doubles after each failed attempt


class RunNotBegun(Exception):
    """The database refused, BEGIN_ATTEMPTS times, to mark the run running."""


def run_begin(*, run_id) -> bool:
    """Queued -> running, in this process; False if the run ended while queued (cancelled, interrupted)."""
    queued = Run.objects.filter(id=run_id, status=Run.Status.QUEUED)
    return bool(queued.update(status=Run.Status.RUNNING, host=this_process()))


async def run_execute(run_id: str, *, alone: bool = False) -> str:
    """Execute a queued run to its end (a worker's job); returns how it ended. A run that asks
    for a process of its own (own_process) is handed to one (alone.py), which calls this
    again with `alone`."""
    run = await Run.objects.aget(id=run_id)
    if run.spec.get("own_process") and not alone:
        if run.status != Run.Status.QUEUED:
            return "ended while queued"
        from playground.runs.alone import run_alone  # alone imports this module

        return await run_alone(run_id)
    if not await _begin_retrying(run.id):
        return "ended while queued"
    task = asyncio.current_task()
    assert task is not None  # the worker runs each job in a task of its own
    # A run in the web process (RUNS_IN_WEB_PROCESS) flushes in the web loop and publishes
    # to it; else (a worker, a run alone) flushing runs in a thread of its own, and the
    # in-memory layer reaches only this process: the web processes' feed (feed.py) carries
    # the stored events instead.
    inline = settings.RUNS_IN_WEB_PROCESS and not alone
    publishes = inline or layer_crosses_processes()

    async def publish(batch):
        if publishes:
            await events_publish(run.id, batch)

    recorder = Recorder(
        store=sync_to_async(lambda batch: _store(run.id, batch), thread_sensitive=inline),
        publish=publish,
        interval=settings.EVENT_FLUSH_INTERVAL_S,
        batch_max=settings.EVENT_BATCH_MAX,
        # A run nobody can watch or replay: stop it (unless it is already closing).
        on_failure=lambda exc: run_cancel_here(run_id),
        flush_loop=None if inline else flush_thread_loop(),
    )
    recorder.start()
    CANCELLABLE[run_id] = task
    try:
        targets = configured_targets()
        await execute(
            spec=run.spec,
            target=targets[run.spec.get("target", DEMO)],
            key=str(run.id),
            recorder=recorder,
            limits=run_limits(),
            allowed=list(targets.values()),
            strategy_done=lambda: CANCELLABLE.pop(run_id, None),  # closing it is not cancellable
        )
    except asyncio.CancelledError:  # cancelled before the strategy began, or while it ended
        task.uncancel()
        _end_if_open(recorder, "cancelled", "cancelled by the learner")
    except Exception as exc:  # a bug of ours: still close the run on its timeline
        logger.exception("run %s crashed", run.id)
        _end_if_open(recorder, "failed", f"internal error: {type(exc).__name__}")
    finally:
        CANCELLABLE.pop(run_id, None)
        # Storing run.finished closes the Run row (events_store); shielded so that a
        # late cancel (a store that failed for good) cannot cut it short and leave the run open.
        await asyncio.shield(_run_close(run, recorder))
    return recorder.history[-1].get("status", "") if recorder.history else ""


async def _begin_retrying(run_id) -> bool:
    try:
        return await retried(
            lambda: sync_to_async(run_begin)(run_id=run_id),
            attempts=BEGIN_ATTEMPTS,
            first_pause_s=BEGIN_RETRY_S,
            what=f"run {run_id}: marking it running",
            logger=logger,
            errors=(DatabaseError,),
        )
    except DatabaseError as exc:
        raise RunNotBegun(describe_error(exc)) from exc


def _store(run_id, batch: list[dict]) -> None:
    try:
        events_store(run_id, batch)
    except Exception:
        connection.close_if_unusable_or_obsolete()  # a dropped connection: the next attempt opens another
        raise


async def _run_close(run: Run, recorder: Recorder) -> None:
    await recorder.close()
    if recorder.failure is None:
        return
    # Events from recorder.stored on were never stored: the run ends right after the
    # last one that was (whatever the strategy's own end said, it was not recorded).
    error = f"could not store events: {describe_error(recorder.failure)}"
    if await recorder.abandon(events.run_finished("failed", None, error)):
        return
    logger.error("run %s: its end could not be stored either; marking it failed", run.id)
    try:
        await sync_to_async(run_mark)(run_id=run.id, status=Run.Status.FAILED)
    except Exception:  # the database is gone: the run stays open until this worker's process stops,
        # and then a sweep interrupts it (recovery.py)
        logger.exception("run %s: could not mark it failed", run.id)


def _end_if_open(recorder: Recorder, status: str, error: str) -> None:
    if not recorder.history or recorder.history[-1]["type"] != events.RUN_FINISHED:
        recorder.emit(events.run_finished(status, None, error))
