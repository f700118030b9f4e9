"""The only writers of runs: create, start, cancel, finish.

run_launch(spec, owner): run_admit (admission.py) -> run_create -> Run(queued) -> run_start -> task
task: _run_execute -> listen for cancels -> run_begin (queued -> running) -> executor.execute()
      -> run_mark(status, summary) -> run_release   (the task is kept in RUNNING_TASKS until done)

run_cancel: a queued run is closed in its row by whoever cancels it (run_cancel_queued);
a running one is cancelled through its task, here or in the process that executes it.
The executor listens for cancels before it turns its run from queued to running, so
every cancel finds either a queued row or a listener.

If its events cannot be stored (the Recorder gave up after retrying), the run is stopped
and closed as failed, with the reason, after the last event that was stored.
"""

import asyncio
import contextvars
import datetime
import json
import logging
import os
import socket

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from playground import events
from playground.runs.admission import run_admit, run_release
from playground.runs.executor import Limits, describe_error, execute
from playground.runs.models import Event, Run
from playground.runs.recorder import Recorder
from playground.runs.targets import DEMO, configured_targets

logger = logging.getLogger(__name__)

# run id -> its asyncio task; a done-callback removes it, so nothing outlives its run.
RUNNING_TASKS: dict[str, asyncio.Task] = {}
# This process, as recorded on the runs it executes.
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def run_create(*, spec: dict, owner: str = "") -> Run:
    return Run.objects.create(spec=spec, owner=owner, host=PROCESS)


async def run_launch(*, spec: dict, owner: str) -> tuple[Run, asyncio.Task]:
    """Admit, record and start a run -- all three, or none (RunRefused)."""
    run_admit(owner=owner, requests=spec["requests"])
    try:
        run = await sync_to_async(run_create)(spec=spec, owner=owner)
    except BaseException:
        run_release(owner=owner, requests=spec["requests"])
        raise
    return run, run_start(run=run)


def run_urls(run: Run) -> dict:
    return {"id": str(run.id), "url": f"/runs/{run.id}/", "ws": f"/ws/runs/{run.id}/"}


def run_limits() -> Limits:
    return Limits(
        connection_limit=settings.CLIENT_CONNECTION_LIMIT,
        request_timeout_s=settings.REQUEST_TIMEOUT_S,
        max_run_s=settings.MAX_RUN_SECONDS,
    )


def run_start(*, run: Run) -> asyncio.Task:
    """Start executing `run` (admitted by run_admit) in the current event loop; returns at once."""
    # A fresh context: the run must not inherit the request's (asgiref ties
    # sync_to_async to a per-request executor that is shut down when it ends).
    task = asyncio.get_running_loop().create_task(
        _run_execute(run), name=f"run-{run.id}", context=contextvars.Context()
    )
    RUNNING_TASKS[str(run.id)] = task

    def done(_):
        RUNNING_TASKS.pop(str(run.id), None)
        run_release(owner=run.owner, requests=run.spec["requests"])

    task.add_done_callback(done)
    return task


async def run_cancel(*, run: Run) -> bool:
    """Cancel a run in flight, in this process or in whichever one executes it.

    False if the run is already over.
    """
    if (end := await sync_to_async(run_cancel_queued)(run_id=run.id)) is not None:
        await get_channel_layer().group_send(group_name(run.id), {"type": "run.events", "events": [end]})
        return True
    task = RUNNING_TASKS.get(str(run.id))
    if task is not None and not task.done():
        task.cancel()
        return True
    if await Run.objects.filter(id=run.id, status__in=Run.ACTIVE).aexists():
        # Another process executes it (channels_redis): it listens on this group since before it began.
        await get_channel_layer().group_send(control_group_name(run.id), {"type": "run.cancel"})
        return True
    return False


def run_cancel_queued(*, run_id) -> events.Recorded | None:
    """Close a run that no process has begun: its row and its one event, run.finished.

    Returns that event, or None if the run was not queued. The executor finds the
    row closed in run_begin and does not start it.
    """
    with transaction.atomic():
        if not Run.objects.filter(id=run_id, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELLED, finished=timezone.now()
        ):
            return None
        end = events.numbered(events.run_finished("cancelled", None, "cancelled by the learner before it began"), 0, 0)
        Event.objects.create(run_id=run_id, seq=0, data=end)
    return end


def run_begin(*, run_id) -> bool:
    """Queued -> running; False if the run was cancelled while queued (run_cancel_queued)."""
    return bool(Run.objects.filter(id=run_id, status=Run.Status.QUEUED).update(status=Run.Status.RUNNING))


def group_name(run_id) -> str:
    """The channel-layer group every socket watching this run joins."""
    return f"run-{run_id}"


def control_group_name(run_id) -> str:
    """The group the process executing this run listens on (for run.cancel)."""
    return f"run-control-{run_id}"


CANCEL_LISTEN_RETRY_S = 1.0  # a channel layer that failed (Redis busy or gone) is asked again
# A run waits this long for its cancel listener before it begins without one (a channel layer that is down).
CANCEL_LISTEN_WAIT_S = 5.0


async def _cancel_on_request(run_id, task: asyncio.Task, listening: asyncio.Event) -> None:
    """Cancel `task` when a run.cancel message reaches the run's control group; set `listening` once joined."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = control_group_name(run_id)
    try:
        while True:
            try:
                await layer.group_add(group, channel)
                listening.set()
                while (await layer.receive(channel)).get("type") != "run.cancel":
                    continue
                task.cancel()
                return
            except Exception as exc:  # keep listening: the run must stay cancellable
                logger.warning("run %s: cancel listener failed (%s); listening again", run_id, type(exc).__name__)
                await asyncio.sleep(CANCEL_LISTEN_RETRY_S)
    finally:
        await asyncio.shield(layer.group_discard(group, channel))


EVENT_INSERT = f"INSERT INTO {Event._meta.db_table} (run_id, seq, data) VALUES (%s, %s, %s)"


def events_store(run_id, batch: list[dict]) -> None:
    """Store a batch; the batch holding run.finished also closes the Run, atomically,
    so whoever sees that event over a socket finds the run's final status stored."""
    with transaction.atomic():
        # One executemany, not the ORM's bulk_create: this runs every 50 ms per run
        # and the ORM's per-object work cost a fifth of the server's CPU under load.
        run_value = Event._meta.get_field("run").get_db_prep_value(run_id, connection)
        with connection.cursor() as cursor:
            cursor.executemany(EVENT_INSERT, [(run_value, e["seq"], json.dumps(e)) for e in batch])
        end = batch[-1]
        if end["type"] == events.RUN_FINISHED:
            run_mark(run_id=run_id, status=end["status"], summary=end["summary"])


def events_after(*, run_id, after: int, limit: int | None = None) -> list[dict]:
    """Stored events with seq > after, in order."""
    qs = Event.objects.filter(run_id=run_id, seq__gt=after).order_by("seq").values_list("data", flat=True)
    return list(qs[:limit] if limit else qs)


def run_mark(*, run_id, status: str, summary: dict | None = None) -> None:
    fields: dict[str, object] = {"status": status}
    if status not in Run.ACTIVE:
        fields.update(summary=summary, finished=timezone.now())
    Run.objects.filter(id=run_id).update(**fields)


def _process_gone(host: str) -> bool:
    """Whether the process that executed a run ("hostname:pid") has stopped."""
    name, _, pid = host.rpartition(":")
    if name != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: it interrupts its own runs when it restarts
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) == os.getpid()  # a recycled pid: ours, and we have only just started


def runs_interrupt_unfinished() -> int:
    """At start-up: runs left queued or running by a stopped server are interrupted.

    Only runs of processes that are gone (a sibling process may still be executing
    its own), or runs older than any run may last. Their recorded events are kept
    and closed with a `run.finished` event.
    """
    count = 0
    too_old = timezone.now() - datetime.timedelta(seconds=2 * settings.MAX_RUN_SECONDS)
    for run in Run.objects.filter(status__in=Run.ACTIVE):
        if run.host and not _process_gone(run.host) and run.created > too_old:
            continue
        with transaction.atomic():
            last = Event.objects.filter(run=run).order_by("-seq").first()
            seq = last.seq + 1 if last else 0
            t = last.data.get("t", 0) if last else 0
            end = events.numbered(
                events.run_finished("interrupted", None, "the server stopped during this run"), seq, t
            )
            Event.objects.create(run=run, seq=seq, data=end)
            run.status = Run.Status.INTERRUPTED
            run.finished = timezone.now()
            run.save(update_fields=["status", "finished"])
        count += 1
    return count


async def _run_execute(run: Run) -> None:
    layer = get_channel_layer()
    group = group_name(run.id)
    task = asyncio.current_task()
    assert task is not None  # run_start made it

    async def publish(batch):
        await layer.group_send(group, {"type": "run.events", "events": batch})

    recorder = Recorder(
        store=sync_to_async(lambda batch: events_store(run.id, batch)),
        publish=publish,
        interval=settings.EVENT_FLUSH_INTERVAL_S,
        batch_max=settings.EVENT_BATCH_MAX,
        on_failure=lambda exc: task.cancel(),  # a run nobody can watch or replay: stop it
    )
    recorder.start()
    listening = asyncio.Event()
    listener = asyncio.get_running_loop().create_task(_cancel_on_request(run.id, task, listening))
    try:
        # Listen before leaving `queued`: a cancel from now on reaches the listener, an earlier one the row.
        try:
            await asyncio.wait_for(listening.wait(), CANCEL_LISTEN_WAIT_S)
        except TimeoutError:
            logger.warning("run %s: begins without a cancel listener (is the channel layer down?)", run.id)
        if not await sync_to_async(run_begin)(run_id=run.id):
            return  # cancelled while queued: run_cancel_queued closed it, run.finished included
        targets = configured_targets()
        await execute(
            spec=run.spec,
            target=targets[run.spec.get("target", DEMO)],
            key=str(run.id),
            recorder=recorder,
            limits=run_limits(),
            allowed=list(targets.values()),
        )
    except asyncio.CancelledError:  # cancelled before the strategy began, or while it ended
        task.uncancel()
        _end_if_open(recorder, "cancelled", "cancelled by the learner")
    except Exception as exc:  # a bug of ours: still close the run on its timeline
        logger.exception("run %s crashed", run.id)
        _end_if_open(recorder, "failed", f"internal error: {type(exc).__name__}")
    finally:
        listener.cancel()
        # Storing run.finished closes the Run row (events_store); shielded so that a
        # late cancel cannot cut a store short and leave the run open.
        await asyncio.shield(_run_close(run, recorder))


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
    except Exception:  # the database is gone: a restart interrupts the run (runs_interrupt_unfinished)
        logger.exception("run %s: could not mark it failed", run.id)


def _end_if_open(recorder: Recorder, status: str, error: str) -> None:
    if not recorder.history or recorder.history[-1]["type"] != events.RUN_FINISHED:
        recorder.emit(events.run_finished(status, None, error))
