"""Threads: a ThreadPoolExecutor of `workers` threads and the blocking client, no asyncio in the requests."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playground.strategies.base import Strategy
from playground.strategies.guards import NOT_FOR_BLOCKING_CLIENT
from playground.strategies.ideal import slots


async def threads(api, n, *, workers):
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = []
        for i in range(n):
            api.waiting(i, "thread")  # queued until one of the pool's threads takes it
            futures.append(pool.submit(api.fetch_blocking, i))
        # The threads make the requests; the event loop only awaits their futures, free meanwhile.
        return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
    finally:
        # Not `with pool:`, whose exit waits for every queued request: after an error or a
        # cancel, the queued ones are dropped, and those in flight end when the run cuts them.
        pool.shutdown(wait=False, cancel_futures=True)


STRATEGY = Strategy(
    name="threads",
    label="ThreadPoolExecutor(max_workers)",
    fn=threads,
    ideal=slots("workers"),
    what="Submits every request to a ThreadPoolExecutor of `workers` threads; each thread makes "
    "one blocking request (urllib.request) at a time, so at most `workers` are in flight: 20 "
    "requests of 200 ms with 5 workers take about 0.8 s.",
    when="Blocking code with no async version, or a program with no event loop at all: threads "
    "are the classic way to wait on many requests at once.",
    pitfall="Each thread costs an OS thread and its stack, where a task costs a small object: "
    "compare threads, a semaphore and gather at 1,000 requests. Threads cannot be cancelled: "
    "leaving `with ThreadPoolExecutor()` waits for every queued request.",
    params=("workers",),
    required=("workers",),
    own_process=True,
    blocking_client=True,
    refuses=NOT_FOR_BLOCKING_CLIENT,
)
