"""Join attempts counted per minute in Django's cache (locmem in one Daphne; Redis with REDIS_URL).

    limit_hit(key, limit) -> None within the limit, else the seconds until the window ends (Retry-After)

A fixed window of a minute: a count under a key for this minute; the first attempt past `limit`
is refused until the next minute begins.
"""

import math
import time

from django.core.cache import cache

WINDOW_S = 60


async def limit_hit(key: str, limit: int) -> int | None:
    now = time.time()
    window = int(now // WINDOW_S)
    slot = f"playground:limit:{key}:{window}"
    await cache.aadd(slot, 0, timeout=WINDOW_S + 5)
    try:
        count = await cache.aincr(slot)
    except ValueError:  # expired between add and incr: this attempt starts the count
        await cache.aset(slot, 1, timeout=WINDOW_S + 5)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_S - now))
