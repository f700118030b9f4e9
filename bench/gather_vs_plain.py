"""gather over 1,000 requests of 200 ms: a run in the served playground vs a learner's plain aiohttp script.

    bench/plain_gather.py (its own process) ----GET /work x N----> demo API <----- runs worker
    this script --POST /api/runs, ws until run.finished--> Daphne --job--/  (supervisord, as `make run`)

The playground is served as `make run` serves it (supervisord: Daphne, the demo API, one runs
worker per core less one); the plain script is a standalone file run with the venv's python, the
way a learner runs theirs, against the same demo API (the playground's own). They alternate,
plain first, --rounds times each. The playground's figure is what the learner is shown: `wall_s`
in the run.finished summary; the plain script's is the time around its gather, session open,
which is what `wall_s` counts too. Reports the medians and the ratio playground / plain
(target <= 1.10x, issue 8).

    .venv/bin/python bench/gather_vs_plain.py [--requests 1000] [--latency-ms 200] [--rounds 5]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.support.servers import start_playground, stop  # noqa: E402 (after the path)
from tests.support.wsclient import collect_run, start_run  # noqa: E402

TARGET_RATIO = 1.10  # issue 8: the playground may add at most a tenth to what a plain script takes
# Before each measured gather, both sides: a pause, so that neither begins while the demo
# API is still closing the other's 1,000 connections (the plain script's close the moment it
# exits; a playground run is POSTed right after).
SETTLE_S = 1.0
WORKERS = max(1, (os.cpu_count() or 2) - 1)  # `make run`'s default: one per core less one


def plain(demo_url: str, n: int, latency_ms: int) -> float:
    """The learner's script in its own process; the seconds its gather took."""
    argv = [sys.executable, str(HERE / "plain_gather.py"), demo_url + "/work", str(n), str(latency_ms)]
    return float(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def playground(srv, n: int, latency_ms: int) -> float:
    """One run POSTed to the served playground and watched to its end; the `wall_s` it shows."""
    spec = {"strategy": "gather", "requests": n, "latency_ms": latency_ms, "jitter_ms": 0, "failure_rate": 0, "seed": 1}

    async def run() -> dict:
        return (await collect_run(srv, await start_run(srv, spec)))[-1]

    end = asyncio.run(run())
    if end["status"] != "finished":
        raise RuntimeError(f"the playground's run ended {end['status']}: {end.get('error')}")
    return end["summary"]["wall_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 100:
        parser.error(f"--rounds: must be between 1 and 100 (got {args.rounds})")
    plain_s, run_s = [], []
    with tempfile.TemporaryDirectory(prefix="playground-gather-") as tmp:
        proc, srv = start_playground(Path(tmp), workers=WORKERS)
        try:
            for _ in range(args.rounds):
                time.sleep(SETTLE_S)
                plain_s.append(plain(srv.demo, args.requests, args.latency_ms))
                time.sleep(SETTLE_S)
                run_s.append(playground(srv, args.requests, args.latency_ms))
        finally:
            stop(proc)
    p, r = statistics.median(plain_s), statistics.median(run_s)

    def rounds(xs: list[float]) -> str:
        return ", ".join(f"{x:.3f}" for x in xs)

    verdict = "ok" if r / p <= TARGET_RATIO else "MISSED"
    print(f"gather, {args.requests:,} requests of {args.latency_ms} ms, median of {args.rounds} alternating rounds")
    print(f"  plain aiohttp script, own process   {p:.3f} s   (baseline; rounds {rounds(plain_s)})")
    print(f"  playground run, wall_s (make run)   {r:.3f} s   (rounds {rounds(run_s)})")
    print(f"  ratio playground / plain            {r / p:.2f}x  target <= {TARGET_RATIO:.2f}x  {verdict}")


if __name__ == "__main__":
    main()
