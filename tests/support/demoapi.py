"""Helpers that run the real demo API for tests; fixture-free, so conftest can wire them.

server = await start_test_server()      # real aiohttp server on 127.0.0.1, port 0
... server.make_url("/work") ...
await server.close()
"""

import asyncio
from collections.abc import Callable

from aiohttp.test_utils import TestServer

from playground.demoapi.server import make_app

UNTIL_TIMEOUT_S = 5.0  # a condition on a local server that is not true by then never will be


async def start_test_server() -> TestServer:
    """A started demo API, configured as in production; close it when done."""
    server = TestServer(make_app(), host="127.0.0.1", port=0)  # sets handler_cancellation
    await server.start_server(access_log=None)
    return server


async def until(condition: Callable[[], bool], timeout: float = UNTIL_TIMEOUT_S) -> None:
    """Wait for `condition()` to hold (checked every few ms); TimeoutError after `timeout`."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)
