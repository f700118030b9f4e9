"""Every event a run emits, and the words the server and the page share.

    strategies/api.py, runs/executor.py --constructors below--> runs/recorder.py (seq, t)
        --> database, channel layer --> runs/consumers.py --> the page (static/playground/)

An event is a dict: `type`, `seq` (0, 1, 2, ... per run, no gaps), `t`
(seconds since the run started, on the run's monotonic clock), then the
fields of its type. Events are stored before they are sent, so a browser
that connects late finds in the database everything it did not get live.
"""

RUN_STARTED = "run.started"
TASK_WAITING = "task.waiting"
TASK_STARTED = "task.started"
TASK_FINISHED = "task.finished"
TASK_BACKOFF = "task.backoff"
RUN_FINISHED = "run.finished"
EVENT_TYPES = (RUN_STARTED, TASK_WAITING, TASK_STARTED, TASK_FINISHED, TASK_BACKOFF, RUN_FINISHED)

# The words the server and the page share; the page gets them in its boot data (vocabulary()).
TASK_STATUSES = ("ok", "error", "timeout", "cancelled")
RUN_END_STATUSES = ("finished", "failed", "cancelled", "interrupted")
WAIT_REASONS = ("semaphore", "batch", "rate", "pool", "worker", "server")


def vocabulary() -> dict[str, list[str]]:
    """The shared words as the page receives them (runs/boot.py); static/playground/ keeps no copy."""
    return {
        "event_types": list(EVENT_TYPES),
        "task_statuses": list(TASK_STATUSES),
        "run_end_statuses": list(RUN_END_STATUSES),
        "wait_reasons": list(WAIT_REASONS),
    }


def run_started(spec: dict) -> dict:
    return {"type": RUN_STARTED, "spec": spec}


def task_waiting(task: int, attempt: int, reason: str) -> dict:
    """The task waits (for a slot, a token, a connection, a worker) until it starts."""
    if reason not in WAIT_REASONS:
        raise ValueError(f"reason: must be one of {', '.join(WAIT_REASONS)}, got {reason!r}")
    return {"type": TASK_WAITING, "task": task, "attempt": attempt, "reason": reason}


def task_started(task: int, attempt: int) -> dict:
    """The HTTP request is in flight."""
    return {"type": TASK_STARTED, "task": task, "attempt": attempt}


def task_finished(task: int, attempt: int, status: str, http_status: int | None, error: str | None) -> dict:
    return {
        "type": TASK_FINISHED,
        "task": task,
        "attempt": attempt,
        "status": status,
        "http_status": http_status,
        "error": error,
    }


def task_backoff(task: int, attempt: int, delay_s: float) -> dict:
    """Attempt `attempt` failed; the next one comes after `delay_s`."""
    return {"type": TASK_BACKOFF, "task": task, "attempt": attempt, "delay_s": round(delay_s, 6)}


def run_finished(status: str, summary: dict, error: str | None = None) -> dict:
    if status not in RUN_END_STATUSES:
        raise ValueError(f"status: must be one of {', '.join(RUN_END_STATUSES)}, got {status!r}")
    return {"type": RUN_FINISHED, "status": status, "error": error, "summary": summary}
