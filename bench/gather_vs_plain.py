"""gather over 1,000 requests of 200 ms: the playground's run path vs a plain aiohttp script.

Both hit the same demo API (its own process, as in `make run`), alternating, a few
rounds each; the figure is the median wall time and the ratio playground / plain.

    .venv/bin/python bench/gather_vs_plain.py [--requests 1000] [--latency-ms 200] [--rounds 3]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def plain(url: str, n: int, latency_ms: int) -> float:
    """What a learner would write by hand: one session, gather, no bookkeeping."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=n)) as session:

        async def get(i):
            async with session.get(url, params={"i": i, "latency_ms": latency_ms}) as r:
                r.raise_for_status()
                return await r.json()

        began = time.perf_counter()
        await asyncio.gather(*(get(i) for i in range(n)))
        return time.perf_counter() - began


async def playground(n: int, latency_ms: int) -> tuple[float, float]:
    """The real run path: Run row, executor, batched events stored in SQLite and sent."""
    from asgiref.sync import sync_to_async

    from playground.runs import services

    spec = {"strategy": "gather", "requests": n, "latency_ms": latency_ms, "jitter_ms": 0, "failure_rate": 0, "seed": 1}
    began = time.perf_counter()
    run, task = await services.run_launch(spec=spec, owner="bench")
    await task
    total = time.perf_counter() - began
    await sync_to_async(run.refresh_from_db)()
    assert run.status == "finished", run.status
    return run.summary["wall_s"], total


def setup_django(tmp: str) -> None:
    os.environ["PLAYGROUND_DB"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        from django.conf import settings

        from playground.demoapi.process import DemoApiProcess

        with DemoApiProcess.start() as demo:
            settings.DEMO_API_URL = demo.url
            plain_s, run_s, total_s = [], [], []

            async def rounds():
                for _ in range(args.rounds):
                    plain_s.append(await plain(demo.url + "/work", args.requests, args.latency_ms))
                    wall, total = await playground(args.requests, args.latency_ms)
                    run_s.append(wall)
                    total_s.append(total)

            asyncio.run(rounds())
    p, r, t = (statistics.median(x) for x in (plain_s, run_s, total_s))
    print(f"gather, {args.requests:,} requests of {args.latency_ms} ms, median of {args.rounds} rounds")
    print(f"  plain aiohttp script      {p:.3f} s   (baseline)")
    print(f"  playground run (wall_s)   {r:.3f} s   ratio {r / p:.2f}")
    print(f"  playground incl. storing  {t:.3f} s   ratio {t / p:.2f}")


if __name__ == "__main__":
    main()
