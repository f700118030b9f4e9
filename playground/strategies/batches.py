"""Batches: gather a fixed-size chunk, wait for all of it, then the next chunk."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import WAVES


async def batches(api, n, *, batch_size):
    for i in range(n):
        api.waiting(i, "batch")  # every request queues until its batch starts
    results = []
    for start in range(0, n, batch_size):
        batch = range(start, min(start + batch_size, n))
        # The next batch starts only when the slowest request of this one has answered.
        results += await asyncio.gather(*(api.fetch(i) for i in batch))
    return results


STRATEGY = Strategy(
    name="batches",
    label="gather in batches",
    fn=batches,
    ideal=WAVES,
    what="Splits the requests into chunks of batch_size and gathers one chunk at a time.",
    when="Rarely the best choice: it is easy to write, but a semaphore or a worker queue "
    "keeps the same limit without the idle gaps.",
    pitfall="Each batch waits for its slowest request: the fast ones finish early and leave "
    "their share of the limit idle until the whole batch is done.",
    params=("batch_size",),
    required=("batch_size",),
)
