"""A request's phases (connect, wait, read; strategies/api.py), noted in its Attempt as it goes.

Who notes them in the request's Attempt:

    the playground's session  its connector (TimedConnector: around the connection it makes)
                              and its request class (TimedRequest: the request sent, once its
                              headers are written), which find the Attempt in CURRENT, a context
                              variable fetch sets: a task is inside one fetch at a time, and a
                              task started meanwhile (gather, a TaskGroup) gets a copy
    a session of your own     TRACE, the TraceConfig api.pool_trace() hands it (the Attempt is
                              its trace_request_ctx), which also tells when the pool hands a
                              waiting request its connection

No TraceConfig on the playground's own session: any trace config makes aiohttp build a
Trace, and send a dozen signals with their parameters, for every request -- 116,000 CPU
instructions a request, an eighth of what a request on a new connection costs in all
(callgrind, gather over 1,000 against the demo API). The connector and the request class
note connect where the trace did, and sent a few microseconds later (once the headers are
written, not as they start to be), for about 17,000, the Attempt included.
"""

import contextvars
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp

from playground import events

if TYPE_CHECKING:
    from playground.strategies.api import Api


@dataclass(slots=True, eq=False)
class Attempt:
    """One attempt's times on the run's clock, None until reached; CURRENT and its trace_request_ctx
    (fetch), or its connection's watch (fetch_blocking: runs/targets.py ConnectionWatch)."""

    api: "Api"
    task: int
    number: int
    pooled: bool
    connect_start: float | None = None  # the connector and request (or TRACE) note these three
    connect_end: float | None = None
    sent: float | None = None
    headers: float | None = None  # fetch notes these: the answer's headers came,
    reading: bool = False  # its status let fetch read the body,
    body: float | None = None  # which was read
    sockets: list[socket.socket] = field(default_factory=list)  # fetch_blocking's, for cancel_blocking

    def opened(self, sock: socket.socket) -> None:
        """fetch_blocking's connection made `sock` and connects it now (refused once cancelled)."""
        self.api.blocking_socket(self, sock)
        self.connect_start = self.api.now()

    def wrapped(self, sock: socket.socket) -> None:
        """The connection now talks through `sock` (TLS over the plain socket): a cancel shuts it."""
        self.api.blocking_socket(self, sock)

    def connected(self) -> None:
        self.connect_end = self.api.now()

    def request_sent(self) -> None:
        self.sent = self.api.now()

    def phases(self, end: float) -> list[events.Phase]:
        """The phases reached, in order; one cut off (a failure, a timeout) ends at `end`."""
        out: list[events.Phase] = []
        if self.connect_start is not None:
            out.append(events.phase("connect", self.connect_start, _or(self.connect_end, end)))
        if self.sent is not None:
            out.append(events.phase("wait", self.sent, _or(self.headers, end)))
        if self.reading and self.headers is not None:
            out.append(events.phase("read", self.headers, _or(self.body, end)))
        return out


def _or(t: float | None, end: float) -> float:
    return end if t is None else t


async def _connect_start(session, attempt, params) -> None:  # attempt: Attempt | None
    if attempt is not None:  # None: a request not made by fetch
        if attempt.pooled:  # the pool handed it a slot: it is in flight from here, connecting
            attempt.api.emit(events.task_started(attempt.task, attempt.number))
        attempt.connect_start = attempt.api.now()


async def _connect_end(session, attempt, params) -> None:  # attempt: Attempt | None
    if attempt is not None:
        attempt.connect_end = attempt.api.now()


async def _reused(session, attempt, params) -> None:  # attempt: Attempt | None
    if attempt is not None and attempt.pooled:
        attempt.api.emit(events.task_started(attempt.task, attempt.number))


async def _sent(session, attempt, params) -> None:  # attempt: Attempt | None
    if attempt is not None:
        attempt.sent = attempt.api.now()


def _itself(trace_request_ctx: Attempt | None = None) -> Attempt | None:
    return trace_request_ctx


def _trace() -> aiohttp.TraceConfig:
    # The handlers' context is the request's own Attempt (fetch's trace_request_ctx), not a
    # SimpleNamespace made for it: one object less per request.
    trace = aiohttp.TraceConfig(trace_config_ctx_factory=_itself)  # type: ignore[arg-type]
    trace.on_connection_create_start.append(_connect_start)
    trace.on_connection_create_end.append(_connect_end)
    trace.on_connection_reuseconn.append(_reused)
    trace.on_request_headers_sent.append(_sent)
    return trace


TRACE = _trace()  # for a session of the learner's own (api.pool_trace()); stateless: shared

# The attempt the current task's fetch is making, for the playground's session to time.
CURRENT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("attempt", default=None)


class TimedConnector(aiohttp.TCPConnector):
    """The playground's own session's connector: times the connect phase of the attempt under
    way, around the very call aiohttp's connection_create_start and _end signals enclose (a
    method of aiohttp's connectors since 3.0; tests/test_phases.py checks the phases it gives)."""

    async def _create_connection(self, req, traces, timeout):
        attempt = CURRENT.get()
        if attempt is not None:
            attempt.connect_start = attempt.api.now()
        proto = await super()._create_connection(req, traces, timeout)
        if attempt is not None:
            attempt.connect_end = attempt.api.now()
        return proto


class TimedRequest(aiohttp.ClientRequest):
    """The playground's own session's requests: each notes when it went out (its wait begins)."""

    async def send(self, conn):
        response = await super().send(conn)
        if (attempt := CURRENT.get()) is not None:
            attempt.sent = attempt.api.now()
        return response
