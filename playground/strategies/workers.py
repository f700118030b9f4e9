"""Workers: a fixed number of tasks take requests from a queue until it is empty."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import slots


async def workers(api, n, *, workers):
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
        api.waiting(i, "worker")  # queued until a worker is free to take it
    results = {}

    async def worker():
        # Every request is queued already, so an empty queue means the work is done.
        while not queue.empty():
            i = queue.get_nowait()
            results[i] = await api.fetch(i)

    # The TaskGroup owns the workers: none outlives this function, and an error is
    # raised here (the other workers are cancelled) instead of ending one worker silently.
    async with asyncio.TaskGroup() as group:
        for _ in range(min(workers, n)):
            group.create_task(worker())
    return [results[i] for i in range(n)]


STRATEGY = Strategy(
    name="workers",
    label="asyncio.Queue + worker tasks",
    fn=workers,
    ideal=slots("workers"),
    what="Puts every request in a queue and starts `workers` tasks; each takes the next "
    "request as soon as it is free. At most `workers` are in flight.",
    when="Long or endless streams of work, or when each worker needs state of its own; "
    "only `workers` tasks exist, not one per request.",
    pitfall="A worker that dies on an exception stops taking work, and code that waits on "
    "queue.join() then waits forever. Keep workers in a TaskGroup so an error is raised.",
    params=("workers",),
    required=("workers",),
)
