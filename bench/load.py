"""A class on one machine: N learners press Run at the same moment, the playground served as `make run` serves it.

    this script: N learners (+ --idle more  --GET /, POST /api/runs-->  Daphne --job--> runs workers
    holding a socket open on a finished     <--ws /ws/runs/<id>/----   (supervisord: one worker
    run), each an aiohttp session with                                   per core less one)
    cookies (a browser tab)                                                  | the runs' requests
                                                                         demo API

    --scale-out: PostgreSQL + Redis, two Daphnes and two workers; learners post to Daphne k mod 2,
    and every other pair of learners watches its runs through the other Daphne.

First the baseline, on the same served playground in the same invocation: one learner runs each
spec of the lesson's mix alone, three times (its median `wall_s`). Then the class: every learner
opens the page (GET /, its csrftoken cookie), then all at once (a burst) POST their first run and
read its websocket until run.finished, then the next: the mix's three runs one after another
(learner k starts at spec k mod 3, or all in the lesson's order with --same-order). The caps are
`make run`'s: PLAYGROUND_MAX_RUNS_PER_VISITOR 3, which a learner running one run at a time never hits.

Figures, each printed with its target (issue 8):

    slowdown   p95 over runs of wall_s / the same spec's median alone                 <= 1.3
    errors     HTTP 429s, other HTTP errors, websockets rejected or dropped, runs     0
               not ending `finished`, requests failed inside a run, idle sockets lost
    events     lost or repeated: each run's seq must arrive 0, 1, 2, ... once          0
    waited     a learner's POST to its run.finished: the longest, and the p95           longest <= 45 s
    event lag  when the client got an event - when the worker emitted it (run.started's
               `at` - its `t` + the event's `t`; one machine, one clock), for events sent
               live, not replayed to a socket that connected after them: p95, max      p95 <= 100 ms
    queue      runs that waited for a worker (got a queue message), the longest place
    CPU        each server process's CPU seconds during the class, and its share of a core

Loopback only: it serves and loads 127.0.0.1.

    .venv/bin/python bench/load.py [--learners 30] [--idle 0] [--scale-out] [--same-order]
    .venv/bin/python bench/load.py --idle 100          # and 100 more learners holding a socket open
    .venv/bin/python bench/load.py --ramp [--steps 10,30,60,100] [--max-learners 150]
"""

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the imports below come after it: bench/ runs as scripts
from bench.learners import Gate, Seen, Tally, browser, idle, learner, open_page, post_run, watch  # noqa: E402
from bench.served import WORKERS, Served, cpu_seconds, finish, make_run, scale_out  # noqa: E402

SPECS: dict[str, dict] = {  # the lesson's mix, in the lesson's order: a tiny run, a wide one, a bounded one
    "gather [300,500,200]": {"strategy": "gather", "latencies_ms": [300, 500, 200]},
    "gather 1000x100ms": {"strategy": "gather", "requests": 1000, "latency_ms": 100},
    "semaphore 200x100ms/20": {"strategy": "semaphore", "requests": 200, "latency_ms": 100, "limit": 20},
}
BASELINE_ROUNDS = 3  # median of three: one slow first run does not set the baseline
TARGET_SLOWDOWN = 1.3  # p95 of wall_s / alone
TARGET_WAITED_S = 45.0  # the longest POST -> run.finished
TARGET_LAG_S = 0.100  # p95 of event lag
RAMP = "10,30,60,100"  # then +RAMP_STEP until a target is missed or --max-learners
RAMP_STEP = 50


# --- the class, the baseline and the report ---------------------------------------------


def cpu_of(served: Served) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in served.processes.items()} | {"this script": time.process_time()}


async def lesson(served: Served, plans: list[list[tuple[str, dict]]], idle_paths: list[str], args) -> Tally:
    """Idle learners hold their sockets open and learners open the page; then every learner presses Run at once."""
    tally, gate = Tally(), Gate()
    posts, watches = served.posts, served.watches
    try:
        async with asyncio.timeout(args.time_limit), asyncio.TaskGroup() as tg:
            for k, path in enumerate(idle_paths):
                tg.create_task(idle(posts[k % len(posts)], path, gate, tally))
            learners = [
                tg.create_task(
                    learner(posts[k % len(posts)], watches[k % len(watches)], plan, gate, tally, args.timeout)
                )
                for k, plan in enumerate(plans)
            ]
            await gate.all_ready(len(idle_paths) + len(plans))
            cpu0, began = cpu_of(served), time.perf_counter()
            gate.go.set()
            await asyncio.gather(*learners)
            tally.wall = time.perf_counter() - began
            tally.cpu = {name: seconds - cpu0[name] for name, seconds in cpu_of(served).items()}
            gate.over.set()
    except TimeoutError:
        tally.error("websocket dropped", f"the {args.time_limit:g} s time bound ran out mid-class")
    return tally


def p95(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return math.nan
    return statistics.quantiles(xs, n=20, method="inclusive")[-1] if len(xs) > 1 else xs[0]


def line(label: str, figure: str, target: str, ok: bool | None = None) -> None:
    verdict = "" if ok is None else f"  target {target}  {'ok' if ok else 'MISSED'}"
    print(f"  {label:<10} {figure:<58}{verdict}")


def report(title: str, tally: Tally, alone: dict[str, float]) -> bool:
    """Print the figures, one line each with its target; whether every target was met."""
    runs = tally.runs
    ratios = [s.wall_s / alone[s.spec] for s in runs if not math.isnan(s.wall_s)]
    waited = [s.waited_s for s in runs if not math.isnan(s.waited_s)]
    lags = [x for s in runs for x in s.lags]
    lost, repeated = sum(s.lost for s in runs), sum(s.repeated for s in runs)
    errors, queued = tally.error_count(), [s.place for s in runs if s.place]
    checks = [
        p95(ratios) <= TARGET_SLOWDOWN,
        errors == 0,
        lost == repeated == 0,
        max(waited, default=math.inf) <= TARGET_WAITED_S,
        p95(lags) <= TARGET_LAG_S,
    ]
    print(
        f"{title}: {len(runs)} runs in {tally.wall:.1f} s, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs"
    )
    slow = f"p95 of wall_s / alone {p95(ratios):.2f}x (max {max(ratios, default=math.nan):.2f}x)"
    line("slowdown", slow, f"<= {TARGET_SLOWDOWN}x", checks[0])
    line("errors", str(errors), "0", checks[1])
    for kind, counter in tally.errors.items():
        if counter:
            print(f"{'':13}{kind}: " + ", ".join(f"{k} x{v}" for k, v in counter.most_common(3)))
    line("events", f"lost {lost}, repeated {repeated}", "0", checks[2])
    longest = f"POST -> run.finished longest {max(waited, default=math.nan):.1f} s (p95 {p95(waited):.1f} s)"
    line("waited", longest, f"<= {TARGET_WAITED_S:g} s", checks[3])
    lag = f"p95 {p95(lags) * 1000:.0f} ms (max {max(lags, default=math.nan) * 1000:.0f} ms; {len(lags):,} live events)"
    line("event lag", lag, f"p95 <= {TARGET_LAG_S * 1000:g} ms", checks[4])
    print(f"  queue      {len(queued)} of {len(runs)} runs waited for a worker; longest place {max(queued, default=0)}")
    for name in SPECS:
        mine = [s for s in runs if s.spec == name and not math.isnan(s.wall_s)]
        if mine:
            w, waits = statistics.median(s.wall_s for s in mine), statistics.median(s.waited_s for s in mine)
            lag = p95([x for s in mine for x in s.lags])
            print(
                f"{'':13}{name:<23} wall_s p50 {w:5.2f} s = {w / alone[name]:4.2f}x alone ({alone[name]:.2f} s);"
                f" waited p50 {waits:5.1f} s; lag p95 {lag * 1000:4.0f} ms ({len(mine)} runs)"
            )
    if tally.cpu:  # seconds, and share of one core over the class's wall time
        print("  CPU        during the class: seconds, and share of one core")
        for name, seconds in tally.cpu.items():
            print(f"{'':13}{name:<12} {seconds:6.1f} s  {seconds / tally.wall:4.0%} of a core")
    return all(checks)


def plans(n: int, same_order: bool) -> list[list[tuple[str, dict]]]:
    runs = list(SPECS.items())  # (name, spec): the learners do not know the lesson's mix
    return [runs if same_order else runs[k % 3 :] + runs[: k % 3] for k in range(n)]


async def baseline(served: Served, args) -> tuple[dict[str, float], list[str]] | None:
    """Each spec alone, BASELINE_ROUNDS times: its median wall_s, and the finished runs' socket paths."""
    tally, post = Tally(), served.posts[0]
    async with browser(args.timeout) as http:
        token = await open_page(http, post, tally)
        paths = []
        for name in list(SPECS) * BASELINE_ROUNDS if token else []:
            if path := await post_run(http, post, SPECS[name], token, tally):
                seen = Seen(name)
                if (end := await watch(http, post, path, seen, tally)) and end.status == "finished" and end.summary:
                    tally.runs.append(seen)
                    seen.wall_s = end.summary["wall_s"]
                    paths.append(path)
    alone = {n: statistics.median(s.wall_s for s in tally.runs if s.spec == n) for n in {s.spec for s in tally.runs}}
    if tally.error_count() or len(alone) < len(SPECS):
        print(f"the baseline (each spec alone) failed: {tally.first or 'a spec never finished'}")
        return None
    print(f"alone (median wall_s of {BASELINE_ROUNDS}; event lag p95 and max):")
    for name in SPECS:
        lags = [x for s in tally.runs if s.spec == name for x in s.lags]
        print(f"{'':13}{name:<23} {alone[name]:5.2f} s; lag {p95(lags) * 1000:4.0f} ms, {max(lags) * 1000:4.0f} ms")
    return alone, paths


def sizes(args) -> list[int]:
    if not args.ramp:
        return [args.learners]
    out = [n for n in map(int, args.steps.split(",")) if n < args.max_learners]
    while out and out[-1] + RAMP_STEP < args.max_learners:
        out.append(out[-1] + RAMP_STEP)
    return out + [args.max_learners]


async def main_async(args, served: Served) -> int:
    base = await baseline(served, args)
    if base is None:
        return 1
    alone, finished = base
    idle_paths = [finished[k % len(finished)] for k in range(args.idle)]
    met = 0
    for n in sizes(args):
        title = f"{n} learners x {len(SPECS)} runs, burst" + (f", {args.idle} idle sockets" if args.idle else "")
        if not report(title, await lesson(served, plans(n, args.same_order), idle_paths, args), alone):
            print(
                f"verdict: targets met up to {met} learners, missed at {n}" if args.ramp else "verdict: a target MISSED"
            )
            return 1
        met = n
    print(f"verdict: every target met (up to {met} learners)" if args.ramp else "verdict: every target met")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--idle", type=int, default=0, help="more learners holding a socket open on a finished run")
    parser.add_argument("--scale-out", action="store_true", help="PostgreSQL + Redis, two Daphnes, two workers")
    parser.add_argument("--same-order", action="store_true", help="every learner runs the mix in the lesson's order")
    parser.add_argument("--ramp", action="store_true", help="classes of 10, 30, 60, 100, ... until a target is missed")
    parser.add_argument("--max-learners", type=int, default=150)
    parser.add_argument("--steps", default=RAMP, help="the ramp's first class sizes, comma-separated")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one run may take, POST to end")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds one class may take")
    args = parser.parse_args()
    for name in ("learners", "max_learners"):
        if not 1 <= getattr(args, name) <= 1000:
            parser.error(f"--{name.replace('_', '-')}: must be between 1 and 1,000 (got {getattr(args, name)})")
    if not 0 <= args.idle <= 1000:
        parser.error(f"--idle: must be between 0 and 1,000 (got {args.idle})")
    began, tmp = time.monotonic(), Path(tempfile.mkdtemp(prefix="playground-load-"))
    setup = scale_out if args.scale_out else make_run
    with setup(tmp) as served:
        print(
            f"served: {', '.join(served.processes)}" + (f" (make run, {WORKERS} workers)" if not args.scale_out else "")
        )
        code = asyncio.run(main_async(args, served))
    finish(served, tmp, began, code)


if __name__ == "__main__":
    main()
