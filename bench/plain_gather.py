"""What a learner would write by hand: one aiohttp session, gather over N requests, time it.

Run by bench/gather_vs_plain.py as its own process (the way a learner's script runs); prints
the seconds the gather took, as the playground's `wall_s` counts them (the session already open).

    .venv/bin/python bench/plain_gather.py http://127.0.0.1:8001/work 1000 200
"""

import asyncio
import sys
import time

import aiohttp


async def main(url: str, n: int, latency_ms: int) -> float:
    # limit=n: aiohttp's default of 100 connections would quietly bound gather (the playground states its own).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=n)) as session:

        async def get(i: int) -> bytes:
            async with session.get(url, params={"i": i, "latency_ms": latency_ms}) as r:
                r.raise_for_status()
                return await r.read()

        began = time.perf_counter()
        await asyncio.gather(*(get(i) for i in range(n)))
        return time.perf_counter() - began


if __name__ == "__main__":
    url, n, latency_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(f"{asyncio.run(main(url, n, latency_ms)):.4f}")
