"""as_completed: start every request at once and handle each result as it arrives."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import LONGEST


async def as_completed(api, n):
    async def numbered(i):
        return i, await api.fetch(i)  # the index travels with its answer

    # Tasks first, in order: handed bare coroutines, as_completed would start them in
    # the order of a set, not 0, 1, 2, ...
    tasks = [asyncio.create_task(numbered(i)) for i in range(n)]
    arrived = []
    # as_completed hands back the requests in the order they finish, fastest first,
    # so each answer can be used at once instead of after the slowest one.
    for next_done in asyncio.as_completed(tasks):
        i, body = await next_done
        arrived.append((i, body))
    return arrived


STRATEGY = Strategy(
    name="as_completed",
    label="asyncio.as_completed",
    fn=as_completed,
    ideal=LONGEST,
    what="Starts every request at once, like gather, but hands each answer back the moment it "
    "arrives, fastest first, instead of all of them in order at the end.",
    when="When each answer is useful on its own: show it, save it or start follow-up work "
    "while slower requests are still running.",
    pitfall="Answers arrive in finishing order, not in request order: keep the index with each "
    "result. When one raises, the loop stops but the other requests keep running.",
)
