"""What a learner does in bench/load.py: a browser tab (its own cookies) that opens the page, POSTs runs and
reads each run's websocket to run.finished, checking every event's seq and timing the live ones; or, idle, holds a
socket open on a finished run while the class goes on. Seen is what it saw of one run, Tally what a class saw (and
its errors, by kind), Gate starts everyone at once.

Imported as bench.learners, with the repository's root on sys.path (bench/load.py puts it there).
"""

import asyncio
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from tests.support.servers import Server

ERRORS = (  # kinds of error, in the order they are reported
    "HTTP 429",
    "other HTTP",
    "websocket rejected",
    "websocket dropped",
    "run not finished",
    "request failed",
    "idle socket rejected or dropped",
)


class Event(msgspec.Struct):
    """What a learner checks in each event of a run; the decoder skips every other field (phases, code)."""

    seq: int
    type: str
    t: float
    at: float | None = None  # run.started: the wall time, on the worker's clock, of its t
    status: str | None = None  # task.finished, run.finished
    error: str | None = None
    http_status: int | None = None
    summary: dict | None = None  # run.finished


class Frame(msgspec.Struct):
    """A socket message: a run socket's ("events", "queue", "error") or a class socket's (bench/classroom.py)."""

    type: str
    events: list[Event] = []
    place: int = 0
    error: Any = None
    run: str | None = None
    runs: list[dict] = []
    round: Any = None  # class.round: the round; class.reveal: its number
    mine: Any = None


_FRAMES = msgspec.json.Decoder(Frame)


def decode(text: str) -> Frame:
    """A frame as a learner reads it, every event's seq, type and time checked (a missing or mistyped one raises).

    Only the fields above are built. The learners are simulated in one process on the server's own 2 vCPUs, where
    building every field of every frame (orjson: 0.46 s of CPU for each 100 copies of a 1,000-request run's
    events, msgspec 0.14 s) took CPU from the server and delayed the other learners' frames behind it: neither
    happens in a real class, whose browsers are each on their own device.
    """
    return _FRAMES.decode(text)


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


def take(batch: list[Event], received: float, connected: float, seen: Seen, state: dict, tally: Tally) -> Event | None:
    """Check a batch's seq (gaps, repeats), measure the lag of live events; its run.finished, if there."""
    for e in batch:
        if e.seq <= state["last"]:
            seen.repeated += 1
            continue
        seen.lost += e.seq - state["last"] - 1
        state["last"] = e.seq
        if e.type == "run.started":
            if e.at is None:
                raise ValueError(f"run.started (seq {e.seq}) has no `at`: its events' lag cannot be measured")
            state["zero"] = e.at - e.t  # the wall time of the run's t = 0, on the worker's clock
        if state.get("zero") is not None and (emitted := state["zero"] + e.t) >= connected:
            seen.lags.append(received - emitted)  # events emitted before the socket opened were replayed
        if e.type == "task.finished" and e.status != "ok":
            tally.error("request failed", f"{e.status} {e.error or e.http_status}")
        if e.type == "run.finished":
            return e
    return None


async def watch(http: aiohttp.ClientSession, srv: Server, path: str, seen: Seen, tally: Tally) -> Event | None:
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
            data = decode(msg.data)
            if data.type == "queue":
                seen.place = max(seen.place, data.place)
            elif data.type != "events":
                return tally.error("websocket dropped", f"{data.type} {str(data.error or '')[:80]}")
            elif end := take(data.events, received, connected, seen, state, tally):
                return end
    return tally.error("websocket dropped", f"closed before run.finished (code {ws.close_code})")


async def one_run(
    http, post: Server, watching: Server, name: str, spec: dict, token: str, tally: Tally, timeout: float
) -> None:
    seen, began = Seen(name), time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            if (path := await post_run(http, post, spec, token, tally)) is None:
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
    if end.status == "finished" and end.summary is not None:
        seen.wall_s = end.summary["wall_s"]
    else:
        tally.error("run not finished", f"{end.status} {str(end.error)[:80]}")


async def learner(
    post: Server, watching: Server, plan: list[tuple[str, dict]], gate: Gate, tally: Tally, timeout: float
):
    """Open the page, wait for "press Run", then run the plan one run after another."""
    async with browser(timeout) as http:
        token = await open_page(http, post, tally)
        await gate.ready()
        for name, spec in plan if token is not None else []:
            await one_run(http, post, watching, name, spec, token, tally, timeout)


async def idle(srv: Server, path: str, gate: Gate, tally: Tally) -> None:
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
                if msg.type != aiohttp.WSMsgType.TEXT or (data := decode(msg.data)).type != "events":
                    tally.error("idle socket rejected or dropped", f"replay ended by {msg.type.name} {msg.data!r:.80}")
                    return await gate.ready()
                end = take(data.events, math.nan, math.nan, seen, state, tally)
            closed = asyncio.ensure_future(ws.receive())  # an idle socket gets nothing more: any message ends it
            await gate.ready()
            await asyncio.wait([closed, asyncio.ensure_future(gate.over.wait())], return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                tally.error("idle socket rejected or dropped", f"closed mid-class: {closed.result().type.name}")
            closed.cancel()
