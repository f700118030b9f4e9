"""Pool: let the connection pool be the limit, with a session of its own."""

import asyncio

import aiohttp

from playground.strategies.base import Strategy
from playground.strategies.ideal import slots


async def pool(api, n, *, limit):
    # The connector opens at most `limit` connections; a request with none free waits
    # for one inside aiohttp. pool_trace() shows that wait on the timeline.
    # (resolver and middlewares: the playground's allowlist applies here too.)
    connector = aiohttp.TCPConnector(limit=limit, resolver=api.resolver)
    # The same safety-net timeout as the playground's own session (aiohttp's default is
    # 5 minutes); it counts the wait for a connection too.
    async with aiohttp.ClientSession(
        connector=connector, timeout=api.session.timeout, trace_configs=[api.pool_trace()], middlewares=api.middlewares
    ) as session:
        return await asyncio.gather(*(api.fetch(i, session=session) for i in range(n)))


STRATEGY = Strategy(
    name="pool",
    label="TCPConnector(limit) as the limit",
    fn=pool,
    ideal=slots("limit"),
    what="Starts every request at once through a session whose connector holds at most "
    "`limit` connections: the pool, not a semaphore, keeps the rest waiting.",
    when="When all requests go through one session anyway: the limit comes with it, and "
    "connections are reused instead of opened again.",
    pitfall="The limit is hidden in the session: aiohttp's default is 100 connections, so an "
    "'unbounded' gather is silently capped at 100. The wait also counts against the "
    "request's own timeout.",
    params=("limit",),
    required=("limit",),
)
