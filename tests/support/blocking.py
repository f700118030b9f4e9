"""An Api built as the executor builds it, for tests of Api.fetch_blocking on its own.

    async with blocking_api(target, spec={"latency_ms": 300}) as (api, recorder):
        await asyncio.to_thread(api.fetch_blocking, 0)
        ... recorder.history: every event, numbered ...

`on_event(event)` is called on each event as it is emitted, in the emitting thread: a test
can react to a request starting while the loop is blocked (a threading.Event, not a sleep).
"""

import contextlib
import uuid

import aiohttp

from playground.runs.targets import Target, blocking_opener
from playground.strategies.api import Api
from tests.support.runs import Collected


@contextlib.asynccontextmanager
async def blocking_api(target: Target, *, spec=None, allowed=None, safety_timeout_s=30.0, on_event=None):
    collected = Collected()
    recorder = collected.recorder
    recorder.start()

    def emit(event):
        recorded = recorder.emit(event)
        if on_event is not None:
            on_event(recorded)
        return recorded

    try:
        async with aiohttp.ClientSession() as session:
            api = Api(
                session=session,
                target=target,
                spec={"latency_ms": 0, **(spec or {})},
                emit=emit,
                key=f"test-{uuid.uuid4()}",
                now=recorder.now,
                opener=blocking_opener(allowed or [target]),
                safety_timeout_s=safety_timeout_s,
            )
            try:
                yield api, recorder
            finally:
                await api.close()
    finally:
        await recorder.close()
