"""What a queued run's page is told while it waits: its place in line and an estimated start.

place  1 + the ready jobs ahead of it in the engine's order (priority, then age)
eta_s  the CPU work ahead of it (the runs in line before it, and what is left of the
       runs in flight) over what the workers do a second (budget x workers); 0 when
       nothing is ahead. An estimate from the spec's plan, shown as one.
"""

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground.runs.models import Run
from playground.runs.worker import ready_jobs


def queue_report(run_id) -> dict | None:
    """{"type": "queue", "place", "eta_s"} for a queued run; None once it is not queued."""
    job = Run.objects.filter(id=run_id, status=Run.Status.QUEUED).values_list("job", flat=True).first()
    if job is None:
        return None
    line = list(ready_jobs().values_list("id", "args_kwargs")[: settings.MAX_RUNS_QUEUED])
    ids = [i for i, _ in line]
    if job not in ids:
        return None  # claimed a moment ago: its events follow
    place = ids.index(job)
    cpu = settings.WORKER_CPU_PER_REQUEST_S
    ahead = sum(kw["kwargs"]["requests"] * cpu for _, kw in line[:place])
    now = timezone.now()
    running = DBTaskResult.objects.running().filter(queue_name=settings.RUNS_QUEUE)
    workers: set[str] = set()
    for started, kwargs, worker_ids in running.values_list("started_at", "args_kwargs", "worker_ids"):
        cost = kwargs["kwargs"]
        total = max(cost["expected_s"], cost["requests"] * cpu)
        elapsed = (now - started).total_seconds() if started else 0.0
        left = max(0.0, 1 - elapsed / total) if total else 0.0
        ahead += cost["requests"] * cpu * left
        workers.update(worker_ids[-1:])
    eta = ahead / (settings.WORKER_CPU_BUDGET * max(1, len(workers)))
    return {"type": "queue", "place": place + 1, "eta_s": round(eta, 1)}
