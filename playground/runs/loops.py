"""One object an event loop: a web process's feed and line, and an inline worker.

A server has one loop; tests run one a test in the same process, and an object made
for one loop (its tasks, its locks) must not be used from the next.
"""

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def this_loops(registry: dict[asyncio.AbstractEventLoop, T], make: Callable[[], T]) -> T:
    """The running loop's object in `registry`, made on first use; those of closed loops are dropped."""
    loop = asyncio.get_running_loop()
    for other in [lp for lp in registry if lp.is_closed()]:
        del registry[other]
    if loop not in registry:
        registry[loop] = make()
    return registry[loop]
