"""What a strategy is handed: `api.fetch(i)`, `api.fetch_blocking(i)` and `api.waiting(i, reason)`.

`fetch` (aiohttp) and `fetch_blocking` (urllib.request, the blocking client) are the
only places a request is made and timed: each emits `task.started` before the request
and `task.finished` after it, whatever the outcome, so every bar on the timeline ends
truthfully (ok, error, timeout or cancelled).

task.finished carries the phases the request went through, timed on the run's clock:

    connect  a new connection is made: DNS, TCP, TLS  (absent for a reused connection)
             fetch_blocking: timed by its connection class (runs/targets.py PinnedConnection)
    wait     the request is sent -> session.get returns  (time to first byte)
             fetch_blocking: request sent -> urlopen returns
    read     -> response.read() returns  (the body)

fetch_blocking may be called from any thread (to_thread, a ThreadPoolExecutor) or from
the loop's own, which it then blocks; its counters are taken under a lock, and
`cancel_blocking()`, from any thread, shuts the sockets of those in flight.

Who notes those times: phases.py (the run's session's connector and request class, or
TRACE on a session of your own).
"""

import asyncio
import contextlib
import random
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

import aiohttp
import aiohttp.abc
from yarl import URL

from playground import events
from playground.strategies.phases import CURRENT, TRACE, Attempt

# Workload fields passed through to the demo API's query string.
SERVER_FIELDS = ("jitter_ms", "failure_rate", "seed", "hang_rate", "reset_rate", "server_rate", "server_limit")
# The demo API decides a request by (seed, i), so asking again with the same seed
# fails the same way. A retry is a fresh draw instead: attempt k asks with a seed
# this far from the last, which a 31-bit run seed never reaches.
ATTEMPT_SEED_STEP = 2**31
# close() looks this often whether the blocking requests it cut short have ended: they
# end within milliseconds of their sockets being shut, and only a run cut short waits.
BLOCKING_ENDED_POLL_S = 0.005
NO_TIMEOUT = contextlib.nullcontext()  # reusable: it keeps no state


def attempt_seed(seed: int, attempt: int) -> int:
    """The seed attempt `attempt` (1, 2, ...) of a request asks the demo API with."""
    return seed + (attempt - 1) * ATTEMPT_SEED_STEP


class Api:
    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        target,
        spec: dict,
        emit,
        key: str,
        now: Callable[[], float],
        resolver: aiohttp.abc.AbstractResolver | None = None,
        middlewares: tuple = (),
        opener: urllib.request.OpenerDirector,
        safety_timeout_s: float,
    ):
        self.session = session
        self.url = target.url
        self._base = URL(target.url)
        self._demo = target.demo  # only the demo API reads the workload from the query
        self.resolver = resolver  # the allowlist's resolver, for a connector of your own
        self.middlewares = middlewares  # the allowlist's guard, for a session of your own
        self._opener = opener  # the allowlist's (runs/targets.py blocking_opener), for fetch_blocking
        self._safety_timeout_s = safety_timeout_s  # fetch_blocking's timeout when none is given
        self.emit = emit  # the recorder's: numbers an event and queues it (phases.py emits through it too)
        self.now = now  # the run's clock: the recorder's, which times every event
        self._loop = asyncio.get_running_loop()  # its time() may be read from any thread
        self._latencies = spec.get("latencies_ms")
        self._latency_ms = spec.get("latency_ms", 0)
        self._seed = spec["seed"] if spec.get("seed") is not None else 0
        # The query's fixed part, encoded once; a request adds its own i, latency and seed. yarl
        # encoding the whole query for each request took 5 us, a sixth of fetch's own work.
        fixed = {"key": key, **{k: spec[k] for k in SERVER_FIELDS if k != "seed" and spec.get(k) is not None}}
        self._prefix = f"{self._base.with_fragment(None).extend_query(fixed)}&"
        # Taken under _lock: fetch_blocking counts attempts and leaves the queue from other threads.
        self._lock = threading.Lock()
        self._attempts: dict[int, int] = {}
        self._queued: dict[int, int] = {}  # request -> attempt marked waiting, not yet begun
        self._blocking_in_flight: set[Attempt] = set()  # fetch_blocking's, from begin to task.finished
        self._blocking_cancelled = False  # cancel_blocking() was called: none may begin
        self._tasks: set[asyncio.Task] = set()
        self.deadline_at: float | None = None  # loop time of the run's deadline, if any
        self.limit_at: float | None = None  # loop time of the run's time limit (executor.run_strategy)
        self.cut_by_limit = False  # its blocking requests were ended at that limit (executor.abort_past_limit)
        self.closed = False

    def pool_trace(self) -> aiohttp.TraceConfig:
        """For a session of your own: its requests wait for a pooled connection visibly, and show their phases."""
        return TRACE

    def request_url(self, i: int, attempt: int = 1) -> URL:
        """Attempt `attempt` of request `i`: the demo API's carries the workload in its query."""
        if not self._demo:
            return self._base.extend_query(i=i)
        latency = self._latencies[i] if self._latencies else self._latency_ms
        seed = attempt_seed(self._seed, attempt)
        return URL(f"{self._prefix}i={i}&latency_ms={latency}&seed={seed}", encoded=True)

    def rng(self, i: int, attempt: int) -> random.Random:
        """Random draws fixed by (seed, request, attempt): the same spec and seed draw the same."""
        return random.Random(f"{self._seed}:{i}:{attempt}")

    async def fetch(self, i: int, *, timeout: float | None = None, session: aiohttp.ClientSession | None = None):
        """GET request `i` from the target; return its body (bytes), or raise.

        `timeout` bounds this one attempt (seconds). A `session` of your own made
        with `api.pool_trace()` marks the request as waiting until the pool hands
        it a connection; otherwise it is in flight from the call.
        """
        attempt = self._begin(i)
        session = session or self.session
        pooled = session is not self.session and TRACE in session.trace_configs
        if pooled:
            self.emit(events.task_waiting(i, attempt, "pool"))
        else:
            self.emit(events.task_started(i, attempt))
        traced = Attempt(self, i, attempt, pooled)  # connect and sent are noted in it
        timing = CURRENT.set(traced)
        status, http_status, error = "error", None, None
        try:
            # Most fetches have no timeout of their own: asyncio.timeout(None) would still be made,
            # entered and left, 9,000 instructions a request.
            async with asyncio.timeout(timeout) if timeout is not None else NO_TIMEOUT:
                # The URL with its query, built once here (given params=, a trace rebuilds it twice).
                async with session.get(self.request_url(i, attempt), trace_request_ctx=traced) as response:
                    traced.headers = self.now()  # time to first byte ends here
                    http_status = response.status
                    response.raise_for_status()
                    traced.reading = True
                    body = await response.read()  # the answer, whatever its type: the request ends here
                    traced.body = self.now()
            status = "ok"
            return body
        except TimeoutError as exc:
            status, error = "timeout", type(exc).__name__
            raise
        except asyncio.CancelledError as exc:
            status, error = ("timeout" if self.deadline_passed() else "cancelled"), type(exc).__name__
            raise
        except Exception as exc:
            error = type(exc).__name__
            raise
        finally:
            phases = traced.phases(self.now())
            self.emit(events.task_finished(i, attempt, status, http_status, error, phases))
            CURRENT.reset(timing)  # after the bar has ended, whatever happens here

    def fetch_blocking(self, i: int, *, timeout: float | None = None) -> bytes:
        """GET request `i` from the target with urllib.request, blocking this thread; return its body, or raise.

        Any thread may call it; called on the event loop's own thread, nothing else runs there
        until it returns. `timeout` (seconds; else the run's safety net) is urllib's: it bounds
        each socket operation -- connecting, each read while waiting or reading -- not the
        request as a whole. A request cut short by cancel_blocking() raises CancelledError.
        """
        traced = self._begin_blocking(i)  # its connection notes connect and sent in it
        self.emit(events.task_started(i, traced.number))
        status, http_status, error = "error", None, None
        try:
            request = urllib.request.Request(str(self.request_url(i, traced.number)))
            request.watch = traced  # type: ignore[attr-defined]  # runs/targets.py PinnedConnection tells it
            with self._opener.open(request, timeout=timeout or self._safety_timeout_s) as response:
                traced.headers = self.now()  # time to first byte ends here
                http_status = response.status
                traced.reading = True
                body = response.read()  # the answer, whatever its type: the request ends here
                traced.body = self.now()
            status = "ok"
            return body
        except urllib.error.HTTPError as exc:  # a 4xx or 5xx answer: urllib raises it
            traced.headers, http_status, error = self.now(), exc.code, type(exc).__name__
            exc.close()
            raise
        except BaseException as exc:
            if self._blocking_cancelled:  # its socket was shut: whatever urllib raised, it was cancelled
                status, error = ("timeout" if self.deadline_passed() else "cancelled"), "CancelledError"
                raise asyncio.CancelledError("cut short by cancel_blocking()") from exc
            # urllib wraps what failed while connecting or sending in a URLError: raise what failed.
            cause = exc.reason if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, OSError) else exc
            status, error = ("timeout" if isinstance(cause, TimeoutError) else "error"), type(cause).__name__
            if cause is exc:
                raise
            raise cause from exc
        finally:
            phases = traced.phases(self.now())
            self.emit(events.task_finished(i, traced.number, status, http_status, error, phases))
            with self._lock:
                self._blocking_in_flight.discard(traced)

    def cancel_blocking(self) -> None:
        """Refuse new blocking requests and cut those in flight short; callable from any thread.

        Each in-flight request's socket is shut down, so the thread blocked on it returns at
        once; the request ends cancelled (a timeout, past the run's deadline).
        """
        with self._lock:
            self._blocking_cancelled = True
            sockets = [sock for traced in self._blocking_in_flight for sock in traced.sockets]
        for sock in sockets:
            # Already closed by its request, or not connected yet (its connect then fails):
            # either way nothing is left to cut.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def waiting(self, i: int, reason: str) -> None:
        """Mark request `i` as queued (for a slot, token, connection or worker)."""
        self._refuse_if_closed()
        self._track()
        with self._lock:
            attempt = self._queued[i] = self._attempts.get(i, 0) + 1
        self.emit(events.task_waiting(i, attempt, reason))

    def backoff(self, i: int, delay_s: float) -> None:
        """Mark request `i` as backing off for `delay_s` before its next attempt."""
        self.emit(events.task_backoff(i, self._attempts.get(i, 0), delay_s))

    def deadline_passed(self) -> bool:
        return self.deadline_at is not None and self._loop.time() >= self.deadline_at

    def _refuse_if_closed(self) -> None:
        if self.closed:
            # The strategy has already returned or raised: nothing may start now.
            raise asyncio.CancelledError("run already over")

    def _begin(self, i: int) -> int:
        self._refuse_if_closed()
        self._track()
        with self._lock:
            self._queued.pop(i, None)
            attempt = self._attempts[i] = self._attempts.get(i, 0) + 1
        return attempt

    def _begin_blocking(self, i: int) -> Attempt:
        # One step under the lock: refused (it stays queued, and close() ends it), or begun and
        # in flight, so that close() waits for its task.finished. Not tracked as a task: a task
        # blocked in it could not be cancelled anyway, and a pool's thread has none.
        with self._lock:
            if self.closed or self._blocking_cancelled:
                raise asyncio.CancelledError("run already over")
            self._queued.pop(i, None)
            attempt = self._attempts[i] = self._attempts.get(i, 0) + 1
            traced = Attempt(self, i, attempt, pooled=False)
            self._blocking_in_flight.add(traced)
        return traced

    def blocking_socket(self, traced: Attempt, sock: socket.socket) -> None:
        """fetch_blocking's connection opened `sock`: cancel_blocking() may shut it from now on."""
        with self._lock:
            if self._blocking_cancelled:
                raise asyncio.CancelledError("run already over")
            traced.sockets.append(sock)

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        # A task the strategy abandoned (as_completed after a failure) may end in an
        # error nobody awaits; it is already on the timeline, so mark it retrieved.
        if not task.cancelled():
            task.exception()

    async def close(self) -> None:
        """Cancel the tasks the strategy left behind (e.g. gather after a failure), and cut short
        the blocking requests still in flight in threads (to_thread, a pool the strategy left)."""
        self.closed = True
        self.cancel_blocking()
        current = asyncio.current_task()
        leftovers = [t for t in self._tasks if t is not current and not t.done()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        while self._blocking_in_flight:  # their threads emit their own task.finished: before run.finished
            await asyncio.sleep(BLOCKING_ENDED_POLL_S)
        # Requests still waiting for their turn end too: every bar ends with a status.
        status = "timeout" if self.deadline_passed() else "cancelled"
        with self._lock:
            queued, self._queued = sorted(self._queued.items()), {}
        for i, attempt in queued:
            self.emit(events.task_finished(i, attempt, status, None, "CancelledError"))
