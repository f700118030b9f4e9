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
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support import servers  # noqa: E402 (after the path)
from tests.support.servers import HOST, Server, stop  # noqa: E402

# HOST (tests/support/servers.py) is 127.0.0.1: a load script must never point at anyone else's machine.
SPECS = {  # the lesson's mix, in the lesson's order: a tiny run, a wide one, a bounded one
    "gather [300,500,200]": {"strategy": "gather", "latencies_ms": [300, 500, 200]},
    "gather 1000x100ms": {"strategy": "gather", "requests": 1000, "latency_ms": 100},
    "semaphore 200x100ms/20": {"strategy": "semaphore", "requests": 200, "latency_ms": 100, "limit": 20},
}
BASELINE_ROUNDS = 3  # median of three: one slow first run does not set the baseline
TARGET_SLOWDOWN = 1.3  # p95 of wall_s / alone
TARGET_WAITED_S = 45.0  # the longest POST -> run.finished
TARGET_LAG_S = 0.100  # p95 of event lag
WORKERS = max(1, (os.cpu_count() or 2) - 1)  # `make run`'s default: one per core less one, at least one
SCALE_OUT = 2  # Daphnes, and workers, with --scale-out
RAMP = "10,30,60,100"  # then +RAMP_STEP until a target is missed or --max-learners
RAMP_STEP = 50
ERRORS = (  # kinds of error, in the order they are reported
    "HTTP 429",
    "other HTTP",
    "websocket rejected",
    "websocket dropped",
    "run not finished",
    "request failed",
    "idle socket rejected or dropped",
)


@dataclass
class Seen:
    """What one learner saw of one run."""

    spec: str
    waited_s: float = math.nan  # POST -> run.finished received
    wall_s: float = math.nan  # what the run's own timeline shows (its summary), if it ended `finished`
    place: int = 0  # the longest place in line a queue message gave; 0: it never waited
    lost: int = 0
    repeated: int = 0
    lags: list[float] = field(default_factory=list)  # seconds, events received live


@dataclass
class Tally:
    """What one class (or the baseline) saw; `first` is the first error in time, which says why."""

    runs: list[Seen] = field(default_factory=list)
    errors: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in ERRORS})
    first: str = ""
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds during the class

    def error(self, kind: str, why: str) -> None:
        self.errors[kind][why] += 1
        self.first = self.first or f"{kind}: {why}"

    def error_count(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())


# --- the servers ------------------------------------------------------------------


@dataclass
class Served:
    posts: list[Server]  # learner k posts to posts[k % len]
    watches: list[Server]  # ... and watches through watches[k % len]
    processes: dict[str, int]  # name -> pid, for the CPU figures
    logs: list[Path]


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass  # a process that ended while we looked is not a child any more
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and all its descendants, live or ended (Linux /proc; NaN once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return own + sum(cpu_seconds(child) for child in children(pid))


def process_name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    for word, name in ((b"daphne", "Daphne"), (b"demoapi", "demo API"), (b"runs_worker", "worker")):
        if any(word in arg for arg in argv):
            return name
    return Path(argv[0].decode()).name


@contextmanager
def make_run(tmp: Path) -> Iterator[Served]:
    """The playground as `make run` serves it: supervisord, Daphne, the demo API, WORKERS workers."""
    proc, srv = servers.start_playground(tmp, workers=WORKERS)
    try:
        names = Counter[str]()
        processes = {}
        for pid in sorted(children(proc.pid)):
            name = process_name(pid)
            names[name] += 1
            processes[f"{name} {names[name]}" if name == "worker" else name] = pid
        yield Served([srv], [srv], processes, [srv.log])
    finally:
        stop(proc)


@contextmanager
def scale_out(tmp: Path) -> Iterator[Served]:
    """PostgreSQL + Redis, SCALE_OUT Daphnes and SCALE_OUT workers, the demo API beside them."""
    from playground.demoapi.process import DemoApiProcess

    with ExitStack() as stack:
        pg, database_url = servers.start_postgres(tmp)
        stack.callback(servers.stop_postgres, pg)
        redis, redis_url = servers.start_redis(tmp)
        stack.callback(stop, redis)
        demo = stack.enter_context(DemoApiProcess.start(host=HOST))
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"}
        processes = {"PostgreSQL": pg.proc.pid, "Redis": redis.pid, "demo API": demo.proc.pid}
        daphnes, logs = [], [pg.log]
        for k in range(1, SCALE_OUT + 1):
            proc, srv = servers.start_daphne(tmp / f"daphne-{k}", demo.url, env)
            stack.callback(stop, proc)
            daphnes.append(srv)
            processes[f"Daphne {k}"] = proc.pid
            logs.append(srv.log)
        for k in range(1, SCALE_OUT + 1):
            proc = servers.start_worker(tmp, demo.url, env, name=f"worker-{k}")
            stack.callback(stop, proc)
            processes[f"worker {k}"] = proc.pid
            logs.append(tmp / f"worker-{k}.log")
        # Learners 0, 1 watch where they posted; 2, 3 through the other Daphne; and so on.
        yield Served(daphnes, daphnes[:] + daphnes[::-1], processes, logs)


def log_findings(log: Path) -> str:
    """Tracebacks and rejected websockets in a server's log."""
    lines = log.read_text(errors="replace").splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("Traceback")]
    found = [f"{n} WSREJECT" for n in [sum('"WSREJECT' in line for line in lines)] if n]
    if starts:
        end = next((x for x in lines[starts[0] + 1 :] if x and not x[0].isspace()), "?")
        found.append(f"{len(starts)} tracebacks, the first ends: {end[:160]}")
    return f"{log.name}: {'; '.join(found)}" if found else ""


# --- one learner ------------------------------------------------------------------


def why(exc: BaseException) -> str:
    return f"{type(exc).__name__} {getattr(exc, 'status', None) or str(exc)[:60]}".strip()


def browser(timeout: float | None) -> aiohttp.ClientSession:
    """One browser tab: its own cookies (unsafe=True: a jar drops an IP host's cookies otherwise)."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=timeout)
    )


async def open_page(http: aiohttp.ClientSession, srv: Server, tally: Tally) -> str | None:
    """GET / like a browser; the csrftoken cookie it sets, or None (counted)."""
    try:
        async with http.get(srv.base + "/") as r:
            await r.read()
    except (aiohttp.ClientError, OSError) as exc:
        return tally.error("other HTTP", f"GET / {why(exc)}")
    if r.status != 200:
        return tally.error("HTTP 429" if r.status == 429 else "other HTTP", f"GET / {r.status}")
    cookie = http.cookie_jar.filter_cookies(URL(srv.base)).get("csrftoken")
    return cookie.value if cookie else tally.error("other HTTP", "GET / set no csrftoken cookie")


async def post_run(http: aiohttp.ClientSession, srv: Server, spec: dict, token: str, tally: Tally) -> str | None:
    """POST the spec; the new run's websocket path, or None (counted)."""
    headers = {"X-CSRFToken": token, "Referer": srv.base + "/"}
    try:
        async with http.post(srv.base + "/api/runs", json=spec, headers=headers) as r:
            body = await r.text()
    except (aiohttp.ClientError, OSError) as exc:
        return tally.error("other HTTP", f"POST /api/runs {why(exc)}")
    if r.status != 201:
        return tally.error("HTTP 429" if r.status == 429 else "other HTTP", f"POST /api/runs {r.status} {body[:90]}")
    return json.loads(body)["ws"]


def take(batch: list[dict], received: float, connected: float, seen: Seen, state: dict, tally: Tally) -> dict | None:
    """Check a batch's seq (gaps, repeats), measure the lag of live events; its run.finished, if there."""
    for e in batch:
        if e["seq"] <= state["last"]:
            seen.repeated += 1
            continue
        seen.lost += e["seq"] - state["last"] - 1
        state["last"] = e["seq"]
        if e["type"] == "run.started":
            state["zero"] = e["at"] - e["t"]  # the wall time of the run's t = 0, on the worker's clock
        if state.get("zero") is not None and (emitted := state["zero"] + e["t"]) >= connected:
            seen.lags.append(received - emitted)  # events emitted before the socket opened were replayed
        if e["type"] == "task.finished" and e["status"] != "ok":
            tally.error("request failed", f"{e['status']} {e.get('error') or e.get('http_status')}")
        if e["type"] == "run.finished":
            return e
    return None


async def watch(http: aiohttp.ClientSession, srv: Server, path: str, seen: Seen, tally: Tally) -> dict | None:
    """Read the run's socket until run.finished; that event, or None (counted)."""
    try:
        ws = await http.ws_connect(srv.ws_base + path, origin=srv.base)
    except aiohttp.WSServerHandshakeError as exc:
        return tally.error("websocket rejected", f"handshake {exc.status}")
    connected, state = time.time(), {"last": -1}
    async with ws:
        async for msg in ws:
            received = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return tally.error("websocket dropped", f"a {msg.type.name} message")
            data = json.loads(msg.data)
            if data["type"] == "queue":
                seen.place = max(seen.place, data["place"])
            elif data["type"] != "events":
                return tally.error("websocket dropped", f"{data['type']} {data.get('error', '')[:80]}")
            elif end := take(data["events"], received, connected, seen, state, tally):
                return end
    return tally.error("websocket dropped", f"closed before run.finished (code {ws.close_code})")


async def one_run(http, post: Server, watching: Server, name: str, token: str, tally: Tally, timeout: float) -> None:
    seen, began = Seen(name), time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            if (path := await post_run(http, post, SPECS[name], token, tally)) is None:
                return
            tally.runs.append(seen)
            end = await watch(http, watching, path, seen, tally)
    except TimeoutError:
        return tally.error("websocket dropped", f"no run.finished within {timeout:g} s")
    except (aiohttp.ClientError, OSError) as exc:
        return tally.error("websocket dropped", why(exc))
    if end is None:
        return
    seen.waited_s = time.perf_counter() - began
    if end["status"] == "finished":
        seen.wall_s = end["summary"]["wall_s"]
    else:
        tally.error("run not finished", f"{end['status']} {str(end.get('error'))[:80]}")


async def learner(post: Server, watching: Server, plan: list[str], gate: "Gate", tally: Tally, timeout: float):
    """Open the page, wait for "press Run", then run the plan one run after another."""
    async with browser(timeout) as http:
        token = await open_page(http, post, tally)
        await gate.ready()
        for name in plan if token is not None else []:
            await one_run(http, post, watching, name, token, tally, timeout)


async def idle(srv: Server, path: str, gate: "Gate", tally: Tally) -> None:
    """A learner who opened a finished run's page and keeps it open: its socket must stay up until the class ends."""
    async with browser(None) as http:  # no total timeout: the socket stays open as long as the class lasts
        if await open_page(http, srv, tally) is None:
            return await gate.ready()
        try:
            ws = await http.ws_connect(srv.ws_base + path, origin=srv.base)
        except (aiohttp.ClientError, OSError) as exc:
            tally.error("idle socket rejected or dropped", f"handshake {why(exc)}")
            return await gate.ready()
        async with ws:
            seen, state, end = Seen("idle"), {"last": -1}, None
            while end is None:  # the replay, up to run.finished
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT or (data := json.loads(msg.data))["type"] != "events":
                    tally.error("idle socket rejected or dropped", f"replay ended by {msg.type.name} {msg.data!r:.80}")
                    return await gate.ready()
                end = take(data["events"], math.nan, math.nan, seen, state, tally)
            closed = asyncio.ensure_future(ws.receive())  # an idle socket gets nothing more: any message ends it
            await gate.ready()
            await asyncio.wait([closed, asyncio.ensure_future(gate.over.wait())], return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                tally.error("idle socket rejected or dropped", f"closed mid-class: {closed.result().type.name}")
            closed.cancel()


# --- the class, the baseline and the report ---------------------------------------------


class Gate:
    """Everyone gets ready (a page opened, an idle socket replayed), then the class starts at once."""

    def __init__(self) -> None:
        self.waiting, self.go, self.over = 0, asyncio.Event(), asyncio.Event()
        self.changed = asyncio.Condition()

    async def ready(self) -> None:
        async with self.changed:
            self.waiting += 1
            self.changed.notify_all()
        await self.go.wait()

    async def all_ready(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.waiting >= n)


def cpu_of(served: Served) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in served.processes.items()} | {"this script": time.process_time()}


async def lesson(served: Served, plans: list[list[str]], idle_paths: list[str], args) -> Tally:
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


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


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


def plans(n: int, same_order: bool) -> list[list[str]]:
    names = list(SPECS)
    return [names if same_order else names[k % 3 :] + names[: k % 3] for k in range(n)]


async def baseline(served: Served, args) -> tuple[dict[str, float], list[str]] | None:
    """Each spec alone, BASELINE_ROUNDS times: its median wall_s, and the finished runs' socket paths."""
    tally, post = Tally(), served.posts[0]
    async with browser(args.timeout) as http:
        token = await open_page(http, post, tally)
        paths = []
        for name in list(SPECS) * BASELINE_ROUNDS if token else []:
            if path := await post_run(http, post, SPECS[name], token, tally):
                seen = Seen(name)
                if (end := await watch(http, post, path, seen, tally)) and end["status"] == "finished":
                    tally.runs.append(seen)
                    seen.wall_s = end["summary"]["wall_s"]
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
    findings = "; ".join(f for f in map(log_findings, served.logs) if f)
    print(f"took {time.monotonic() - began:.0f} s" + (f"; in the logs: {findings}" if findings else ""))
    if code or findings:
        print(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
