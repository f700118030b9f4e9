"""Timeout: bound each request, and optionally the whole batch."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.ideal import LONGEST


async def timeout(api, n, *, timeout_ms, deadline_ms=None):
    per_request = timeout_ms / 1000
    # The deadline bounds the whole batch: when it passes, every request still running is
    # cancelled and the block raises TimeoutError. None means no deadline.
    async with asyncio.timeout(deadline_ms / 1000 if deadline_ms else None):
        # Each request also has its own timeout. One that runs out comes back as a
        # TimeoutError in its place in the results and does not stop the others.
        return await asyncio.gather(
            *(api.fetch(i, timeout=per_request) for i in range(n)),
            return_exceptions=True,
        )


STRATEGY = Strategy(
    name="timeout",
    label="asyncio.timeout per request and per batch",
    fn=timeout,
    ideal=LONGEST,
    what="Gathers every request, each under its own timeout_ms, and the whole batch under an optional deadline_ms.",
    when="Always, in some form: a server that never answers would otherwise hold a request, "
    "and everything waiting on it, for as long as the connection lives.",
    pitfall="A timeout that is too short turns slow answers into failures; one without retries "
    "turns a single hang into a missing result.",
    params=("timeout_ms", "deadline_ms"),
    required=("timeout_ms",),
)
