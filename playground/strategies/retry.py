"""Retry: try failed requests again, after a growing, jittered pause."""

import asyncio

from playground.strategies.base import Strategy
from playground.strategies.guards import retry_delay, with_retries
from playground.strategies.ideal import LONGEST


async def retry(api, n, *, retries):
    # with_retries wraps fetch: a request that fails in a way that may pass (a timeout,
    # a lost connection, 429 or 5xx) is tried again, up to `retries` more times.
    fetch = with_retries(api, api.fetch, retries)
    return await asyncio.gather(*(fetch(i) for i in range(n)))


STRATEGY = Strategy(
    name="retry",
    label="gather + retries with backoff",
    fn=retry,
    ideal=LONGEST,
    what="Gathers every request; one that fails is tried again after a pause that doubles each "
    "time, with random jitter, or after the Retry-After a 429 or 503 answer asks for.",
    when="Flaky networks and busy servers, where a second attempt usually works. Only for "
    "requests that are safe to repeat.",
    pitfall="Retrying what cannot succeed (400, 404) only adds load; retrying without backoff "
    "and jitter sends every failed request back at the same moment.",
    params=("retries",),
    required=("retries",),
    helpers=(with_retries, retry_delay),
)
