"""The Recorder: numbers a run's events as they happen, stores and sends them in batches.

strategy / executor --emit()--> Recorder (seq, t) --every 50 ms--> 1. store (database)
                                                               2. publish (channel layer group)
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

Batch = list[dict]


class Recorder:
    """Numbers events as they happen and flushes them in batches.

    `store(batch)` must persist the batch; `publish(batch)` sends it on. A batch
    is stored before it is published, and flushes never overlap, so seq order
    is kept in both places.
    """

    def __init__(
        self,
        *,
        store: Callable[[Batch], Awaitable[None]],
        publish: Callable[[Batch], Awaitable[None]],
        interval: float,
        batch_max: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._publish = publish
        self._interval = interval
        self._batch_max = batch_max
        self._clock = clock
        self._t0 = clock()
        self._pending: Batch = []
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task | None = None
        self._closed = False
        self.history: Batch = []  # every event of the run, for its summary
        self.seq = 0
        self.max_lag_s = 0.0  # how late the event loop woke the flusher: a busy server

    def now(self) -> float:
        return self._clock() - self._t0

    def emit(self, event: dict) -> dict:
        event = {"type": event["type"], "seq": self.seq, "t": round(self.now(), 6), **event}
        self.seq += 1
        self._pending.append(event)
        self.history.append(event)
        return event

    def start(self) -> None:
        """Begin flushing every `interval` seconds until `close()`."""
        self._flusher = asyncio.get_running_loop().create_task(self._flush_forever())

    async def _flush_forever(self) -> None:
        # Never cancelled mid-store (a store cut short could be written twice):
        # close() raises the flag and waits for the loop to notice.
        while not self._closed:
            asked = self._clock()
            await asyncio.sleep(self._interval)
            # Oversleeping means other work held the loop, the run's requests included.
            self.max_lag_s = max(self.max_lag_s, self._clock() - asked - self._interval)
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._pending:
                batch = self._pending[: self._batch_max]
                await self._store(batch)
                # Only drop what is stored: a failed store keeps the batch.
                del self._pending[: len(batch)]
                await self._publish(batch)

    async def close(self) -> None:
        """Stop the periodic flush and flush what is left."""
        self._closed = True
        if self._flusher is not None:
            await self._flusher
            self._flusher = None
        await self.flush()
