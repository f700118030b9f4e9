"""A run alone in a process of its own (spec `own_process`): its loop may block, its cost is its own.

    worker (or the web process, RUNS_IN_WEB_PROCESS): lifecycle.run_execute(run_id) sees
      own_process -> run_alone(run_id): a child forked from this process's forkserver, which
      has Django and the playground loaded already (alone_preload.py), so it starts at once
    child: alone_main(run_id) -> lifecycle.run_execute(run_id, alone=True): the run as in a
      worker (events flushed from a thread of their own, so they flow while its loop is held),
      with executor's LoopWatch (loop.blocked) and Meter (CPU, memory, threads: runs/meter.py)
      + a watcher thread: the run's cancel flag, every ALONE_POLL_S; its time limit
    parent: waits for the child; one that ended with its run still open -> interrupted,
      every stored event kept

Why a process and not a thread of the worker: a blocking call or heavy work inside
`async def` holds whatever loop it runs on, and a worker's loop runs other learners' runs;
in a thread, heavy Python work would still take the interpreter from them. And only a
process that runs one run can say what that run cost.

A watcher thread, not a task: the run's loop may be the thing that is held. It ends the
run's blocking requests in flight (executor.abort_requests) so that the loop runs again
and takes the cancel (or asyncio.timeout's time limit) at once.
"""

import asyncio
import gc
import logging
import multiprocessing
import os
import sys
import threading
import time

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import close_old_connections

from playground.demoapi.process import demo_api_url
from playground.runs.eventstore import events_publish
from playground.runs.models import Run
from playground.runs.recorder import flush_thread_loop
from playground.runs.recovery import run_close_unfinished

logger = logging.getLogger(__name__)

ALONE_POLL_S = 0.2  # how often the child's watcher reads its run's cancel flag
# Past its time limit, a run's blocking requests are ended; if it is still going this much
# later (its loop held by other work), its child closes it as interrupted and exits.
ALONE_GRACE_S = 30.0
# The parent's own backstop: a child still there this long after it began is killed.
ALONE_LIFE_S = settings.MAX_RUN_SECONDS + ALONE_GRACE_S + 30.0

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["playground.runs.alone_preload"])


async def run_alone(run_id: str) -> str:
    """Execute the run in a child process and wait for it; returns how the run ended.

    Cancelled (this process is stopping), the child is killed and the run closed as
    interrupted: a run is never left open with nobody watching its process.
    """
    child = _CONTEXT.Process(target=alone_main, args=(run_id, demo_api_url()), name=f"run-{run_id}", daemon=True)
    # The first start also starts this process's forkserver (a second or two, once): in a thread.
    started = asyncio.ensure_future(asyncio.to_thread(child.start))
    try:
        await asyncio.shield(started)
        async with asyncio.timeout(ALONE_LIFE_S):  # not wait_for, which can lose a cancel (worker.py)
            await _exited(child)
    except TimeoutError:
        logger.error("run %s: its process outlived its time limit; killing it", run_id)
    except asyncio.CancelledError:
        await asyncio.shield(_end(run_id, child, started))
        raise
    return await _end(run_id, child, started)


async def _exited(child) -> None:
    """Wait for the child to end, without a thread: its sentinel becomes readable."""
    loop = asyncio.get_running_loop()
    ended = loop.create_future()

    def note() -> None:
        if not ended.done():
            ended.set_result(None)

    loop.add_reader(child.sentinel, note)
    try:
        await ended
    finally:
        loop.remove_reader(child.sentinel)


async def _end(run_id: str, child, started: asyncio.Future) -> str:
    """Make sure the child is gone, then close its run if it is still open (and say so)."""
    await asyncio.gather(started, return_exceptions=True)
    if child.pid is not None:
        if child.is_alive():
            child.kill()
            await _exited(child)
        child.join()  # ended: reaps it at once
    status, end = await sync_to_async(_close_if_open)(run_id, child.exitcode)
    if end is not None:
        await _publish_end(run_id, end)
    return status


async def _publish_end(run_id: str, end: dict) -> None:
    try:
        await events_publish(run_id, [end])
    except Exception as exc:  # stored already: a socket refills the gap from the database
        logger.warning("run %s: could not publish its end (%r)", run_id, exc)


def _close_if_open(run_id: str, exitcode: int | None) -> tuple[str, dict | None]:
    """The run's status once its child is gone; a run left open is interrupted: (status, its end event)."""
    run = Run.objects.get(id=run_id)
    if run.status not in Run.ACTIVE:
        return run.status, None
    why = f"the process running it stopped during this run (exit code {exitcode})"
    return Run.Status.INTERRUPTED, run_close_unfinished(run, why)


def alone_main(run_id: str, demo_url: str) -> None:
    """The child: execute the run, alone, then exit. `demo_url`: the parent's demo API (the
    forkserver's settings may name none, and this process must not start one of its own)."""
    settings.DEMO_API_URL = demo_url
    # As a worker does (runs_worker.py): what was loaded before the fork stays out of the
    # collector's way, a young collection comes every so many allocations, not 700, and the
    # thread that stores events gets the interpreter soon after it asks.
    sys.setswitchinterval(settings.WORKER_SWITCH_INTERVAL_S)
    gc.freeze()
    gc.set_threshold(settings.ALONE_GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    settings.DEBUG = False  # no log of every query: it would count in the run's memory
    asyncio.run(_alone(run_id))


async def _alone(run_id: str) -> None:
    from playground.runs.lifecycle import run_cancel_here, run_execute  # lifecycle imports this module

    loop = asyncio.get_running_loop()
    done = threading.Event()
    cancelled = False

    def cancel_here() -> None:  # in the loop: once, as soon as the run can be cancelled
        nonlocal cancelled
        cancelled = cancelled or run_cancel_here(run_id)

    def cancel() -> None:  # in the watcher's thread, at each poll while the run is flagged
        from playground.runs.executor import abort_requests

        abort_requests(run_id)
        loop.call_soon_threadsafe(cancel_here)

    watcher = threading.Thread(target=_watch, args=(run_id, cancel, done), name="run-watcher", daemon=True)
    watcher.start()
    # The thread that stores events starts now, not during the run: the threads the run is
    # measured to have started (meter.py) are the strategy's own.
    flush = flush_thread_loop()
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_start_store_thread(), flush))
    try:
        await run_execute(run_id, alone=True)
    finally:
        done.set()


async def _start_store_thread() -> None:
    await asyncio.get_running_loop().run_in_executor(None, lambda: None)


def _watch(run_id: str, cancel, done: threading.Event) -> None:
    """In its own thread: cancel the run when it is flagged; at its time limit end its blocking
    requests; past that by ALONE_GRACE_S, close it as interrupted and end this process."""
    from playground.runs.executor import abort_past_limit

    began = time.monotonic()
    limited = False
    try:
        while not done.wait(ALONE_POLL_S):
            if time.monotonic() - began >= settings.MAX_RUN_SECONDS + ALONE_GRACE_S:
                _give_up(run_id)
            if not limited:  # past the limit, its loop may be held: asyncio could not fire it
                limited = abort_past_limit(run_id)
            try:
                flagged = Run.objects.filter(id=run_id, cancel_requested=True).exists()
            except Exception as exc:  # a busy database: ask again at the next poll
                logger.warning("run %s: could not read its cancel flag (%r)", run_id, exc)
                close_old_connections()
                continue
            if flagged:
                cancel()  # again at the next poll, in case the run had not begun yet
    finally:
        close_old_connections()


def _give_up(run_id: str) -> None:
    """The run's loop is still held long past its time limit: close the run, then end the process."""
    logger.error("run %s: still going %.0f s past its time limit; stopping its process", run_id, ALONE_GRACE_S)
    try:
        run = Run.objects.get(id=run_id)
        why = "it ran past its time limit and was stopped"
        if run.status in Run.ACTIVE and (end := run_close_unfinished(run, why)):
            async_to_sync(_publish_end)(run_id, end)
    finally:
        os._exit(1)
