"""Recovery: runs whose process died are closed as `interrupted`, every stored event kept; a run
the worker could not mark running (its job failed with lifecycle.RunNotBegun) is closed as `failed`;
a job whose worker stopped before it began the run goes back in line (job_requeue_unbegun, worker.py).

Called when a web process starts (asgi.py), when a worker starts, and by each worker
every WORKER_SWEEP_S, so a worker that died mid-run has its runs closed within seconds
while its replacement starts.
"""

import datetime
import logging
import os
import secrets
import socket

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground import events
from playground.runs.models import Event, Run

logger = logging.getLogger(__name__)

# The job of a run the worker could not mark running failed with this (lifecycle.RunNotBegun):
# the run never began, and is closed as failed. A job failed otherwise leaves its run to the rules below.
RUN_NOT_BEGUN = "playground.runs.lifecycle.RunNotBegun"

_PROCESS: tuple[int, str] = (0, "")


def this_process() -> str:
    """This process, as recorded on the runs it executes: "hostname:pid:nonce" (the nonce tells
    it from an earlier process that had the same pid). Named anew in a forked child (runs/alone.py)."""
    global _PROCESS
    if _PROCESS[0] != os.getpid():
        _PROCESS = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}")
    return _PROCESS[1]


def process_gone(host: str) -> bool:
    """Whether the process that executed a run ("hostname:pid[:nonce]") has stopped."""
    name, _, rest = host.partition(":")
    pid = rest.partition(":")[0]
    if name != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: its own workers sweep its runs
    if int(pid) == os.getpid():
        return host != this_process()  # ours, or an earlier process's whose pid we were given
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def runs_interrupt_unfinished() -> list[tuple[str, events.Recorded]]:
    """Runs left running by a process that is gone are interrupted; so are runs that waited
    in the queue longer than a run may last. A job claimed by a process that died before it
    began its run goes back in line; a run whose job failed with RunNotBegun is closed as failed
    at once, not left queued until it is too old.

    A run running in a live process is left alone: its own time limit (MAX_RUN_SECONDS)
    ends it. Each interrupted run keeps its recorded events and is closed with a
    `run.finished` event; its job in the engine's table is marked failed. Returns
    (run id, that event) of each, for the caller to publish to the run's watchers.
    """
    closed = []
    too_old = timezone.now() - datetime.timedelta(seconds=2 * settings.MAX_RUN_SECONDS)
    for run in Run.objects.filter(status__in=Run.ACTIVE):
        status = Run.Status.INTERRUPTED
        if run.status == Run.Status.RUNNING:
            if not process_gone(run.host):
                continue
            why = "the process running it stopped during this run"
        else:
            jobs = DBTaskResult.objects.filter(id=run.job) if run.job else DBTaskResult.objects.none()
            job = jobs.values_list("status", "worker_ids", "exception_class_path", "traceback").first()
            if job is not None and job[0] == "RUNNING" and job[1] and process_gone(job[1][-1]):
                _back_in_line(run.job)
                continue  # claimed, never begun: its place in line is the front
            if job is not None and job[0] == "FAILED" and job[2] == RUN_NOT_BEGUN:
                status, why = Run.Status.FAILED, f"the database would not let the worker begin it ({_cause(job[3])})"
            elif run.created > too_old or (job is not None and job[0] == "RUNNING"):
                continue
            else:
                why = "it waited in the queue longer than a run may last"
        if (end := run_close_unfinished(run, why, status)) is not None:
            closed.append((str(run.id), end))
    return closed


def job_requeue_unbegun(*, job_id, run_id) -> bool:
    """A job whose worker stopped before it began the run (its task cancelled) goes back in line,
    in its old place, as a dead process's does above; False if the run is no longer queued.

    Should a learner's cancel close the run between the read and the update (PostgreSQL), its
    job is ready with the run closed: the worker that claims it finds the run not queued
    (lifecycle.run_begin) and does not start it."""
    with transaction.atomic():
        if not Run.objects.filter(id=run_id, status=Run.Status.QUEUED).exists():
            return False
        return _back_in_line(job_id)


def _back_in_line(job_id) -> bool:
    """A claimed job ready again, its place in line the one it had (priority, then age)."""
    return bool(DBTaskResult.objects.filter(id=job_id, status="RUNNING").update(status="READY"))


def _cause(traceback: str) -> str:
    """What RunNotBegun says (the database's error), from the last line of its job's traceback."""
    last = traceback.strip().rpartition("\n")[2]
    return last.partition(": ")[2] or "no reason given"


def run_close_unfinished(run: Run, why: str, status: str = Run.Status.INTERRUPTED) -> events.Recorded | None:
    """Close a run as interrupted (or `status`) after its last stored event; None if it is no longer as
    it was read (it began, or ended, or another process took it meanwhile)."""
    with transaction.atomic():
        if not Run.objects.filter(id=run.id, status=run.status, host=run.host).update(
            status=status, finished=timezone.now()
        ):
            return None
        last = Event.objects.filter(run=run).order_by("-seq").first()
        seq = last.seq + 1 if last else 0
        t = last.data.get("t", 0) if last else 0
        end = events.numbered(events.run_finished(str(status), None, why), seq, t)
        Event.objects.create(run=run, seq=seq, data=end)
        if run.job:
            DBTaskResult.objects.filter(id=run.job, status__in=["READY", "RUNNING"]).update(
                status="FAILED", finished_at=timezone.now(), traceback=why
            )
    logger.warning("run %s %s: %s", run.id, status, why)
    return end
