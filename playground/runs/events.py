"""Every event a run emits, and the recorder that numbers, stores and sends them.

    strategy / executor --emit()--> Recorder (seq, t) --every 50 ms--> 1. database (bulk insert)
                                                                   2. channel layer group "run-<id>"
                                                                      --> RunConsumer --> browser

An event is a dict: `type`, `seq` (0, 1, 2, ... per run, no gaps), `t`
(seconds since the run started, on the run's monotonic clock), then the
fields of its type. Events are stored before they are sent, so a browser
that connects late finds in the database everything it did not get live.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

RUN_STARTED = "run.started"
TASK_WAITING = "task.waiting"
TASK_STARTED = "task.started"
TASK_FINISHED = "task.finished"
TASK_BACKOFF = "task.backoff"
RUN_FINISHED = "run.finished"

TASK_STATUSES = ("ok", "error", "timeout", "cancelled")
RUN_END_STATUSES = ("finished", "failed", "cancelled", "interrupted")
WAIT_REASONS = ("semaphore", "batch", "rate", "pool", "worker", "server")


def run_started(spec: dict) -> dict:
    return {"type": RUN_STARTED, "spec": spec}


def task_waiting(task: int, attempt: int, reason: str) -> dict:
    """The task waits (for a slot, a token, a connection, a worker) until it starts."""
    if reason not in WAIT_REASONS:
        raise ValueError(f"reason: must be one of {', '.join(WAIT_REASONS)}, got {reason!r}")
    return {"type": TASK_WAITING, "task": task, "attempt": attempt, "reason": reason}


def task_started(task: int, attempt: int) -> dict:
    """The HTTP request is in flight."""
    return {"type": TASK_STARTED, "task": task, "attempt": attempt}


def task_finished(task: int, attempt: int, status: str, http_status: int | None, error: str | None) -> dict:
    return {
        "type": TASK_FINISHED,
        "task": task,
        "attempt": attempt,
        "status": status,
        "http_status": http_status,
        "error": error,
    }


def task_backoff(task: int, attempt: int, delay_s: float) -> dict:
    """Attempt `attempt` failed; the next one comes after `delay_s`."""
    return {"type": TASK_BACKOFF, "task": task, "attempt": attempt, "delay_s": round(delay_s, 6)}


def run_finished(status: str, summary: dict, error: str | None = None) -> dict:
    if status not in RUN_END_STATUSES:
        raise ValueError(f"status: must be one of {', '.join(RUN_END_STATUSES)}, got {status!r}")
    return {"type": RUN_FINISHED, "status": status, "error": error, "summary": summary}


def group_name(run_id) -> str:
    """The channel-layer group every socket watching this run joins."""
    return f"run-{run_id}"


def control_group_name(run_id) -> str:
    """The group the process executing this run listens on (for run.cancel)."""
    return f"run-control-{run_id}"


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
