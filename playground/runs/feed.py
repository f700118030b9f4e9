"""The feed: live events for the embedded default, where the channel layer does not cross processes.

    worker process: Recorder -> events_store (SQLite)      (its group_send reaches no one)
    web process:    Feed._poll every FEED_INTERVAL_S (on reader.py's thread) -> events_since(watched runs, id > cursor)
                    -> each RunConsumer watching the run, handed the batch directly

One poll a process, whatever the number of sockets. A consumer `watch`es its run before
reading the stored events: the cursor is set before that read, so every event is either in
what the consumer read or in what the feed hands it after (the consumer drops repeats by
seq and refills gaps from the database). The batch is handed over, not sent through the
in-memory channel layer: that layer deep-copies every message and Channels opens a
thread hop for each one it dispatches, a quarter of Daphne's work while a class watched.

Row ids are committed in order while one writer commits at a time (SQLite). With
PostgreSQL, set REDIS_URL: the workers then publish through channels_redis and no feed runs.
"""

import asyncio
import contextvars
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable

from django.conf import settings

from playground.runs import reader
from playground.runs.eventstore import events_last_id, events_since, layer_crosses_processes
from playground.runs.loops import this_loops

logger = logging.getLogger(__name__)

FEED_BATCH = 5000  # events read in one poll; more wait for the next

Deliver = Callable[[list[dict]], Awaitable[None]]  # a watcher: takes one run's batch, in seq order


class SharedBatch(list):
    """One run's events from one poll, handed to every socket watching the run: `frames` keeps
    each websocket frame's JSON once made (follow.RunFollow), so a class of 100 watching
    one run encodes each frame once, not 100 times."""

    def __init__(self, events: list[dict]):
        super().__init__(events)
        self.frames: dict[tuple[str, int], str] = {}  # (frame head, offset) -> text (follow.py)


async def feed_needed(run_id) -> bool:
    """Whether the run's events reach this process only through the database: without a layer
    that crosses processes, unless the run executes here (RUNS_IN_WEB_PROCESS: it publishes to
    this process's layer itself) -- but a run alone in a child process (alone.py) does not."""
    if layer_crosses_processes():
        return False
    if not settings.RUNS_IN_WEB_PROCESS:
        return True
    from playground.runs.models import Run

    return await Run.objects.filter(id=run_id, spec__own_process=True).aexists()


class Feed:
    def __init__(self) -> None:
        self.watched: dict[str, list[Deliver]] = {}
        self.cursor = 0
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def watch(self, run_id, deliver: Deliver) -> None:
        """Hand `run_id`'s events stored from now on to `deliver`, until `unwatch`."""
        self.watched.setdefault(str(run_id), []).append(deliver)
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._poll(), name="events-feed", context=contextvars.Context()
            )
        await self._ready.wait()

    def unwatch(self, run_id, deliver: Deliver) -> None:
        watchers = self.watched.get(str(run_id), [])
        if deliver in watchers:
            watchers.remove(deliver)
        if not watchers:
            self.watched.pop(str(run_id), None)

    async def _poll(self) -> None:
        try:
            while True:
                try:
                    self.cursor = await reader.read(events_last_id)
                    break
                except Exception as exc:  # a busy database: the watchers wait, then replay as usual
                    logger.warning("events feed: could not start (%r); trying again", exc)
                    await asyncio.sleep(settings.FEED_INTERVAL_S)
        finally:
            self._ready.set()
        loop, began = asyncio.get_running_loop(), -math.inf
        while self.watched:
            # Every FEED_INTERVAL_S from the last poll's start, not from its end: reading a batch and
            # handing it to a class of 100 takes 10-40 ms, which stretched the cycle to 30-60 ms. At
            # least half of it apart, so that a poll that ran long is not followed by another at once.
            await asyncio.sleep(max(settings.FEED_INTERVAL_S / 2, began + settings.FEED_INTERVAL_S - loop.time()))
            began = loop.time()
            try:
                rows = await reader.read(
                    events_since, run_ids=list(self.watched), after_id=self.cursor, limit=FEED_BATCH
                )
            except Exception as exc:  # a busy database: the next poll reads the same rows
                logger.warning("events feed: reading failed (%r); trying again", exc)
                continue
            if not rows:
                continue
            self.cursor = rows[-1][0]
            by_run: dict[str, list[dict]] = defaultdict(list)
            for _, run_id, event in rows:
                by_run[run_id].append(event)
            for run_id, events in by_run.items():
                batch = SharedBatch(events)
                for deliver in list(self.watched.get(run_id, ())):
                    try:
                        await deliver(batch)
                    except Exception as exc:  # stored: that socket refills the gap from the database
                        logger.warning("events feed: sending failed (%r)", exc)


_FEEDS: dict[asyncio.AbstractEventLoop, Feed] = {}


def feed() -> Feed:
    """This process's feed."""
    return this_loops(_FEEDS, Feed)
