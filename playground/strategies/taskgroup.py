"""TaskGroup: every request in one group that fails together and ends together."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import LONGEST


async def taskgroup(api, n):
    # No task outlives the `async with` block. The first request to fail cancels the
    # others, and the block raises an ExceptionGroup holding what went wrong.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(api.fetch(i)) for i in range(n)]
    return [task.result() for task in tasks]


STRATEGY = Strategy(
    name="taskgroup",
    label="asyncio.TaskGroup",
    fn=taskgroup,
    ideal=LONGEST,
    what="Creates one task per request inside a TaskGroup (Python 3.11+). The block ends when "
    "all of them have ended; if one fails, the group cancels the rest.",
    when="When the requests belong together: all of them are needed, and one failure makes the others pointless.",
    pitfall="The first failure cancels every sibling still in flight, and the error arrives "
    "wrapped in an ExceptionGroup: catch it with except*, not except.",
)
