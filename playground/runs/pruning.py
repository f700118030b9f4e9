"""Pruning old runs, so a playground that serves class after class does not fill its disk.

    runs_prune(older_than=30 days)
      | finished runs (never queued or running) created before now - older_than, oldest first
      | up to RUNS_AT_ONCE of them:
      |   their events, EVENTS_AT_ONCE at a time       one short write transaction each
      |   then the runs themselves, and their jobs     one short write transaction
      |   in the job engine's table
      v (runs, events) deleted

Many short transactions, not one: SQLite has one writer at a time, and the runs
being recorded meanwhile must get their turn between two of ours.
"""

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground.runs.models import Event, Run

RUNS_AT_ONCE = 500  # runs chosen at a time; their ids fit in one query (SQLite allows 999 parameters)
# Events deleted in one transaction: about 40 ms of SQLite's write lock (measured on a
# busy 2-core machine, WAL file database), which a recorder's store waits out unharmed.
EVENTS_AT_ONCE = 10_000


def runs_prune(*, older_than: datetime.timedelta, dry_run: bool = False) -> tuple[int, int]:
    """Delete finished runs created more than `older_than` ago, their events and their jobs.

    Returns (runs, events) deleted, or with `dry_run` those that would be, deleting nothing.
    """
    if older_than <= datetime.timedelta(0):
        raise ValueError(f"older_than must be a positive time span, not {older_than}")
    old = _prunable(before=timezone.now() - older_than)
    if dry_run:
        return old.count(), Event.objects.filter(run__in=old).count()
    runs = events = 0
    while ids := list(old.order_by("created").values_list("id", flat=True)[:RUNS_AT_ONCE]):
        events += _events_delete(runs=old.filter(id__in=ids))
        jobs = old.filter(id__in=ids).exclude(job=None).values_list("job", flat=True)
        with transaction.atomic():
            DBTaskResult.objects.filter(id__in=list(jobs)).delete()
            _, deleted = old.filter(id__in=ids).delete()
        events += deleted.get(Event._meta.label, 0)  # stored after _events_delete: none, for a finished run
        if not deleted.get(Run._meta.label):
            break  # none of the chosen runs could go: stop rather than choose them again forever
        runs += deleted[Run._meta.label]
    return runs, events


def _prunable(*, before: datetime.datetime) -> QuerySet[Run]:
    return Run.objects.filter(created__lt=before).exclude(status__in=Run.ACTIVE)


def _events_delete(*, runs: QuerySet[Run]) -> int:
    """Delete the events of `runs`, EVENTS_AT_ONCE per transaction; return how many."""
    count = 0
    while True:
        # order_by(): Event's default ordering would sort every matching row to pick the chunk.
        chunk = Event.objects.filter(run__in=runs).order_by().values("pk")[:EVENTS_AT_ONCE]
        with transaction.atomic():
            deleted, _ = Event.objects.filter(pk__in=chunk).delete()
        count += deleted
        if deleted < EVENTS_AT_ONCE:
            return count
