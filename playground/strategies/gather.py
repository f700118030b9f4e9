"""gather: start every request at once and wait for all of them."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import LONGEST


async def gather(api, n, *, return_exceptions=False):
    return await asyncio.gather(
        *(api.fetch(i) for i in range(n)),
        # False: the first failure is raised here, while the other requests run on.
        # True: a failure comes back as data, an exception in its place in the list.
        return_exceptions=return_exceptions,
    )


STRATEGY = Strategy(
    name="gather",
    label="asyncio.gather",
    fn=gather,
    ideal=LONGEST,
    what="Wraps every request in a task and runs them all at once; the results come back in submission order.",
    when="A modest number of independent requests that a server is happy to take all at once.",
    pitfall="No upper bound: 10,000 requests open 10,000 connections at once. The first failure "
    "raises out of gather while the others keep running, unless return_exceptions=True.",
    params=("return_exceptions",),
)
