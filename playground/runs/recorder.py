"""The Recorder: numbers a run's events as they happen, stores and sends them in batches.

strategy / executor --emit()--> Recorder (seq, t) --every 30 ms--> 1. store (database)
                                                               2. publish (channel layer group)

The flushing runs in the caller's event loop, or, given `flush_loop` (flush_thread_loop():
a worker's), in an event loop of its own thread: a run that keeps its loop busy (gather over
1,000 requests) then still has its events stored every 30 ms, not when its loop gets round
to it, because the flush thread gets the interpreter every few milliseconds.

A store that fails is tried again (STORE_ATTEMPTS, with a growing pause). One that keeps
failing stops storing for good -- a later batch is never stored after an earlier one was
not, so the stored timeline has no gaps -- and tells the owner (`on_failure`), who stops the
run and closes it with `abandon()`: one last event, numbered right after the last stored one.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playground.events import Event, Recorded, numbered
from playground.runs.retries import retried

Batch = list[Recorded]

logger = logging.getLogger(__name__)

# A store that fails at once (a table lock, a dropped connection, a full disk) often
# passes a moment later; a database locked for writing has already made SQLite wait its
# busy timeout (settings: 20 s) before it says so. So three attempts, 0.1 and 0.2 s apart:
# a store that cannot pass gives the run up after about a minute at most, while a
# run may last two (MAX_RUN_SECONDS).
STORE_ATTEMPTS = 3
STORE_RETRY_FIRST_S = 0.1  # doubles after each failed attempt


class Recorder:
    """Numbers events as they happen and flushes them in batches.

    `store(batch)` must persist the batch, all of it or none (a failed store is tried
    again); `publish(batch)` sends it on. A batch is stored before it is published,
    and flushes never overlap, so seq order is kept in both places.
    """

    def __init__(
        self,
        *,
        store: Callable[[Batch], Awaitable[None]],
        publish: Callable[[Batch], Awaitable[None]],
        interval: float,
        batch_max: int,
        clock: Callable[[], float] = time.monotonic,
        on_failure: Callable[[BaseException], object] = lambda exc: None,
        flush_loop: asyncio.AbstractEventLoop | None = None,
    ):
        self._store = store
        self._publish = publish
        self._interval = interval
        self._batch_max = batch_max
        self._clock = clock
        self._on_failure = on_failure
        self._t0 = clock()
        self._pending: Batch = []
        # emit() may be called from threads besides the run's loop (the threads strategy's
        # pool, a to_thread call): a number and its place in line are taken together.
        self._numbering = threading.Lock()
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Future | None = None
        self._lag_watch: asyncio.Task | None = None
        self._flush_loop = flush_loop  # None: the loop that calls start()
        self._closed = False
        self.history: Batch = []  # every event of the run, for its summary
        self.seq = 0
        self.stored = 0  # seq of the first event not stored yet
        self.failure: BaseException | None = None  # why storing stopped for good, if it did
        self.max_lag_s = 0.0  # how late the run's event loop woke a timer: a busy worker

    def now(self) -> float:
        return self._clock() - self._t0

    def emit(self, event: Event) -> Recorded:
        """Number `event` and queue it for the next flush; safe to call from any thread."""
        with self._numbering:
            recorded = numbered(event, self.seq, self.now())
            self.seq += 1
            self._pending.append(recorded)
            self.history.append(recorded)
        return recorded

    def start(self) -> None:
        """Begin flushing every `interval` seconds until `close()`."""
        loop = asyncio.get_running_loop()
        self._lag_watch = loop.create_task(self._watch_lag())
        if self._flush_loop is None:
            self._flusher = loop.create_task(self._flush_forever(self._on_failure))
        else:  # the owner's on_failure runs in the owner's loop
            on_failure = lambda exc: loop.call_soon_threadsafe(self._on_failure, exc)  # noqa: E731
            self._flusher = asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(self._flush_forever(on_failure), self._flush_loop)
            )

    async def _watch_lag(self) -> None:
        # Oversleeping means other work held the run's loop, its own requests included.
        while not self._closed:
            asked = self._clock()
            await asyncio.sleep(self._interval)
            self.max_lag_s = max(self.max_lag_s, self._clock() - asked - self._interval)

    async def _flush_forever(self, on_failure: Callable[[BaseException], object]) -> None:
        # Never cancelled mid-store (a store cut short could be written twice):
        # close() raises the flag and waits for the loop to notice.
        while not self._closed and self.failure is None:
            await asyncio.sleep(self._interval)
            await self.flush()
        if self.failure is not None and not self._closed:
            on_failure(self.failure)  # the owner stops the run: it can no longer be recorded

    async def _in_flush_loop(self, work: Coroutine[Any, Any, Any]) -> Any:
        """Await `work` where flushing runs (stores and publishes never overlap)."""
        if self._flush_loop is None:
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._flush_loop))

    async def flush(self) -> None:
        """Store and publish what was pending when called; after a store failed for good, nothing.

        Events emitted meanwhile wait for the next flush: chasing them would store a run
        that emits while it is stored in many tiny batches, one right after another.
        """
        async with self._lock:
            left = len(self._pending)
            while left > 0 and self.failure is None:
                batch = self._pending[: min(self._batch_max, left)]
                left -= len(batch)
                try:
                    await self._store_retrying(batch)
                except Exception as exc:
                    self.failure = exc  # the batch stays pending: abandon() drops it
                    return
                del self._pending[: len(batch)]
                self.stored = batch[-1]["seq"] + 1
                await self._publish_or_log(batch)

    async def _store_retrying(self, batch: Batch) -> None:
        await retried(
            lambda: self._store(batch),
            attempts=STORE_ATTEMPTS,
            first_pause_s=STORE_RETRY_FIRST_S,
            what=f"storing events from seq {batch[0]['seq']}",
            logger=logger,
        )

    async def _publish_or_log(self, batch: Batch) -> None:
        try:
            await self._publish(batch)
        except Exception as exc:
            # Stored already: a socket fills the gap from the database at the next batch it gets.
            logger.warning("publishing events from seq %s failed (%r)", batch[0]["seq"], exc)

    async def close(self) -> None:
        """Stop the periodic flush and flush what is left (see `failure` for how that went)."""
        self._closed = True
        if self._flusher is not None:
            await self._flusher
            self._flusher = None
        if self._lag_watch is not None:
            await self._lag_watch
            self._lag_watch = None
        await self._in_flush_loop(self.flush())

    async def abandon(self, end: Event) -> bool:
        """After storing failed for good: drop every event not stored, then store and send
        `end` numbered right after the last stored one, so what is stored stays gapless.

        False when `end` could not be stored either; it is sent all the same, so that
        no one watching live waits for an end that never comes.
        """
        return await self._in_flush_loop(self._abandon(end))

    async def _abandon(self, end: Event) -> bool:
        async with self._lock:
            self._pending.clear()
            last = [numbered(end, self.stored, self.now())]
            try:
                await self._store_retrying(last)
                stored = True
            except Exception:
                stored = False
            await self._publish_or_log(last)
            return stored


_FLUSH_LOOP: asyncio.AbstractEventLoop | None = None
_FLUSH_LOOP_LOCK = threading.Lock()


def flush_thread_loop() -> asyncio.AbstractEventLoop:
    """This process's flush loop: an event loop in a thread of its own, started on first use."""
    global _FLUSH_LOOP
    with _FLUSH_LOOP_LOCK:
        if _FLUSH_LOOP is None:
            loop = asyncio.new_event_loop()
            # One thread stores for every run of the process: SQLite takes one writer at a
            # time, and two stores at once would make one wait in its busy handler's sleeps.
            loop.set_default_executor(ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-store"))
            threading.Thread(target=loop.run_forever, name="event-flusher", daemon=True).start()
            _FLUSH_LOOP = loop
    return _FLUSH_LOOP
