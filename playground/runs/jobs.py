"""The run as a job of the engine (django-tasks, database backend): what is queued and what runs.

lifecycle.run_launch -> run_enqueue: execute_run.using(priority).enqueue(run_id, cost)
                                     -> a DBTaskResult row, READY, in queue "runs"
worker.Worker       -> claims the row (DBTaskResult.claim) -> await execute_run.acall(**kwargs)
"""

from django.conf import settings
from django_tasks import task


@task(queue_name=settings.RUNS_QUEUE)
async def execute_run(run_id: str, requests: int, expected_s: float, alone: bool = False) -> str:
    """Execute the run to its end; returns its final status. `requests` and `expected_s`
    are its cost (admission.run_cost), read by the worker before it claims the job; `alone`:
    it runs in a process of its own (alone.py), whose CPU is not the worker's."""
    from playground.runs.lifecycle import run_execute  # lifecycle enqueues this task: import it late

    return await run_execute(run_id)
