"""Every event a run emits, and the words the server and the page share.

    strategies/api.py, phases.py, runs/executor.py --constructors below--> runs/recorder.py (seq, t)
        --> database, channel layer --> runs/consumers.py --> the page (static/playground/)

An event is a dict: `type`, `seq` (0, 1, 2, ... per run, no gaps), `t`
(seconds since the run started, on the run's monotonic clock), then the
fields of its type. Events are stored before they are sent, so a browser
that connects late finds in the database everything it did not get live.
"""

import time
from typing import Any, Literal, TypedDict, get_args

RUN_STARTED = "run.started"
TASK_WAITING = "task.waiting"
TASK_STARTED = "task.started"
TASK_FINISHED = "task.finished"
TASK_BACKOFF = "task.backoff"
LOOP_BLOCKED = "loop.blocked"
RUN_FINISHED = "run.finished"
EVENT_TYPES = (RUN_STARTED, TASK_WAITING, TASK_STARTED, TASK_FINISHED, TASK_BACKOFF, LOOP_BLOCKED, RUN_FINISHED)

# The words the server and the page share; the page gets them in its boot data (vocabulary()).
TaskStatus = Literal["ok", "error", "timeout", "cancelled"]
RunEndStatus = Literal["finished", "failed", "cancelled", "interrupted"]
WaitReason = Literal["semaphore", "batch", "rate", "pool", "worker", "thread", "server"]
PhaseName = Literal["connect", "wait", "read"]
TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)
RUN_END_STATUSES: tuple[RunEndStatus, ...] = get_args(RunEndStatus)
WAIT_REASONS: tuple[WaitReason, ...] = get_args(WaitReason)
PHASES: tuple[PhaseName, ...] = get_args(PhaseName)  # a request's phases once it is in flight, in order
# What a request waits for, in words ("waiting for ...", "3 waits ... for ..."): the summary and the page.
WAIT_WORDS: dict[WaitReason, str] = {
    "semaphore": "a semaphore slot",
    "batch": "its batch",
    "rate": "a rate-limit token",
    "pool": "a free connection",
    "worker": "a free worker",
    "thread": "a free thread",
    "server": "the server",
}

# A request's phases in words: the page's legend and tooltip, the summary.
PHASE_WORDS: dict[PhaseName, str] = {
    "connect": "connecting (DNS, TCP, TLS)",
    "wait": "waiting for the answer",
    "read": "reading the body",
}


def vocabulary() -> dict[str, Any]:
    """The shared words as the page receives them (runs/boot.py); static/playground/ keeps no copy."""
    return {
        "event_types": list(EVENT_TYPES),
        "task_statuses": list(TASK_STATUSES),
        "run_end_statuses": list(RUN_END_STATUSES),
        "wait_reasons": list(WAIT_REASONS),
        "wait_words": dict(WAIT_WORDS),
        "phases": list(PHASES),
        "phase_words": dict(PHASE_WORDS),
    }


class RunStarted(TypedDict):
    type: Literal["run.started"]
    spec: dict[str, Any]  # the validated run spec
    code: list[dict[str, Any]]  # every piece of code the run runs (strategies/shown.py Piece)
    at: float  # Unix time when it was emitted, by the worker's clock: the run's t on the wall


class TaskWaiting(TypedDict):
    type: Literal["task.waiting"]
    task: int
    attempt: int
    reason: str  # one of WAIT_REASONS


class TaskStarted(TypedDict):
    type: Literal["task.started"]
    task: int
    attempt: int


class Phase(TypedDict):
    name: str  # one of PHASES
    start: float  # run-relative seconds, like an event's t
    end: float


class TaskFinished(TypedDict):
    type: Literal["task.finished"]
    task: int
    attempt: int
    status: str  # one of TASK_STATUSES
    http_status: int | None
    error: str | None  # the exception's type name
    # What the request went through, in order, as far as it got: "connect" (a new connection:
    # DNS, TCP, TLS; absent when a pooled one was reused), "wait" (request sent -> the answer's
    # headers: time to first byte), "read" (headers -> body read). Empty when it never began.
    phases: list[Phase]


class TaskBackoff(TypedDict):
    type: Literal["task.backoff"]
    task: int
    attempt: int
    delay_s: float


class LoopBlocked(TypedDict):
    """The run's event loop ran nothing from `start` to `end` (run-relative seconds): some code
    held it (a blocking call, heavy work) while every other task waited. Emitted once the
    loop runs again, so `t` is `end`; only for a run in a process of its own (runs/alone.py),
    where the loop is the run's alone."""

    type: Literal["loop.blocked"]
    start: float
    end: float


class RunFinished(TypedDict):
    type: Literal["run.finished"]
    status: str  # one of RUN_END_STATUSES
    error: str | None
    summary: dict[str, Any] | None  # runs/summary.py; None when the run ended before it could be made


Event = RunStarted | TaskWaiting | TaskStarted | TaskFinished | TaskBackoff | LoopBlocked | RunFinished
Recorded = dict[str, Any]  # an event as stored and sent: its fields after `type`, `seq` and `t`


def numbered(event: Event, seq: int, t: float) -> Recorded:
    """The event as recorded: `type`, `seq` and `t` first (the order a reader scans them in)."""
    return {"type": event["type"], "seq": seq, "t": round(t, 6), **event}


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: must be one of {', '.join(allowed)}, got {value!r}")


def run_started(spec: dict[str, Any], code: list[Any], at: float | None = None) -> RunStarted:
    return {"type": "run.started", "spec": spec, "code": code, "at": time.time() if at is None else at}


def task_waiting(task: int, attempt: int, reason: str) -> TaskWaiting:
    """The task waits (for a slot, a token, a connection, a worker) until it starts."""
    _check("reason", reason, WAIT_REASONS)
    return {"type": "task.waiting", "task": task, "attempt": attempt, "reason": reason}


def task_started(task: int, attempt: int) -> TaskStarted:
    """The HTTP request is in flight."""
    return {"type": "task.started", "task": task, "attempt": attempt}


def task_finished(
    task: int,
    attempt: int,
    status: str,
    http_status: int | None,
    error: str | None,
    phases: list[Phase] | None = None,
) -> TaskFinished:
    _check("status", status, TASK_STATUSES)
    return {
        "type": "task.finished",
        "task": task,
        "attempt": attempt,
        "status": status,
        "http_status": http_status,
        "error": error,
        "phases": phases or [],
    }


def phase(name: PhaseName, start: float, end: float) -> Phase:
    """One phase of a request (names checked by the type, not at run time: this is the hot path)."""
    return {"name": name, "start": round(start, 6), "end": round(end, 6)}


def task_backoff(task: int, attempt: int, delay_s: float) -> TaskBackoff:
    """Attempt `attempt` failed; the next one comes after `delay_s`."""
    return {"type": "task.backoff", "task": task, "attempt": attempt, "delay_s": round(delay_s, 6)}


def loop_blocked(start: float, end: float) -> LoopBlocked:
    """The loop was held from `start` to `end`."""
    return {"type": "loop.blocked", "start": round(start, 6), "end": round(end, 6)}


def run_finished(status: str, summary: dict[str, Any] | None, error: str | None = None) -> RunFinished:
    _check("status", status, RUN_END_STATUSES)
    return {"type": "run.finished", "status": status, "error": error, "summary": summary}
