"""Guards: small wrappers that add one protection to `api.fetch`, under any strategy.

    api.fetch  <- with_timeout   each attempt gives up after timeout_ms
               <- at_rate        each attempt waits for a token: `rate` a second
               <- limited        at most `limit` attempts in flight
               <- with_retries   a failed request is tried again, `retries` times
               <- blocking_first each request first holds the event loop block_ms (block_kind:
                                 time.sleep, or CPU work): the mistake, added to any strategy
               == the fetch the strategy calls; wire() runs it before deadline_ms

    api.fetch_blocking <- blocking_with_timeout   the one guard of the strategies whose requests
                                                  use the blocking client (blocking, to_thread,
                                                  threads); the others are refused for them
                                                  (NOT_FOR_BLOCKING_CLIENT), by name, with why

Each guard takes a fetch and returns one called the same way, `fetch(i, **kw)`.
`wire()` builds the chain from the run spec and leaves out a guard whose parameter
the strategy reads itself: the semaphore strategy is its own limit. Retries sit
outside the limit, so a request backing off holds no slot and each retry waits for
one again -- the same as under the retry strategy, which wraps the guarded fetch. A
strategy's own bound sits outside every guard, so under rate_limit a retried attempt
is not paced again.
"""

import asyncio
import hashlib
import random
import time
from collections.abc import Callable

import aiohttp
from aiolimiter import AsyncLimiter

BACKOFF_FIRST_S = 0.1  # the first pause is half to all of this; it doubles each attempt
BACKOFF_MAX_S = 10.0  # no single pause longer than this: a run lasts minutes at most
RETRY_STATUSES = (429, 500, 502, 503, 504)  # answers that may differ next time
# One check of a password costs ~0.2-0.5 ms of CPU at this many rounds: block_ms of CPU work is
# met to within one check, and the check is the real thing a login handler does in async def.
PASSWORD_ROUNDS = 1_000


def with_timeout(fetch, timeout_ms):
    """Each attempt gives up after `timeout_ms`; fetch records it as a timeout."""

    async def fetch_with_timeout(i, **kw):
        return await fetch(i, timeout=timeout_ms / 1000, **kw)

    return fetch_with_timeout


def blocking_with_timeout(fetch_blocking, timeout_ms):
    """Each blocking attempt gives up after `timeout_ms` (urllib's timeout: each socket operation's)."""

    def fetch_blocking_with_timeout(i, **kw):
        return fetch_blocking(i, timeout=timeout_ms / 1000, **kw)

    return fetch_blocking_with_timeout


def blocking_first(fetch, block_ms, block_kind):
    """Before each request, hold the event loop `block_ms` inside the coroutine: the mistake."""

    async def fetch_after_blocking(i, **kw):
        block(block_ms / 1000, block_kind)  # no await: no other task of this loop runs meanwhile
        return await fetch(i, **kw)

    return fetch_after_blocking


def block(seconds, kind):
    """Hold this thread `seconds`: asleep (time.sleep), or busy checking a password (CPU)."""
    if kind == "sleep":
        time.sleep(seconds)
        return
    done = time.thread_time() + seconds  # this thread's CPU time: the work itself, not a wait for a core
    while time.thread_time() < done:
        hashlib.pbkdf2_hmac("sha256", b"correct horse", b"salt", PASSWORD_ROUNDS)


def at_rate(api, fetch, rate):
    """At most `rate` attempts start a second, one every 1 / rate s (see rate_limit)."""
    limiter = AsyncLimiter(1, 1 / rate)  # one at a time: never a burst

    async def fetch_at_rate(i, **kw):
        api.waiting(i, "rate")
        async with limiter:
            return await fetch(i, **kw)

    return fetch_at_rate


def with_retries(api, fetch, retries):
    """Try a request again, up to `retries` times, when retry_delay() says it may help."""

    async def fetch_with_retries(i, **kw):
        for attempt in range(1, retries + 2):
            try:
                return await fetch(i, **kw)
            except (TimeoutError, aiohttp.ClientError) as exc:
                delay = retry_delay(exc, attempt, api.rng(i, attempt))
                if delay is None or attempt > retries:
                    raise  # not worth retrying, or out of attempts: the caller sees it
            api.backoff(i, delay)  # the timeline links this attempt to the next
            await asyncio.sleep(delay)

    return fetch_with_retries


def retry_delay(exc, attempt, rng: random.Random):
    """Seconds to pause before the next attempt, or None when trying again cannot help.

    `rng` draws the jitter; seeded by (seed, request, attempt), the same run pauses the same.
    """
    status = exc.status if isinstance(exc, aiohttp.ClientResponseError) else None
    if status is not None and status not in RETRY_STATUSES:
        return None  # a 400 or 404 would be answered the same way again
    backoff = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempt - 1))
    # Jitter: requests that failed together should not all come back together.
    jitter = rng.uniform(0, backoff / 2)
    retry_after = (exc.headers or {}).get("Retry-After", "") if status in (429, 503) else ""
    if retry_after.isdigit():
        return int(retry_after) + jitter  # the server said when: not sooner
    return backoff / 2 + jitter


def limited(api, fetch, limit):
    """At most `limit` attempts in flight; a request backing off between retries holds no slot."""
    slots = asyncio.Semaphore(limit)

    async def fetch_limited(i, **kw):
        api.waiting(i, "semaphore")
        async with slots:
            return await fetch(i, **kw)

    return fetch_limited


async def wire(api, spec, strategy):
    """Put the spec's guards around api.fetch (or api.fetch_blocking), then run the strategy before the deadline."""
    own = strategy.params  # a parameter the strategy reads is its own job, not a guard's
    if strategy.blocking_client:  # its requests go through api.fetch_blocking (urllib): a timeout is all
        if spec.get("timeout_ms"):
            api.fetch_blocking = blocking_with_timeout(api.fetch_blocking, spec["timeout_ms"])
    else:
        fetch = api.fetch
        if spec.get("timeout_ms") and "timeout_ms" not in own:
            fetch = with_timeout(fetch, spec["timeout_ms"])
        if spec.get("rate") and "rate" not in own:
            fetch = at_rate(api, fetch, spec["rate"])
        if spec.get("limit") and "limit" not in own:
            fetch = limited(api, fetch, spec["limit"])
        if spec.get("retries") and "retries" not in own:
            fetch = with_retries(api, fetch, spec["retries"])
        if spec.get("block_ms"):
            fetch = blocking_first(fetch, spec["block_ms"], spec.get("block_kind", "sleep"))
        api.fetch = fetch  # the strategy calls api.fetch(i) and gets the guarded one
    if spec.get("deadline_ms"):
        # From this moment on, fetch records a request that is cut off as a timeout.
        api.deadline_at = asyncio.get_running_loop().time() + spec["deadline_ms"] / 1000
    async with asyncio.timeout_at(None if "deadline_ms" in own else api.deadline_at):
        return await strategy.run(api, spec["requests"], spec)


# (spec parameter, guard, the helpers it calls), innermost first, as wire() applies them.
GUARDS: tuple[tuple[str, Callable, tuple[Callable, ...]], ...] = (
    ("timeout_ms", with_timeout, ()),
    ("rate", at_rate, ()),
    ("limit", limited, ()),
    ("retries", with_retries, (retry_delay,)),
    ("block_ms", blocking_first, (block,)),
)
BLOCKING_CLIENT_GUARDS: tuple[tuple[str, Callable, tuple[Callable, ...]], ...] = (
    ("timeout_ms", blocking_with_timeout, ()),
)
# In reading order; block_kind says how block_ms holds the loop.
GUARD_PARAMS = ("limit", "rate", "timeout_ms", "retries", "deadline_ms", "block_ms", "block_kind")

_BLOCKING_CLIENT = "this strategy's requests use the blocking client (api.fetch_blocking, urllib)"
# (guard, why it cannot apply): the guards that wrap api.fetch, refused by RunSpec for a
# strategy whose requests go through api.fetch_blocking, never silently left out.
NOT_FOR_BLOCKING_CLIENT: tuple[tuple[str, str], ...] = (
    ("limit", f"the limit guard is an asyncio.Semaphore around api.fetch, and {_BLOCKING_CLIENT}."),
    ("rate", f"the rate guard paces api.fetch with an asyncio limiter, and {_BLOCKING_CLIENT}."),
    ("retries", f"the retries guard tries api.fetch's aiohttp errors again, and {_BLOCKING_CLIENT}."),
    ("block_ms", f"block_ms holds the event loop before each api.fetch, and {_BLOCKING_CLIENT}."),
)


def active_guards(strategy, spec) -> list[tuple[str, Callable, tuple[Callable, ...]]]:
    """The guards wire() puts around api.fetch (api.fetch_blocking) for this strategy and spec."""
    table = BLOCKING_CLIENT_GUARDS if strategy.blocking_client else GUARDS
    return [g for g in table if spec.get(g[0]) and g[0] not in strategy.params]
