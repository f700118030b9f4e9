"""to_thread: the same blocking client, moved off the event loop with asyncio.to_thread."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.guards import NOT_FOR_BLOCKING_CLIENT
from playground.strategies.ideal import CORES, DEFAULT_POOL, DEFAULT_POOL_THREADS


async def to_thread(api, n):
    async def one(i):
        api.waiting(i, "thread")  # until a thread of the loop's default pool is free to take it
        # The blocking call runs in that thread; this task awaits it, and the loop stays free.
        return await asyncio.to_thread(api.fetch_blocking, i)

    return await asyncio.gather(*(one(i) for i in range(n)))


STRATEGY = Strategy(
    name="to_thread",
    label="asyncio.to_thread (the fix)",
    fn=to_thread,
    ideal=DEFAULT_POOL,
    what="Gathers every request; each task hands its blocking call (urllib.request) to "
    "asyncio.to_thread, which runs it in a thread of the event loop's default pool and awaits it, "
    "so the loop stays free: 5 requests of 200 ms take about 0.2 s again.",
    when="When you must call blocking code (a sync-only library, file I/O) from async code and "
    "cannot switch to an async client.",
    pitfall="The default pool has min(32, cores + 4) threads: "
    f"{DEFAULT_POOL_THREADS} on this machine, which has {CORES} cores. Requests beyond "
    "that wait for a free thread (the pale part of their bars) even though the code starts them all "
    "at once. A thread cannot be cancelled: a cancelled await leaves the call running.",
    own_process=True,
    blocking_client=True,
    refuses=NOT_FOR_BLOCKING_CLIENT,
)
