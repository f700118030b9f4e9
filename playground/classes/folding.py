"""Announcements folded together: a burst of changes to one class (thirty joins at the bell, a
hundred guesses before a run) goes out at most once every FOLD_S, not once a change.

    await fold(key, send)   `send()` now if nothing went out for `key` in the last FOLD_S; else
                            once at the end of that interval (calls meanwhile join that one send)

`send` reads the state when it runs, so the one send carries every change folded into it; what
it sends carries a revision or a state (the roster's `rev`), so a page keeps the newest. Without
folding, a class of 100 joining sends 100 rosters to 100 sockets: 10,000 messages from the
process that serves the pages and the runs' sockets too.
"""

import asyncio
import contextvars
import logging
import math
from collections.abc import Awaitable, Callable

from playground.runs.loops import this_loops

logger = logging.getLogger(__name__)

FOLD_S = 0.25  # a roster or a count a quarter of a second old is news enough for a room

Send = Callable[[], Awaitable[None]]


class Folder:
    def __init__(self) -> None:
        self.sent: dict[str, float] = {}  # key -> loop time of its last send
        self.later: dict[str, asyncio.Task] = {}

    async def fold(self, key: str, send: Send) -> None:
        if key in self.later:
            return  # a send is due: it will read this change too
        loop = asyncio.get_running_loop()
        wait = self.sent.get(key, -math.inf) + FOLD_S - loop.time()
        if wait > 0:
            # A context of its own: the request that made the change (and its sync thread) may be over.
            later = self._later(key, wait, send)
            self.later[key] = loop.create_task(later, name=f"fold {key}", context=contextvars.Context())
            return
        self.sent[key] = loop.time()
        await send()

    async def _later(self, key: str, wait: float, send: Send) -> None:
        await asyncio.sleep(wait)
        del self.later[key]  # before sending: a change while it sends is due for the next one
        self.sent[key] = asyncio.get_running_loop().time()
        try:
            await send()
        except Exception:  # nobody awaits this task: say so, the next change sends again
            logger.exception("folded announcement %s failed", key)


_FOLDERS: dict[asyncio.AbstractEventLoop, Folder] = {}


async def fold(key: str, send: Send) -> None:
    await this_loops(_FOLDERS, Folder).fold(key, send)
