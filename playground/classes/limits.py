"""Attempts counted per key in Django's cache (locmem in one Daphne; Redis with REDIS_URL).

    limit_take(key, limit)   counts this attempt: None within the limit, else the seconds to wait (Retry-After)
    limit_spent(key, limit)  the same answer, without counting: has the key used up its limit?
    limit_add(key)           counts one attempt, refusing nothing

A key's window (CLASS_LIMIT_WINDOW_S) begins at its first attempt and its count ends with it:
the limit is `limit` attempts in any window that starts at a first attempt, with no clock
boundary (a new minute) that resets the count halfway through a burst.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache


def _keys(key: str) -> tuple[str, str]:
    return f"playground:limit:{key}:count", f"playground:limit:{key}:since"


async def limit_add(key: str) -> int:
    """Count one attempt under `key`; the count so far, this one included."""
    window = settings.CLASS_LIMIT_WINDOW_S
    count, since = _keys(key)
    await cache.aadd(since, time.time(), timeout=window)
    await cache.aadd(count, 0, timeout=window)
    try:
        return await cache.aincr(count)
    except ValueError:  # the window ended between add and incr: this attempt starts the next one
        await cache.aset(count, 1, timeout=window)
        return 1


async def limit_take(key: str, limit: int) -> int | None:
    if await limit_add(key) <= limit:
        return None
    return await _wait(key)


async def limit_spent(key: str, limit: int) -> int | None:
    if await cache.aget(_keys(key)[0], 0) < limit:
        return None
    return await _wait(key)


async def _wait(key: str) -> int:
    """Whole seconds until the key's window ends."""
    now = time.time()
    since = await cache.aget(_keys(key)[1], now)
    return max(1, math.ceil(since + settings.CLASS_LIMIT_WINDOW_S - now))
