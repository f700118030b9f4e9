"""The demo API: a real aiohttp server that plays a slow, flaky remote service.

Every HTTP request the playground makes lands here. One request walks down:

    GET /work?i=..&seed=..&...
      parse_query ----- bad value -------> 400 {"error": "<param>: must be between X and Y",
        |                                       "field": "<param>"}
      DemoState.wait_s - bucket empty ---> 429 at once, Retry-After (server_rate, per key)
        |
      DemoState.enter -- key at its limit > 503 at once, Retry-After: 1 (server_limit, per key)
        |
      plan(i, seed, ...) -> Plan(latency_s, outcome)     pure: same (seed, i), same plan
        |
        +- "reset"    sleep latency, abort the TCP connection: no HTTP response at all
        +- "hang"     sleep HANG_MAX_S; cancelled as soon as the client goes away
        +- "failure"  sleep latency, answer `status` {"i", "error", "latency_ms"}
        +- "ok"       sleep latency, answer 200 {"i", "latency_ms", "seed"}

`python -m playground.demoapi.server --host H --port P [--parent-pid PID]` serves it
and prints one line, `DEMO_API_READY http://H:PORT`, once it is listening.
"""

import argparse
import asyncio
import gc
import math
import os
import signal
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from playground.demoapi.plan import plan

READY_PREFIX = "DEMO_API_READY"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001  # next to Django's runserver on 8000
MAX_INT64 = 2**63 - 1
MAX_DELAY_MS = 60_000.0  # twice the playground's MAX_LATENCY_MS, so lessons can overshoot
HANG_MAX_S = 300.0  # 5x the playground's 60 s request safety net: a hang outlasts every
#                     client timeout, yet a client with none is freed after minutes, not never
MAX_KEY_CHARS = 64  # a run id is a UUID (36 chars); room to spare, not room to abuse
MAX_KEYS = 10_000  # one rate bucket per run id; bounds memory when clients invent keys
MIN_SERVER_RATE = 0.001  # one token per 1000 s: slower than any lesson needs
MAX_SERVER_RATE = 100_000.0  # 5x what this server can answer (~20,000 requests/s)
MAX_SERVER_LIMIT = 100_000  # more than the playground's MAX_REQUESTS can ever put in flight
# Measured on this machine: with aiohttp's default backlog of 128, 5,000 concurrent GETs
# took 6.3 s with 6,018 dropped (retried) connections; with 4096, 2.4 s and none.
BACKLOG = 4096
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
PARENT_POLL_S = 1.0  # how long an orphaned server may outlive its playground

# ---------------------------------------------------------------- query parsing

_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: its type, its allowed range and its default."""

    name: str
    kind: type  # int, float or str (for str the range bounds its length)
    lo: float
    hi: float
    default: object  # _REQUIRED, None (optional, off) or a value
    help: str

    def allowed(self) -> str:
        lo, hi = (f"{x:g}" if isinstance(x, float) else x for x in (self.lo, self.hi))
        unit = " characters long" if self.kind is str else ""  # ints exactly: 2**63 - 1
        return f"{self.name}: must be between {lo} and {hi}{unit}"

    def parse(self, raw: str) -> object:
        if self.kind is str:
            value, size = raw, len(raw)
        else:
            try:
                value = size = self.kind(raw)
            except ValueError:
                raise BadParam(self, f"got {raw[:20]!r}") from None
        if not self.lo <= size <= self.hi:  # also rejects nan
            raise BadParam(self, f"got {raw[:20]!r}")
        return value


class BadParam(ValueError):
    """A query parameter is missing or outside its range; answered with 400."""

    def __init__(self, param: Param, detail: str) -> None:
        super().__init__(f"{param.allowed()} ({detail})")
        self.field = param.name


PARAMS = (
    Param("i", int, 0, MAX_INT64, _REQUIRED, "request index (required)"),
    Param("latency_ms", float, 0, MAX_DELAY_MS, 200.0, "base latency, default 200"),
    Param("jitter_ms", float, 0, MAX_DELAY_MS, 0.0, "latency varies by +/- this"),
    Param("failure_rate", float, 0, 1, 0.0, "fraction answered with `status`"),
    Param("status", int, 400, 599, 500, "status of a simulated failure"),
    Param("seed", int, -MAX_INT64 - 1, MAX_INT64, 0, "same (seed, i), same answer"),
    Param("hang_rate", float, 0, 1, 0.0, "fraction that never answer"),
    Param("reset_rate", float, 0, 1, 0.0, "fraction whose connection is reset"),
    Param("server_rate", float, MIN_SERVER_RATE, MAX_SERVER_RATE, None, "requests/s per key before 429 (token bucket)"),
    Param("server_limit", int, 1, MAX_SERVER_LIMIT, None, "requests of one key in flight before 503"),
    Param("key", str, 0, MAX_KEY_CHARS, "", "groups rate and concurrency state"),
)


@dataclass(frozen=True, slots=True)
class Query:
    """A valid /work query; field names are the parameter names."""

    i: int
    latency_ms: float
    jitter_ms: float
    failure_rate: float
    status: int
    seed: int
    hang_rate: float
    reset_rate: float
    server_rate: float | None
    server_limit: int | None
    key: str


def parse_query(query: Mapping[str, str]) -> Query:
    """Validate a /work query string; raise BadParam naming the first bad parameter."""
    values: dict[str, Any] = {}
    for param in PARAMS:
        raw = query.get(param.name)
        if raw is not None:
            values[param.name] = param.parse(raw)
        elif param.default is _REQUIRED:
            raise BadParam(param, "missing")
        else:
            values[param.name] = param.default
    return Query(**values)


# ---------------------------------------------------------------- per-key limits


class TokenBucket:
    """`rate` tokens a second, holding at most max(1, rate); starts full."""

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 if granted, else the seconds until one is free."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class DemoState:
    """The server's mutable state: per-key limits, and counters tests can observe."""

    buckets: OrderedDict[tuple[str, float], TokenBucket] = field(default_factory=OrderedDict)
    busy: dict[str, int] = field(default_factory=dict)  # key -> its requests in flight
    in_flight: int = 0  # /work handlers running now
    cancelled: int = 0  # handlers cancelled because their client went away

    def wait_s(self, key: str, rate: float, now: float) -> float:
        """Take a token from the bucket of (key, rate); 0.0 or seconds to wait."""
        bucket = self.buckets.get((key, rate))
        if bucket is None:
            bucket = self.buckets[(key, rate)] = TokenBucket(rate, now)
            if len(self.buckets) > MAX_KEYS:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end((key, rate))
        return bucket.take(now)

    def enter(self, key: str, limit: int | None) -> bool:
        """Count one more request of `key` in flight, unless `limit` are already."""
        count = self.busy.get(key, 0)
        if limit is not None and count >= limit:
            return False
        self.busy[key] = count + 1
        return True

    def leave(self, key: str) -> None:
        count = self.busy.pop(key) - 1
        if count:  # keys with nothing in flight are dropped, so `busy` stays small
            self.busy[key] = count


STATE = web.AppKey("demoapi_state", DemoState)


# ---------------------------------------------------------------- handlers


async def help_text(request: web.Request) -> web.Response:
    """GET / : the parameters of /work, one a line."""
    lines = ["Demo API. GET /work?i=0&latency_ms=200 ... parameters:", ""]
    lines += [f"  {p.name:<13} {p.help}; {p.allowed().split(': ', 1)[1]}" for p in PARAMS]
    return web.Response(text="\n".join(lines) + "\n")


async def work(request: web.Request) -> web.StreamResponse:
    """GET /work : one simulated API call (see the module docstring)."""
    try:
        query = parse_query(request.query)
    except BadParam as exc:
        return web.json_response({"error": str(exc), "field": exc.field}, status=400)
    state = request.app[STATE]
    if query.server_rate is not None:
        now = asyncio.get_running_loop().time()
        wait_s = state.wait_s(query.key, query.server_rate, now)
        if wait_s:
            body = {"error": "rate limited", "retry_after_s": round(wait_s, 3)}
            headers = {"Retry-After": str(max(1, math.ceil(wait_s)))}
            return web.json_response(body, status=429, headers=headers)
    if not state.enter(query.key, query.server_limit):
        body = {"error": "too many concurrent requests", "limit": query.server_limit}
        return web.json_response(body, status=503, headers={"Retry-After": "1"})
    state.in_flight += 1
    try:
        return await _answer(request, query)
    except asyncio.CancelledError:
        state.cancelled += 1
        raise
    finally:
        state.in_flight -= 1
        state.leave(query.key)


async def _answer(request: web.Request, q: Query) -> web.StreamResponse:
    p = plan(q.i, q.seed, q.latency_ms, q.jitter_ms, q.failure_rate, q.hang_rate, q.reset_rate)
    latency_ms = round(p.latency_s * 1000.0, 1)
    if p.outcome == "hang":
        await asyncio.sleep(HANG_MAX_S)
        return _reset(request)
    if p.latency_s:
        await asyncio.sleep(p.latency_s)
    if p.outcome == "reset":
        return _reset(request)
    if p.outcome == "failure":
        body = {"i": q.i, "error": "simulated failure", "latency_ms": latency_ms}
        return web.json_response(body, status=q.status)
    return web.json_response({"i": q.i, "latency_ms": latency_ms, "seed": q.seed})


def _reset(request: web.Request) -> web.Response:
    """Abort the connection with a TCP RST (SO_LINGER 0): the client gets no response."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # aiohttp fails to write this to the aborted transport and drops it quietly.
    return web.Response(status=500)


def make_app() -> web.Application:
    """The demo API application; its state is `app[STATE]`."""
    app = web.Application()
    app[STATE] = DemoState()
    app.router.add_get("/", help_text)
    app.router.add_get("/work", work)
    return app


# ---------------------------------------------------------------- serving


def print_ready(url: str) -> None:
    """Announce the URL on stdout: the one line DemoApiProcess waits for."""
    print(f"{READY_PREFIX} {url}", flush=True)


async def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    parent_pid: int | None = None,
    on_ready: Callable[[str], None] = print_ready,
) -> None:
    """Serve until SIGTERM/SIGINT, or until `parent_pid` is gone."""
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    for sig in STOP_SIGNALS:  # before on_ready: a signal right after it must stop us cleanly
        loop.add_signal_handler(sig, stop.set)
    # handler_cancellation: a client that gives up cancels its handler (hangs included).
    runner = web.AppRunner(make_app(), handler_cancellation=True, access_log=None)
    await runner.setup()
    watcher = None
    try:
        await web.TCPSite(runner, host, port, backlog=BACKLOG).start()
        bound_host, bound_port = runner.addresses[0][:2]
        # What start-up made stays for good (under `make run` it is a Django command, so all of
        # Django): out of the collector's way. Otherwise every full collection walked it all, 35-70
        # ms with every answer held, in nearly every run of 1,000 requests: a 200 ms latency came
        # back as 260 ms for whichever requests were in flight (bench/gather_vs_plain.py's rounds
        # spread 0.37-0.55 s; frozen, 0.37-0.42 s, a full collection 4-10 ms).
        gc.freeze()
        on_ready(f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}")
        if parent_pid is not None:
            watcher = asyncio.create_task(_watch_parent(parent_pid, stop))
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await runner.cleanup()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    original_ppid = os.getppid()
    while os.getppid() == original_ppid and pid_alive(parent_pid):
        await asyncio.sleep(PARENT_POLL_S)
    stop.set()


def pid_alive(pid: int) -> bool:
    """True while process `pid` exists (a zombie still counts until reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    return True


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: parse argv and serve until stopped."""
    parser = argparse.ArgumentParser(description="Serve the playground's demo API.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, parent_pid=args.parent_pid))


if __name__ == "__main__":
    main()
