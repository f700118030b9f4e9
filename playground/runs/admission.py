"""Admission: who may queue a run (abuse caps), what a run costs, and when a worker has room for it.

    POST a run -> run_admit(owner)          refuses (RunRefused -> 429) only for abuse:
                                            a learner's MAX_RUNS_PER_VISITOR runs queued or
                                            running, or a queue of MAX_RUNS_QUEUED runs
               -> run_cost(spec)            {requests, expected_s}: stored with the queued job
               -> run_priority(cost)        the line in the engine's queue: a class's run for
                                            everyone first (PRIORITY_STAGE, given by classes/stage.py),
                                            then tiny runs, then the others by age
    a worker   -> run_load(cost, cpu)       the share of a core the run would need
               -> fits(load, busy, ...)     claim it now, or leave it queued for later

A run's load is the CPU it needs a second (requests x the worker's measured CPU a request,
spread over the run's expected wall time) as a share of one core, so a 3-request gather
needs ~0.4% while gather over 1,000 x 100 ms needs all of it. A worker starts a run only
while the loads of its runs together stay within WORKER_CPU_BUDGET, so the runs beside it
cannot stretch its timeline; a run that needs the whole budget runs alone, tiny runs
included, since a loop it keeps busy would stretch theirs (bench/load.py saw 1.9x).

The line: a class's run for everyone first (thirty screens wait on it), then tiny runs,
then the others in the order they came; a worker claims only the head of the line. Smaller-
first let medium runs keep jumping ahead of the big ones, each switch leaving the core
half idle; in a class of 30 the last learner waited 59 s instead of 43 s.
"""

from django.conf import settings
from django.db import transaction

from playground.runs.models import Run
from playground.strategies import STRATEGIES
from playground.strategies.ideal import ideal_time, planned_durations

# django-tasks priorities run from -100 to 100, higher first; 0 is its default.
PRIORITY_STAGE = 100  # a class's run for everyone (classes/stage.py): thirty screens wait on it, so it goes first
PRIORITY_TINY = 50


class RunRefused(Exception):
    """An abuse cap was reached; the message says which and what to do."""


def run_admit(*, owner: str) -> None:
    """Raise RunRefused if `owner` may not queue one more run now.

    Call it inside the transaction that creates the run: on SQLite that transaction holds
    the write lock from its start (IMMEDIATE), so two quick presses are counted one by one.
    """
    assert transaction.get_connection().in_atomic_block, "count and create in one transaction"
    mine = Run.objects.filter(owner=owner, status__in=Run.ACTIVE).count()
    if mine >= settings.MAX_RUNS_PER_VISITOR:
        raise RunRefused(
            f"You already have {mine} runs queued or running (at most {settings.MAX_RUNS_PER_VISITOR}); "
            "wait for one to finish or cancel it."
        )
    queued = Run.objects.filter(status=Run.Status.QUEUED).count()
    if queued >= settings.MAX_RUNS_QUEUED:
        raise RunRefused(
            f"{queued:,} runs are waiting already (at most {settings.MAX_RUNS_QUEUED:,}); try again in a minute."
        )


def run_cost(spec: dict) -> dict:
    """What a run will ask of a worker: its requests and its expected wall time (the ideal on the demo plan)."""
    strategy = STRATEGIES[spec["strategy"]]
    durations = planned_durations(spec, settings.REQUEST_TIMEOUT_S)
    expected_s, _ = ideal_time(strategy.ideal, durations, spec, strategy.params)
    attempts = spec["requests"] * (1 + spec.get("retries", 0))
    return {"requests": attempts, "expected_s": round(expected_s, 3)}


def run_priority(cost: dict) -> int:
    """Tiny runs ahead of the others, which go in the order they came (a class's run for everyone
    is ahead of both: its caller passes PRIORITY_STAGE in place of this)."""
    return PRIORITY_TINY if is_tiny(run_load(cost, settings.WORKER_CPU_PER_REQUEST_S)) else 0


def is_tiny(load: float) -> bool:
    """A run too small to stretch its neighbours (a handful of requests): it fits beside any runs that
    share the budget, so it waits only for a run that needs the whole budget, a worker at
    WORKER_MAX_RUNS, or the runs ahead of it in line (a class's run for everyone)."""
    return load <= settings.WORKER_TINY_LOAD


def run_load(cost: dict, cpu_per_request_s: float) -> float:
    """The share of one core the run needs while it runs, from 0 to 1 (a run bound by CPU)."""
    cpu_s = cost["requests"] * cpu_per_request_s
    return cpu_s / max(cost["expected_s"], cpu_s, 1e-6)


def fits(load: float, *, loads: list[float]) -> bool:
    """Whether a worker running runs that need `loads` of its core has room for one needing `load`.

    A run that needs the whole budget (bound by CPU: gather over 1,000 requests) runs with
    nothing beside it, not even a tiny run: a busy loop would stretch both timelines.
    Otherwise runs share the budget, and a tiny run always fits.
    """
    budget = settings.WORKER_CPU_BUDGET
    if not loads:
        return True
    if len(loads) >= settings.WORKER_MAX_RUNS or load >= budget or max(loads) >= budget:
        return False
    return is_tiny(load) or sum(loads) + load <= budget
