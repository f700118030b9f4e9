"""Trying a database write again: a few attempts, a pause that doubles, each failure logged.

Used where a failure is often gone a moment later (a table lock, a dropped connection): storing a
batch of events (recorder.py), marking a run running (lifecycle.py).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def retried(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    first_pause_s: float,
    what: str,
    logger: logging.Logger,
    errors: tuple[type[Exception], ...] = (Exception,),
) -> T:
    """`await call()` up to `attempts` times, pausing first_pause_s, then twice that, ... between
    them; a warning for each failure, an error for the last, which is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except errors as exc:
            if attempt == attempts:
                logger.error("%s failed %s times (%r); giving up", what, attempt, exc)
                raise
            logger.warning("%s failed (%r); trying again", what, exc)
            await asyncio.sleep(first_pause_s * 2 ** (attempt - 1))
    raise ValueError(f"attempts must be at least 1 (got {attempts})")
