"""The events reader: one thread of each web process reads the stored events for the feed and the replays.

sync_to_async runs every call in one thread a process shares with Django's views, the sessions
and Channels' connection checks: while a class of 100 opened its sockets on a stage run, the
feed's read every FEED_INTERVAL_S waited there up to 0.8 s (bench/classroom.py). On a thread of
its own it waits for nothing but the database, and keeps one connection open, where the shared
thread opened one a call.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

T = TypeVar("T")

_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-reader")


def _call(fn: Callable[..., T], kwargs: dict) -> T:
    # The connection stays open between calls (Django's per-request check never runs on this thread):
    # one that broke meanwhile (a database restarted, a proxy's idle timeout) is closed and opened again.
    try:
        return fn(**kwargs)
    except (OperationalError, InterfaceError):
        connection.close()
    try:
        return fn(**kwargs)
    except Exception:
        connection.close()
        raise


async def read(fn: Callable[..., T], /, **kwargs) -> T:
    """fn(**kwargs) on the events reader's thread."""
    return await asyncio.get_running_loop().run_in_executor(_THREAD, functools.partial(_call, fn, kwargs))
