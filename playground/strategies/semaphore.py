"""Semaphore: gather, but at most `limit` requests in flight."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import slots


async def semaphore(api, n, *, limit):
    sem = asyncio.Semaphore(limit)

    async def one(i):
        api.waiting(i, "semaphore")  # queued: the pale part of the bar
        async with sem:
            return await api.fetch(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


STRATEGY = Strategy(
    name="semaphore",
    label="gather + Semaphore(limit)",
    fn=semaphore,
    ideal=slots("limit"),
    what="Starts every task at once, but each must hold one of `limit` slots while its request is in flight.",
    when="Many requests to a server that allows only so many at a time; the usual fix for an unbounded gather.",
    pitfall="A slot is held for the whole request: one slow request keeps a slot busy, and the wall time "
    "grows with n / limit.",
    params=("limit",),
    required=("limit",),
)
