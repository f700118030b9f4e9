"""Rate limit: start at most `rate` requests a second, evenly spaced."""

import asyncio

from aiolimiter import AsyncLimiter

from playground.strategies.base import Strategy
from playground.strategies.ideal import PACED


async def rate_limit(api, n, *, rate):
    # One request every 1 / rate seconds. AsyncLimiter(rate, 1) has the same average but
    # lets `rate` requests go at once, a burst a server's token bucket may not hold
    # (and it cannot express rates below 1 a second). Spaced out, a client at or below
    # the server's rate always finds a token waiting.
    limiter = AsyncLimiter(1, 1 / rate)

    async def one(i):
        api.waiting(i, "rate")  # queued until the limiter lets it start
        async with limiter:
            return await api.fetch(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


STRATEGY = Strategy(
    name="rate_limit",
    label="aiolimiter.AsyncLimiter(rate)",
    fn=rate_limit,
    ideal=PACED,
    what="Starts every task at once, but each waits for the limiter before its request: at "
    "most `rate` requests start in any second.",
    when="APIs that allow so many requests a second and answer 429 Too Many Requests above it.",
    pitfall="A rate limit bounds starts, not requests in flight: slow answers still pile up. "
    "Combine it with a limit when the server also caps concurrency.",
    params=("rate",),
    required=("rate",),
)
