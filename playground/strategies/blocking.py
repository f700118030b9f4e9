"""Blocking: gather, but each task makes its request with a blocking client inside async def."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.guards import NOT_FOR_BLOCKING_CLIENT
from playground.strategies.ideal import SUM


async def blocking(api, n):
    async def one(i):
        # The mistake: a blocking call (urllib.request) inside async def. It holds the event
        # loop until its answer comes, so no other task runs meanwhile, not even to send.
        return api.fetch_blocking(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


STRATEGY = Strategy(
    name="blocking",
    label="A blocking call inside async def",
    fn=blocking,
    ideal=SUM,
    what="Wraps every request in a task and gathers them, like gather, but each task makes its "
    "request with urllib.request, a blocking client: the event loop is held for the whole request, "
    "so the tasks run one after another. 5 requests of 200 ms take 1 s, not 0.2 s.",
    when="Never on purpose. It is what happens when async code calls requests, urllib, time.sleep "
    "or heavy CPU work directly; the event-loop lane shows the loop blocked the whole time.",
    pitfall="The code looks concurrent and is not: nothing warns you. Every other task on the same "
    "loop (other requests, timers, a web server's other clients) waits too. Move the call to a "
    "thread (to_thread) or use an async client.",
    own_process=True,
    blocking_client=True,
    refuses=(
        *NOT_FOR_BLOCKING_CLIENT,
        (
            "deadline_ms",
            "the deadline is an asyncio timeout, and it cannot fire while a blocking call holds the "
            "event loop: it would be noticed only after the last request.",
        ),
    ),
)
