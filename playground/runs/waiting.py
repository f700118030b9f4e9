"""What a queued run's page is told while it waits: its place in line and an estimated start.

    place  1 + the ready jobs ahead of it in the engine's order (priority, then age)
    eta_s  the CPU work ahead of it (the runs in line before it, and what is left of the
           runs in flight) over what the workers do a second (budget x workers); 0 when
           nothing is ahead. An estimate from the spec's plan, shown as one.

One snapshot of the line serves every socket of a web process (Line): reading the line
once per socket cost a busy server half its CPU.
"""

import asyncio
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground.runs.loops import this_loops
from playground.runs.worker import ready_jobs


def line_reports() -> dict:
    """job id -> {"type": "queue", "place", "eta_s"}, for every job waiting in line."""
    cpu = settings.WORKER_CPU_PER_REQUEST_S
    now = timezone.now()
    ahead, workers = 0.0, set()
    running = DBTaskResult.objects.running().filter(queue_name=settings.RUNS_QUEUE)
    for started, kwargs, worker_ids in running.values_list("started_at", "args_kwargs", "worker_ids"):
        cost = kwargs["kwargs"]
        total = max(cost["expected_s"], cost["requests"] * cpu)
        elapsed = (now - started).total_seconds() if started else 0.0
        ahead += cost["requests"] * cpu * (max(0.0, 1 - elapsed / total) if total else 0.0)
        workers.update(worker_ids[-1:])
    rate = settings.WORKER_CPU_BUDGET * max(1, len(workers))  # CPU seconds of runs the workers do a second
    reports = {}
    line = ready_jobs().values_list("id", "args_kwargs")[: settings.MAX_RUNS_QUEUED]
    for place, (job, kwargs) in enumerate(line, start=1):
        reports[job] = {"type": "queue", "place": place, "eta_s": round(ahead / rate, 1)}
        ahead += kwargs["kwargs"]["requests"] * cpu
    return reports


class Line:
    """This process's view of the line, read at most once every QUEUE_REPORT_INTERVAL_S."""

    def __init__(self) -> None:
        self._reports: dict = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def report(self, job, since: float) -> dict | None:
        """The job's report, or None once it has left the line (claimed, or cancelled).

        `since` (time.monotonic()) is when the job was known to be queued: a snapshot
        older than that may not hold it yet, and is read again.
        """
        async with self._lock:
            stale = time.monotonic() - self._read_at >= settings.QUEUE_REPORT_INTERVAL_S
            if stale or (job not in self._reports and self._read_at < since):
                self._read_at = time.monotonic()
                self._reports = await sync_to_async(line_reports)()
        return self._reports.get(job)


_LINES: dict[asyncio.AbstractEventLoop, Line] = {}


def line() -> Line:
    """This process's Line."""
    return this_loops(_LINES, Line)
