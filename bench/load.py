"""A classroom on one machine: N learners start runs and watch them live, all at once.

    this script: N learners, each one aiohttp  --GET /, POST /api/runs-->  Daphne (own process,
    session with cookies (a browser tab)       --ws /ws/runs/<id>/---->  temp SQLite, caps raised)
                                                                           | the runs' requests
                                                                         demo API (own process)

    baseline: 1 learner, each spec alone -> step(--learners), or step(10), step(30), ... (--ramp)

A learner opens the page, takes its csrftoken cookie, then for each of its runs POSTs a
spec and reads the run's websocket until run.finished, checking that `seq` arrives as
0, 1, 2, ... with no gap and no repeat. Loopback only: it serves and loads 127.0.0.1.

    .venv/bin/python bench/load.py [--learners 30] [--runs-per-learner 3]
    .venv/bin/python bench/load.py --ramp [--max-learners 150] [--slow-factor 5]
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support import servers  # noqa: E402 (after the path)
from tests.support.servers import HOST, Server, start_redis, stop  # noqa: E402

# HOST (tests/support/servers.py) is 127.0.0.1: a load script must never point at anyone else's machine.
SPECS = {  # the lesson's mix: a tiny run, a bounded one, a wide one
    "gather [300,500,200]": {"strategy": "gather", "latencies_ms": [300, 500, 200]},
    "semaphore 200x100ms/20": {"strategy": "semaphore", "requests": 200, "latency_ms": 100, "limit": 20},
    "gather 1000x100ms": {"strategy": "gather", "requests": 1000, "latency_ms": 100},
}
BASELINE_ROUNDS = 3  # median of three: one slow first run does not set the baseline
RAMP = "10,30,60,100"  # then +RAMP_STEP until it breaks or --max-learners
RAMP_STEP = 50
UNCAPPED = "100000"  # the caps on runs are measured with --keep-caps, not hit by accident


def lists():
    """A dataclass field: a defaultdict(list), e.g. spec name -> seconds."""
    return field(default_factory=lambda: defaultdict(list))


@dataclass
class Stats:
    """What one step saw; `first` is the first failure in time, which names why a step breaks."""

    began: float = field(default_factory=time.perf_counter)
    walls: dict = lists()  # spec -> seconds a learner waited for each run
    timeline: dict = lists()  # spec -> wall_s each run's own timeline shows
    waits: dict = lists()  # "POST", "ws open" -> seconds
    http: Counter = field(default_factory=Counter)
    ws: Counter = field(default_factory=Counter)
    runs_failed: Counter = field(default_factory=Counter)
    tasks_failed: Counter = field(default_factory=Counter)  # requests that failed inside a run
    events: int = 0
    lost: int = 0
    duplicated: int = 0
    runs: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    first: str = ""
    wall: float = 0.0
    cpu: dict = field(default_factory=dict)  # share of one core: "daphne", "this script"

    def fail(self, counter: Counter, key: str) -> None:
        counter[key] += 1
        self.first = self.first or key

    def errors(self) -> int:
        return sum(sum(c.values()) for c in (self.http, self.ws, self.runs_failed, self.tasks_failed))


# --- servers (tests/support/servers.py starts them, for the tests and for this bench) -----


def start_daphne(tmp: Path, demo_url: str, keep_caps: bool, redis_url: str = "") -> tuple[subprocess.Popen, Server]:
    """One Daphne, its log in `tmp`; all of them share tmp's parent's database."""
    env = {"REDIS_URL": redis_url}
    if not keep_caps:
        env |= {"PLAYGROUND_MAX_RUNS_PER_VISITOR": UNCAPPED, "PLAYGROUND_MAX_RUNS_IN_FLIGHT": UNCAPPED}
    return servers.start_daphne(tmp, demo_url, env, db=tmp.parent / "load.sqlite3")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of the whole process, seconds its main thread -- the event loop -- sat ready
    but waiting for a CPU), from Linux /proc: tells a saturated server from a starved one."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        waited = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except OSError:
        return float("nan"), float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), waited


def log_findings(log: Path) -> str:
    """Tracebacks and rejected websockets in the Daphne log (it logs one line per request)."""
    lines = log.read_text(errors="replace").splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("Traceback")]
    found = [f"{n} WSREJECT" for n in [sum('"WSREJECT' in line for line in lines)] if n]
    if starts:
        end = next((x for x in lines[starts[0] + 1 :] if x and not x[0].isspace()), "?")
        found.append(f"{len(starts)} tracebacks, the first ends: {end[:160]}")
    return "; ".join(found)


# --- one learner ---------------------------------------------------------------


def why(exc: Exception) -> str:
    return f"{type(exc).__name__} {getattr(exc, 'status', None) or str(exc)[:60]}".strip()


async def open_page(http: aiohttp.ClientSession, srv: Server, stats: Stats) -> str | None:
    """GET / like a browser; the csrftoken cookie it sets, or None (counted)."""
    try:
        async with http.get(srv.base + "/") as r:
            await r.read()
            if r.status != 200:
                return stats.fail(stats.http, f"GET / {r.status}")
    except (aiohttp.ClientError, OSError) as exc:
        return stats.fail(stats.http, f"GET / {why(exc)}")
    cookie = http.cookie_jar.filter_cookies(URL(srv.base)).get("csrftoken")
    return cookie.value if cookie else stats.fail(stats.http, "GET / set no csrftoken cookie")


async def post_run(http, srv: Server, stats: Stats, spec: dict, token: str) -> str | None:
    """The new run's websocket path, or None (counted)."""
    began, headers = time.perf_counter(), {"X-CSRFToken": token, "Referer": srv.base + "/"}
    try:
        async with http.post(srv.base + "/api/runs", json=spec, headers=headers) as r:
            body = await r.text()
    except (aiohttp.ClientError, OSError) as exc:
        return stats.fail(stats.http, f"POST /api/runs {why(exc)}")
    stats.waits["POST"].append(time.perf_counter() - began)
    if r.status != 201:
        return stats.fail(stats.http, f"POST /api/runs {r.status} {body[:90]}")
    return json.loads(body)["ws"]


def check(batch: list[dict], seen: dict, stats: Stats) -> dict | None:
    """Count repeats and failed requests in a batch; its run.finished event, if there.

    `seen` is a dict so it keeps arrival order: a seq that is not last + 1 is a gap."""
    for e in batch:
        if e["seq"] in seen:
            stats.duplicated += 1
            stats.fail(stats.ws, f"seq {e['seq']} repeated")
        elif e["seq"] != next(reversed(seen), -1) + 1:
            stats.fail(stats.ws, f"seq {e['seq']} after {next(reversed(seen), -1)} (a gap or out of order)")
        seen[e["seq"]] = True
        if e["type"] == "task.finished" and e["status"] != "ok":
            stats.fail(stats.tasks_failed, f"request {e['status']} {e.get('error') or e.get('http_status')}")
        if e["type"] == "run.finished":
            return e
    return None


async def watch(http, srv: Server, stats: Stats, path: str) -> dict | None:
    """Read the run's events until run.finished; its summary if the run ended `finished`."""
    seen: dict[int, bool] = {}
    began = time.perf_counter()
    async with http.ws_connect(srv.ws_base + path, origin=srv.base) as ws:
        stats.waits["ws open"].append(time.perf_counter() - began)
        async for msg in ws:
            data = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {"type": msg.type.name}
            if data["type"] != "events":
                stats.fail(stats.ws, f"ws {data['type']} {data.get('error', '')[:80]}")
                return None
            stats.events += len(data["events"])
            if end := check(data["events"], seen, stats):
                stats.lost += end["seq"] + 1 - len(seen)
                if end["seq"] + 1 != len(seen):
                    stats.fail(stats.ws, f"{end['seq'] + 1 - len(seen)} events lost")
                if end["status"] != "finished":
                    stats.fail(stats.runs_failed, f"run {end['status']} {end.get('error')}")
                return end["summary"] if end["status"] == "finished" else None
    stats.fail(stats.ws, f"ws closed before run.finished (code {ws.close_code})")
    return None


async def one_run(http, srv: Server, stats: Stats, name: str, token: str, timeout: float) -> None:
    began = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            if (path := await post_run(http, srv, stats, SPECS[name], token)) is None:
                return
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            try:
                summary = await watch(http, srv, stats, path)
            finally:
                stats.in_flight -= 1
    except TimeoutError:
        return stats.fail(stats.ws, f"no run.finished within {timeout:g} s")
    except (aiohttp.ClientError, OSError) as exc:
        return stats.fail(stats.ws, f"ws {why(exc)}")
    stats.runs += 1
    if summary is not None:  # what the learner waited for, and what the run's own timeline shows
        stats.walls[name].append(time.perf_counter() - began)
        stats.timeline[name].append(summary["wall_s"])


async def learner(srv: Server, stats: Stats, plan: list[str], timeout: float) -> None:
    """One browser tab: its own cookies (unsafe=True: a jar drops an IP host's cookies otherwise)."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=timeout)
    ) as http:
        if (token := await open_page(http, srv, stats)) is not None:
            for name in plan:
                await one_run(http, srv, stats, name, token, timeout)


# --- steps and the verdict -------------------------------------------------------


def servers_cpu(srvs: list[Server]) -> tuple[float, float]:
    return tuple(map(sum, zip(*(cpu_seconds(srv.pid) for srv in srvs), strict=False)))


async def step(srvs: list[Server], plans: list[list[str]], timeout: float, budget: float) -> Stats:
    """Every learner at once, like a class told "press Run"; cut off when the time bound ends.
    Learner k uses server k mod N, as a load balancer would spread them."""
    stats, cpu0, own0 = Stats(), servers_cpu(srvs), time.process_time()
    try:
        async with asyncio.timeout(budget), asyncio.TaskGroup() as tg:
            for k, plan in enumerate(plans):
                tg.create_task(learner(srvs[k % len(srvs)], stats, plan, timeout))
    except TimeoutError:
        stats.fail(stats.ws, "the overall time bound ran out mid-step")
    stats.wall = time.perf_counter() - stats.began
    (cpu1, wait1), spent = servers_cpu(srvs), time.process_time() - own0
    stats.cpu = {
        "daphne": (cpu1 - cpu0[0]) / stats.wall,
        "daphne's loop waiting for a CPU": (wait1 - cpu0[1]) / stats.wall,
        "this script": spent / stats.wall,
    }
    return stats


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1] if len(xs) > 1 else xs[0]


def judge(stats: Stats, alone: dict, slow_factor: float) -> str | None:
    """Why this step does not hold (the first failure, else the slowest spec), or None."""
    if stats.errors() or stats.lost or stats.duplicated:
        return stats.first
    worst, name = max(((p95(w) / alone[n], n) for n, w in stats.walls.items()), default=(0, ""))
    if worst > slow_factor:
        return f"p95 of {name} was {worst:.1f}x its time alone (bound {slow_factor:g}x)"
    return None


def report(n: int, stats: Stats, alone: dict, verdict: str | None) -> None:
    ratio = max((p95(w) / alone[k] for k, w in stats.walls.items()), default=float("nan"))
    waits = "  ".join(f"{k} p95 {p95(v):.2f} s" for k, v in stats.waits.items())
    cpu = ", ".join(f"{k} {v:.0%}" for k, v in stats.cpu.items())  # of one core / of the wall time
    print(
        f"learners {n:>3}  runs {stats.runs:>4}  in flight max {stats.max_in_flight:>3}  "
        f"events {stats.events:,} in {stats.wall:.1f} s = {stats.events / stats.wall:,.0f}/s  "
        f"worst p95 x{ratio:.1f} alone  errors {stats.errors()}  lost {stats.lost}  dup {stats.duplicated}"
        f"  -> {'holds' if verdict is None else 'BREAKS'}",
        flush=True,
    )
    print(f"    {waits}  CPU: {cpu}  load average {os.getloadavg()[0]:.1f}")
    for name in (n for n in SPECS if n in stats.walls):
        w, a = stats.walls[name], alone[name]
        print(
            f"    {name:<23} p50 {statistics.median(w):6.2f} s  p95 {p95(w):6.2f} s  alone {a:5.2f} s"
            f"  p50 x{statistics.median(w) / a:<5.1f} p95 x{p95(w) / a:<5.1f} ({len(w)} runs;"
            f" its timeline shows p50 {statistics.median(stats.timeline[name]):.2f} s)"
        )
    errors = {
        "HTTP": stats.http,
        "websocket": stats.ws,
        "runs not finished": stats.runs_failed,
        "failed requests": stats.tasks_failed,
    }
    print(
        "    errors: "
        + " | ".join(
            f"{label} " + (", ".join(f"{k} x{v}" for k, v in c.most_common(3)) or "none") for label, c in errors.items()
        )
    )
    if verdict:
        print(f"    breaks because: {verdict}", flush=True)


def sizes(args) -> list[int]:
    if not args.ramp:
        return [args.learners]
    out = [n for n in map(int, args.steps.split(",")) if n < args.max_learners]
    while out and out[-1] + RAMP_STEP < args.max_learners:
        out.append(out[-1] + RAMP_STEP)
    return out + [args.max_learners]


async def main_async(args, srvs: list[Server]) -> int:
    deadline, names = time.monotonic() + args.time_limit, list(SPECS)
    base = await step(srvs, [names * BASELINE_ROUNDS], args.timeout, args.time_limit)  # one learner
    if base.errors() or base.lost or base.duplicated or len(base.walls) < len(names):
        print(f"the baseline (one learner alone) failed: {base.first or 'a spec never finished'}")
        return 1
    alone = {n: statistics.median(w) for n, w in base.walls.items()}
    shown = {n: statistics.median(w) for n, w in base.timeline.items()}
    print(
        f"alone (1 learner, median of 3; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs): "
        + ", ".join(f"{n} {s:.2f} s (timeline {shown[n]:.2f} s)" for n, s in alone.items())
    )
    held, broke, bad_events = 0, None, 0
    for n in sizes(args):
        budget = deadline - time.monotonic()
        if budget < args.timeout:
            broke = (n, f"the {args.time_limit:g} s time bound ran out before this step")
            break
        plans = [[names[(i + r) % len(names)] for r in range(args.runs_per_learner)] for i in range(n)]
        stats = await step(srvs, plans, args.timeout, budget)
        report(n, stats, alone, verdict := judge(stats, alone, args.slow_factor))
        bad_events += stats.lost + stats.duplicated
        if verdict:
            broke = (n, verdict)
            break
        held = n
    tail = f"it breaks at {broke[0]} learners because {broke[1]}" if broke else "it did not break within the bound"
    print(
        f"verdict: one machine ({len(srvs)} Daphne process{'es' * (len(srvs) > 1)}) holds {held} learners "
        f"with zero errors and zero lost events; {tail}"
    )
    # Breaking under load is a figure to report; a lost or repeated event is a bug at any load.
    return 1 if bad_events else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--runs-per-learner", type=int, default=3)
    parser.add_argument("--ramp", action="store_true", help="step learners 10, 30, 60, 100, ... until it breaks")
    parser.add_argument("--max-learners", type=int, default=150)
    parser.add_argument("--steps", default=RAMP, help="the ramp's first class sizes, comma-separated")
    parser.add_argument("--slow-factor", type=float, default=5.0, help="a step breaks when a p95 exceeds this x alone")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one run may take")
    parser.add_argument("--time-limit", type=float, default=480.0, help="seconds for the whole invocation")
    parser.add_argument("--keep-caps", action="store_true", help="keep the server's caps on runs in flight")
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes sharing Redis (needs redis-server)")
    args = parser.parse_args()
    if not 1 <= args.processes <= 16:
        parser.error(f"--processes: must be between 1 and 16 (got {args.processes})")
    for name in ("learners", "runs_per_learner", "max_learners"):
        if not 1 <= getattr(args, name) <= 1000:
            parser.error(f"--{name.replace('_', '-')}: must be between 1 and 1,000 (got {getattr(args, name)})")
    from playground.demoapi.process import DemoApiProcess

    began, tmp = time.monotonic(), Path(tempfile.mkdtemp(prefix="playground-load-"))
    procs, srvs = [], []
    with DemoApiProcess.start(host=HOST) as demo:
        try:
            redis_url = ""
            if args.processes > 1:  # several processes share events through Redis
                redis, redis_url = start_redis(tmp)
                procs.append(redis)
            for k in range(args.processes):
                proc, srv = start_daphne(tmp / f"daphne-{k}", demo.url, args.keep_caps, redis_url)
                procs.append(proc)
                srvs.append(srv)
            code = asyncio.run(main_async(args, srvs))
        finally:
            for proc in reversed(procs):
                stop(proc)
    findings = "; ".join(f for f in map(log_findings, (srv.log for srv in srvs)) if f)
    print(f"took {time.monotonic() - began:.0f} s" + (f"; Daphne log: {findings}" if findings else ""))
    if code or findings:
        print(f"Daphne logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
